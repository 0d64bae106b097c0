"""notify() enqueues, the worker delivers: notifications once per key, e-mails in batches with
one-click unsubscribe headers, preferences honoured, nothing lost when the mail server fails."""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications import emails, services, tasks
from notifications.emails import read_unsubscribe_token
from notifications.models import EmailPreference, Kind, Notification
from notifications.tests.conftest import make_due_now, make_users, run_worker

pytestmark = pytest.mark.django_db

ARGS = {
    "kind": Kind.ANNOUNCEMENT,
    "title": "A new module is open",
    "body": "Module 3 <b>is</b> ready.",
    "url": "/mathematics/calculus/limits/",
    "key": "module_open:3",
}
LOCMEM_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


def test_the_same_key_twice_for_one_user_is_refused_by_the_database(student):
    Notification.objects.create(user=student, kind=Kind.REPLY, title="One", key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=student, kind=Kind.REPLY, title="Two", key="k")


def test_notify_twice_with_the_same_key_creates_each_notification_and_email_once():
    ids = make_users(3)
    services.notify(ids, **ARGS)
    run_worker()
    services.notify(ids, **ARGS)
    run_worker()
    assert Notification.objects.count() == 3
    assert len(mail.outbox) == 3


def test_notify_enqueues_one_task_and_creates_nothing_before_the_worker_runs():
    ids = make_users(5)
    services.notify(ids, **ARGS)
    assert DBTaskResult.objects.count() == 1
    assert DBTaskResult.objects.get().task_path == "notifications.tasks.deliver"
    assert Notification.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize("count", [1, 300])
def test_notify_uses_one_query_whatever_the_number_of_users(count, django_assert_num_queries):
    ids = make_users(count)
    with django_assert_num_queries(1):
        services.notify(ids, **ARGS)


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "spam"},
        {"url": "https://evil.example/"},
        {"url": "//evil.example/"},
        {"url": "/\\evil.example"},
        {"key": ""},
        {"title": "x" * 201},
    ],
)
def test_notify_refuses_a_bad_argument_before_enqueuing(bad):
    with pytest.raises(ValueError):
        services.notify([1], **{**ARGS, **bad})
    assert DBTaskResult.objects.count() == 0


