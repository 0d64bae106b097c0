"""The API other apps call. Nothing here imports a domain app.

``notify(user_ids, *, kind, title, body, url, key)``
    Returns at once: it enqueues one ``deliver`` task with the ids (one query, whatever their
    number). The worker then creates each user's notification once per ``key`` (a second call
    with the same key creates nothing), pushes the new ones live and e-mails them, in batches,
    to the users who want that kind by e-mail. Called inside a transaction, the task is stored
    in it (the database task backend): a rollback enqueues nothing.
``retry_unsent()``
    Enqueues again the e-mails not yet sent (fewer than ``MAX_EMAIL_ATTEMPTS`` attempts, made
    more than ``RETRY_AFTER`` ago): the daily job calls it, so an e-mail lost with a worker or
    refused by a mail server that stayed down is sent later.
``unread_count(user)``
    The user's unread notifications (0 for an anonymous user).
``email_enabled(user, kind)`` / ``set_email(user, kind, enabled)`` / ``email_choices(user)``
    The user's e-mail preference per kind (on unless switched off).
"""

from datetime import timedelta

from django.utils import timezone

from notifications import tasks
from notifications.models import EmailPreference, Kind, Notification

#: Attempts after which an e-mail is no longer retried (it stays stored, unsent).
MAX_EMAIL_ATTEMPTS = 10
#: How old an unsent e-mail must be before ``retry_unsent`` takes it: younger ones may still be
#: waiting for the worker or for a retry the sending task scheduled.
RETRY_AFTER = timedelta(minutes=15)


def is_site_path(url):
    """Whether ``url`` is a path on this site ("/…", not "//host…" nor "/\\host…")."""
    return (
        isinstance(url, str)
        and url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and not any(c in url for c in "\r\n\t\\")
    )


def notify(user_ids, *, kind, title, body, url, key):
    """Notify ``user_ids`` (ids, not users) once per ``key``; returns the enqueued task's result.

    ``kind``: a ``Kind`` value; ``title`` (at most 200 characters) and ``body``: plain text;
    ``url``: a path on this site ("" for none); ``key``: at most 200 characters, the same for
    every user of one event (e.g. ``f"open:{module.pk}"``). The title is made one line.
    Raises ``ValueError`` for a bad argument, before anything is enqueued.
    """
    title = " ".join(str(title).split())  # one line: it becomes an e-mail's subject
    if kind not in Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    if url and not is_site_path(url):
        raise ValueError("url must be a path on this site, such as /courses/1/")
    if not key or len(key) > 200 or not title or len(title) > 200:
        raise ValueError("key and title must be 1 to 200 characters")
    ids = sorted({int(user_id) for user_id in user_ids})
    if not ids:
        return None
    return tasks.deliver.enqueue(ids, kind, title, body or "", url or "", key)


def retry_unsent():
    """Enqueue the unsent e-mails again; returns how many."""
    ids = list(
        Notification.objects.filter(
            email_due=True,
            email_sent_at__isnull=True,
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
            created_at__lt=timezone.now() - RETRY_AFTER,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    tasks.enqueue_emails(ids)
    return len(ids)


def unread_count(user):
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user, ids=None):
    """Mark ``user``'s notifications read (those of ``ids``, or all); returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def email_choices(user):
    """``{kind: enabled}`` for every kind."""
    off = set(
        EmailPreference.objects.filter(user=user, enabled=False).values_list("kind", flat=True)
    )
    return {kind: kind not in off for kind in Kind.values}


def email_enabled(user, kind):
    return email_choices(user)[kind]


def set_email(user, kind, enabled):
    EmailPreference.objects.update_or_create(user=user, kind=kind, defaults={"enabled": enabled})
    if not enabled:
        # E-mails of that kind still waiting for the worker are no longer wanted.
        Notification.objects.filter(
            user=user, kind=kind, email_due=True, email_sent_at__isnull=True
        ).update(email_due=False)
