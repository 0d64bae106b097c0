"""The worker's tasks: Django's task framework, on the database backend named ``BACKEND``
("background" in settings.TASKS; "default" stays immediate for Wagtail's own tasks), run by
``manage.py db_worker --backend background``.

``deliver`` creates the notifications of one ``services.notify`` call and hands their e-mails
to ``send_emails`` in batches of ``EMAIL_BATCH``. ``send_emails`` sends one batch over one SMTP
connection. When the server fails (``smtplib.SMTPException``, ``OSError``), the e-mails not yet
sent keep ``email_sent_at`` null, each records the attempt and the error, and the batch is
enqueued again after a backoff (``BACKOFF``), at most ``TASK_ATTEMPTS`` times; after that the
daily ``services.retry_unsent`` takes them. Nothing is lost; an e-mail may be sent twice only
if the worker dies between the server accepting it and the row being marked.
"""

import logging
import smtplib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db.models import Count, F
from django.utils import timezone
from django_tasks import task

from notifications import emails, live
from notifications.models import EmailPreference, Notification

logger = logging.getLogger(__name__)

#: The task backend (settings.TASKS) these tasks are stored in: a database one.
BACKEND = "background"

#: Users handled per step of ``deliver`` (a few queries each).
CHUNK = 1000
#: E-mails per ``send_emails`` task: one SMTP connection each.
EMAIL_BATCH = 200
#: Attempts a batch makes by itself before leaving its e-mails to ``retry_unsent``.
TASK_ATTEMPTS = 4
#: Wait before the n-th retry of a batch (1-based): 1, 5 and 30 minutes.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
SMTP_ERRORS = (smtplib.SMTPException, OSError)
#: What the mail server answers about one message (its recipient, sender or content): that
#: message is set aside, the rest of the batch is sent.
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def enqueue_emails(notification_ids, run_after=None):
    """One ``send_emails`` task per ``EMAIL_BATCH`` ids."""
    sender = send_emails.using(run_after=run_after) if run_after else send_emails
    for batch in chunks(list(notification_ids), EMAIL_BATCH):
        sender.enqueue(batch)


@task(backend="background")
def deliver(user_ids, kind, title, body, url, key):
    """Create the notifications (once per user and key), push them live, enqueue e-mails.

    Returns how many were created. Users who do not exist or are inactive are skipped.
    """
    created = 0
    for chunk in chunks(user_ids, CHUNK):
        new = create(chunk, kind, title, body, url, key)
        created += len(new)
        unread = dict(
            Notification.objects.filter(user_id__in=[n.user_id for n in new], read_at__isnull=True)
            .values("user_id")
            .annotate(count=Count("id"))
            .values_list("user_id", "count")
        )
        live.push(new, unread)
        enqueue_emails([n.pk for n in new if n.email_due])
    return created


def create(user_ids, kind, title, body, url, key):
    """The notifications of ``user_ids`` this call created (none for a user who has ``key``)."""
    users = dict(
        get_user_model().objects.filter(pk__in=user_ids, is_active=True).values_list("pk", "email")
    )
    have = set(
        Notification.objects.filter(key=key, user_id__in=users).values_list("user_id", flat=True)
    )
    new_ids = [pk for pk in users if pk not in have]
    if not new_ids:
        return []
    off = set(
        EmailPreference.objects.filter(user_id__in=new_ids, kind=kind, enabled=False).values_list(
            "user_id", flat=True
        )
    )
    now = timezone.now()
    rows = [
        Notification(
            user_id=pk,
            kind=kind,
            title=title,
            body=body,
            url=url,
            key=key,
            created_at=now,
            email_due=bool(users[pk]) and pk not in off,
        )
        for pk in new_ids
    ]
    # ignore_conflicts: a concurrent delivery of the same key may have inserted some meanwhile.
    Notification.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return list(
        Notification.objects.filter(key=key, user_id__in=new_ids, created_at=now).order_by("pk")
    )


@task(backend="background")
def send_emails(notification_ids):
    """Send the due, unsent e-mails of ``notification_ids`` over one connection.

    Returns how many were sent."""
    rows = list(
        Notification.objects.filter(
            pk__in=notification_ids, email_due=True, email_sent_at__isnull=True
        )
        .select_related("user")
        .order_by("pk")
    )
    rows = drop_unwanted(rows)
    if not rows:
        return 0
    sent, broken, error = [], [], ""
    connection = get_connection()
    try:
        connection.open()
        for row in rows:
            try:
                email = emails.message(row, connection)
                email.message()  # its headers, built now: a bad one fails this row only
            except ValueError as exc:  # BadHeaderError: a title no header can carry
                logger.error("Notification %s cannot be e-mailed: %s", row.pk, exc)
                broken.append(row.pk)
                continue
            try:
                connection.send_messages([email])
            except REFUSED as exc:  # this address or message only: the batch goes on
                logger.error("The mail server refused notification %s: %s", row.pk, exc)
                broken.append(row.pk)
                continue
            sent.append(row.pk)
    except SMTP_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        logger.warning("Could not send notification e-mails: %s", error)
    finally:
        try:
            connection.close()
        except SMTP_ERRORS:
            logger.info("The mail server's connection did not close cleanly", exc_info=True)
        # What was sent is recorded whatever happened after it, so it is never sent again.
        now = timezone.now()
        Notification.objects.filter(pk__in=sent).update(email_sent_at=now, email_error="")
        Notification.objects.filter(pk__in=broken).update(
            email_due=False, email_error="This notification cannot be e-mailed to its address."
        )
    done = set(sent) | set(broken)
    failed = [row for row in rows if row.pk not in done]
    if failed:
        retry(failed, error, now)
    return len(sent)


def drop_unwanted(rows):
    """``rows`` without the e-mails no longer wanted (the kind switched off since, the address
    removed, the account deactivated), which are marked not due."""
    off = set(
        EmailPreference.objects.filter(
            user_id__in={row.user_id for row in rows}, enabled=False
        ).values_list("user_id", "kind")
    )
    unwanted = [
        row.pk
        for row in rows
        if (row.user_id, row.kind) in off or not row.user.email or not row.user.is_active
    ]
    if unwanted:
        Notification.objects.filter(pk__in=unwanted).update(email_due=False)
    unwanted = set(unwanted)
    return [row for row in rows if row.pk not in unwanted]


def retry(rows, error, now):
    """Record a failed attempt on each of ``rows``, and enqueue them again after a backoff
    while the batch has attempts left."""
    ids = [row.pk for row in rows]
    Notification.objects.filter(pk__in=ids).update(
        email_attempts=F("email_attempts") + 1, email_error=error
    )
    attempts = max(row.email_attempts for row in rows) + 1
    if attempts < TASK_ATTEMPTS:
        wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
        enqueue_emails(ids, run_after=now + wait)
    else:
        logger.warning("%d notification e-mails left for the daily retry", len(ids))