def test_notify_in_a_transaction_that_rolls_back_enqueues_nothing():
    ids = make_users(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify(ids, **ARGS)
        raise RuntimeError
    assert DBTaskResult.objects.count() == 0


def test_worker_stores_the_notification_and_emails_it_with_one_click_unsubscribe_headers():
    (user_id,) = make_users(1)
    services.notify([user_id], **ARGS)
    run_worker()
    notification = Notification.objects.get()
    assert (notification.user_id, notification.key, notification.read_at) == (
        user_id,
        "module_open:3",
        None,
    )
    assert notification.email_sent_at is not None and notification.email_attempts == 0
    (email,) = mail.outbox
    assert email.to == ["user0@example.com"]
    assert email.subject == "A new module is open"
    assert "Hello Ada Number0," in email.body
    assert "Module 3 <b>is</b> ready." in email.body  # plain text, as written
    assert "http://testserver/mathematics/calculus/limits/" in email.body
    unsubscribe = email.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://testserver/notifications/unsubscribe/")
    assert unsubscribe.endswith("/>")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = unsubscribe[1:-2].rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == (user_id, Kind.ANNOUNCEMENT)
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and "Module 3 &lt;b&gt;is&lt;/b&gt; ready." in html
    message = email.message()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_email_preference_off_stores_the_notification_but_sends_no_email():
    on, off = make_users(2)
    EmailPreference.objects.create(user_id=off, kind=Kind.ANNOUNCEMENT, enabled=False)
    services.notify([on, off], **ARGS)
    run_worker()
    assert set(Notification.objects.values_list("user_id", flat=True)) == {on, off}
    assert [email.to for email in mail.outbox] == [["user0@example.com"]]
    assert Notification.objects.get(user_id=off).email_due is False


def test_preference_of_another_kind_does_not_stop_this_kinds_email():
    (user_id,) = make_users(1)
    EmailPreference.objects.create(user_id=user_id, kind=Kind.REPLY, enabled=False)
    services.notify([user_id], **ARGS)
    run_worker()
    assert len(mail.outbox) == 1


def test_an_email_switched_off_while_queued_is_not_sent():
    (user_id,) = make_users(1)
    services.notify([user_id], **ARGS)
    with mock.patch.object(tasks, "enqueue_emails"):  # the deliver step only
        run_worker()
    services.set_email(Notification.objects.get().user, Kind.ANNOUNCEMENT, False)
    tasks.enqueue_emails(Notification.objects.values_list("pk", flat=True))
    run_worker()
    assert mail.outbox == []


def test_users_without_an_address_inactive_or_missing_get_no_email_and_no_crash():
    no_address, inactive = make_users(2)
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=no_address).update(email="")
    get_user_model().objects.filter(pk=inactive).update(is_active=False)
    services.notify([no_address, inactive, 10**9], **ARGS)
    run_worker()
    assert list(Notification.objects.values_list("user_id", flat=True)) == [no_address]
    assert mail.outbox == []
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_emails_go_in_batches_over_one_connection_each(monkeypatch):
    monkeypatch.setattr(tasks, "EMAIL_BATCH", 2)
    services.notify(make_users(5), **ARGS)
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.open", autospec=True) as opened:
        run_worker()
    assert len(mail.outbox) == 5
    assert opened.call_count == 3  # 2 + 2 + 1
    paths = list(DBTaskResult.objects.values_list("task_path", flat=True))
    assert sorted(paths).count("notifications.tasks.send_emails") == 3


def test_smtp_failure_loses_nothing_and_the_retry_sends_each_email_once_when_the_server_is_back():
    ids = make_users(3)
    services.notify(ids, **ARGS)
    with mock.patch(LOCMEM_SEND, side_effect=smtplib.SMTPServerDisconnected("gone")):
        run_worker()
    assert mail.outbox == []
    rows = list(Notification.objects.all())
    assert len(rows) == 3
    assert all(row.email_sent_at is None and row.email_attempts == 1 for row in rows)
    assert all("SMTPServerDisconnected: gone" in row.email_error for row in rows)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now() + timedelta(seconds=30)  # backoff, not at once

    run_worker()  # the retry is not due yet
    assert mail.outbox == []

    make_due_now()
    run_worker()
    assert sorted(email.to[0] for email in mail.outbox) == [
        f"user{n}@example.com" for n in range(3)
    ]
    assert not Notification.objects.filter(email_sent_at__isnull=True).exists()
    assert set(Notification.objects.values_list("email_error", flat=True)) == {""}


def test_a_failure_midway_keeps_what_was_sent_and_retries_only_the_rest():
    services.notify(make_users(3), **ARGS)
    real_send = mail.backends.locmem.EmailBackend.send_messages
    calls = []

    def second_fails(self, messages):
        calls.append(messages)
        if len(calls) == 2:
            raise OSError("connection reset")
        return real_send(self, messages)

    with mock.patch(LOCMEM_SEND, second_fails):
        run_worker()
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(email_sent_at__isnull=True).count() == 2
    make_due_now()
    run_worker()
    assert len(mail.outbox) == 3
    assert len({email.to[0] for email in mail.outbox}) == 3


