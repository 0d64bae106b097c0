"""Remind users who joined some days ago and have not enrolled in anything: once each.

The reminder is a notification (kind ``enroll_reminder``): the task worker stores it and
e-mails it, with the one-click unsubscribe every notification e-mail carries, to users who keep
that kind of e-mail on (notifications.services.notify). A user is claimed first
(``EnrollmentReminder``), so a second run reminds nobody twice (and a notification is stored
once per user and key, should two runs meet); an e-mail the mail server refused is retried by
the worker and the daily job, never lost.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from learning.models import EnrollmentReminder
from notifications.services import notify

TITLE = "Find your first course"
BODY = (
    "You joined some days ago but have not enrolled in a course yet. Browse the catalogue and "
    "pick one that fits: every course is free."
)


class Command(BaseCommand):
    help = "Remind users who joined more than N days ago and are enrolled in nothing (once each)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help="Minimum account age in days.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count who would be reminded; send nothing."
        )

    def handle(self, *args, days, dry_run, **options):
        if days < 0:
            raise CommandError("--days must be zero or more.")
        cutoff = timezone.now() - timedelta(days=days)
        users = (
            get_user_model()
            .objects.filter(
                is_active=True,
                date_joined__lt=cutoff,
                enrollments__isnull=True,
                enroll_reminder__isnull=True,
            )
            .exclude(email="")
            .distinct()
        )
        if dry_run:
            self.stdout.write(f"{users.count()} reminder(s) would be sent.")
            return
        with transaction.atomic():
            ids = list(users.order_by("pk").values_list("pk", flat=True))
            # Claimed, so that the next run skips them; two concurrent runs may both notify a
            # user, but a notification is stored (and e-mailed) once per user and key.
            EnrollmentReminder.objects.bulk_create(
                [EnrollmentReminder(user_id=pk) for pk in ids], ignore_conflicts=True
            )
            notify(
                ids,
                kind="enroll_reminder",
                title=TITLE,
                body=BODY,
                url=reverse("learning:catalog"),
                key="enroll-reminder",
            )
        self.stdout.write(self.style.SUCCESS(f"{len(ids)} reminder(s) sent."))
