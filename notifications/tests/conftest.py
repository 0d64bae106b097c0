"""Fixtures for the notifications' tests: users made in bulk, and the task worker run in-process."""

import signal
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from conftest import PASSWORD
from notifications import tasks

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]


def make_users(count, prefix="user"):
    """``count`` active users with e-mail addresses, in one INSERT (one password hash)."""
    password = make_password(PASSWORD)
    User = get_user_model()
    User.objects.bulk_create(
        User(
            username=f"{prefix}{n}",
            email=f"{prefix}{n}@example.com",
            first_name="Ada",
            last_name=f"Number{n}",
            password=password,
        )
        for n in range(count)
    )
    return list(
        User.objects.filter(username__startswith=prefix).order_by("pk").values_list("pk", flat=True)
    )


def run_worker():
    """``manage.py db_worker --backend background --batch``: run every task that is due, then
    return.

    The worker closes "old" connections between tasks, which inside a test's transaction would
    end it: that one call is left out here (the transactional test of the outbox runs it as it
    is). Its signal handlers are put back as they were afterwards.
    """
    handlers = {number: signal.getsignal(number) for number in SIGNALS}
    try:
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            call_command(
                "db_worker",
                # An argument, not backend_name=: the command checks its default ("default",
                # an immediate backend here) unless the option is given.
                f"--backend={tasks.BACKEND}",
                batch=True,
                startup_delay=False,
                reload=False,
                verbosity=0,
            )
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def make_due_now():
    """Bring every task scheduled for later to now, as if its backoff had passed."""
    from django.utils import timezone

    return DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


@pytest.fixture
def worker():
    return run_worker