def test_a_batch_stops_retrying_by_itself_after_its_attempts_and_waits_for_the_daily_retry():
    services.notify(make_users(1), **ARGS)
    with mock.patch(LOCMEM_SEND, side_effect=smtplib.SMTPException("no")):
        for _ in range(tasks.TASK_ATTEMPTS + 2):
            make_due_now()
            run_worker()
    notification = Notification.objects.get()
    assert notification.email_attempts == tasks.TASK_ATTEMPTS
    assert notification.email_sent_at is None and notification.email_due
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_retry_unsent_enqueues_old_unsent_emails_only_and_they_are_sent():
    old, young, sent, exhausted, unwanted = make_users(5)
    long_ago = timezone.now() - timedelta(hours=1)

    def row(user_id, **extra):
        return Notification(
            user_id=user_id, kind=Kind.DUE_SOON, title="Due", key="due:1", email_due=True, **extra
        )

    Notification.objects.bulk_create(
        [
            row(old, created_at=long_ago, email_attempts=4),
            row(young),
            row(sent, created_at=long_ago, email_sent_at=long_ago),
            row(exhausted, created_at=long_ago, email_attempts=services.MAX_EMAIL_ATTEMPTS),
            Notification(
                user_id=unwanted, kind="due_soon", title="D", key="d", created_at=long_ago
            ),
        ]
    )
    assert services.retry_unsent() == 1
    run_worker()
    assert [email.to for email in mail.outbox] == [["user0@example.com"]]
    assert services.retry_unsent() == 0  # sent: nothing twice


def test_two_thousand_users_notify_returns_at_once_then_the_worker_sends_two_thousand_emails():
    ids = make_users(2000)
    with CaptureQueriesContext(connection) as queries:
        services.notify(ids, **ARGS)
    assert len(queries) == 1
    assert mail.outbox == []
    assert Notification.objects.count() == 0
    run_worker()
    assert len(mail.outbox) == 2000
    assert len({email.to[0] for email in mail.outbox}) == 2000
    assert Notification.objects.filter(email_sent_at__isnull=False).count() == 2000
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1 + 2000 // tasks.EMAIL_BATCH


def test_unread_count_counts_only_the_users_unread_notifications(student, instructor):
    Notification.objects.bulk_create(
        [
            Notification(user=student, kind="reply", title="a", key="a"),
            Notification(user=student, kind="reply", title="b", key="b", read_at=timezone.now()),
            Notification(user=instructor, kind="reply", title="c", key="c"),
        ]
    )
    assert services.unread_count(student) == 1


def test_a_title_with_line_breaks_is_made_one_line_and_e_mailed(student):
    services.notify([student.pk], **(ARGS | {"title": "Exam\r\nmoved\nBcc: x@example.com"}))
    run_worker()
    assert [message.subject for message in mail.outbox] == ["Exam moved Bcc: x@example.com"]
    assert Notification.objects.get().email_sent_at is not None


def test_a_row_that_cannot_be_e_mailed_stops_neither_the_batch_nor_records_the_rest_unsent(
    student, instructor, monkeypatch
):
    services.notify([student.pk, instructor.pk], **ARGS)
    real = emails.message

    def refuse_one(row, connection):
        if row.user_id == student.pk:
            raise ValueError("Header values can't contain newlines")
        return real(row, connection)

    monkeypatch.setattr(emails, "message", refuse_one)
    run_worker()
    assert [message.to for message in mail.outbox] == [[instructor.email]]
    broken = Notification.objects.get(user=student)
    assert (broken.email_due, broken.email_sent_at) == (False, None)
    assert services.retry_unsent() == 0


def test_an_address_the_server_refuses_is_set_aside_and_the_rest_of_the_batch_is_sent(
    student, instructor
):
    services.notify([student.pk, instructor.pk], **ARGS)
    real = mail.backends.locmem.EmailBackend.send_messages

    def refuse_student(self, messages):
        if messages[0].to == [student.email]:
            raise smtplib.SMTPRecipientsRefused({student.email: (550, b"No such user")})
        return real(self, messages)

    with mock.patch.object(mail.backends.locmem.EmailBackend, "send_messages", refuse_student):
        run_worker()
    assert [message.to for message in mail.outbox] == [[instructor.email]]
    refused = Notification.objects.get(user=student)
    assert (refused.email_due, refused.email_sent_at) == (False, None)
