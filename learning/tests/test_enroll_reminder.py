"""The enroll_reminder command: who is e-mailed, once, and what it prints."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from conftest import make_user
from learning.models import Enrollment, EnrollmentReminder
from notifications.models import Notification
from notifications.tests.conftest import make_due_now, run_worker

pytestmark = pytest.mark.django_db


def joined(user, days_ago):
    user.date_joined = timezone.now() - timedelta(days=days_ago)
    user.save(update_fields=["date_joined"])
    return user


def run(*args):
    """The command, then the task worker that sends what it queued."""
    out = StringIO()
    call_command("enroll_reminder", *args, stdout=out, stderr=StringIO())
    run_worker()
    return out.getvalue()


@pytest.fixture
def people(course):
    idle = joined(make_user("idle"), 10)
    also_idle = joined(make_user("also_idle"), 30)
    joined(make_user("newcomer"), 2)
    enrolled = joined(make_user("enrolled"), 10)
    Enrollment.objects.create(user=enrolled, course=course)
    joined(make_user("inactive", is_active=False), 10)
    no_email = joined(make_user("no_email"), 10)
    no_email.email = ""
    no_email.save()
    return {"idle": idle, "also_idle": also_idle}


def test_reminds_only_users_older_than_n_days_who_are_enrolled_in_nothing(people):
    output = run("--days", "7")
    assert "2 reminder(s) sent." in output
    assert sorted(message.to[0] for message in mail.outbox) == [
        "also_idle@example.com",
        "idle@example.com",
    ]
    assert "/catalog/" in mail.outbox[0].body


def test_a_second_run_reminds_nobody_again(people):
    run("--days", "7")
    mail.outbox.clear()
    assert "0 reminder(s) sent." in run("--days", "7")
    assert mail.outbox == []
    assert EnrollmentReminder.objects.count() == 2


def test_dry_run_counts_and_sends_nothing(people):
    assert "2 reminder(s) would be sent." in run("--days", "7", "--dry-run")
    assert mail.outbox == []
    assert not EnrollmentReminder.objects.exists()


def test_a_failed_send_is_kept_and_sent_once_the_server_is_back(people, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    assert "2 reminder(s) sent." in run("--days", "7")
    assert mail.outbox == []
    assert Notification.objects.filter(email_sent_at__isnull=True).count() == 2
    monkeypatch.undo()
    make_due_now()  # the backoff has passed
    run_worker()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "also_idle@example.com",
        "idle@example.com",
    ]


def test_the_reminder_carries_a_one_click_unsubscribe(people):
    run("--days", "7")
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_negative_days_is_refused():
    with pytest.raises(CommandError, match="--days"):
        run("--days", "-1")
