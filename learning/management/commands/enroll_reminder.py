"""E-mail users who joined some days ago and have not enrolled in anything: once each."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from learning.models import EnrollmentReminder

logger = logging.getLogger(__name__)

MESSAGE = """Hello {name},

You joined {site} {days} days ago but have not enrolled in a course yet.
Browse the catalogue and pick one that fits: {url}

Happy learning!
"""


class Command(BaseCommand):
    help = "E-mail users who joined more than N days ago and are enrolled in nothing (once each)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help="Minimum account age in days.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count who would be e-mailed; send nothing."
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
            .order_by("pk")
        )
        if dry_run:
            self.stdout.write(f"{users.count()} reminder(s) would be sent.")
            return
        catalog_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("learning:catalog")
        sent = failed = 0
        for user in users.iterator():
            try:
                with transaction.atomic():
                    # Claim the user first: a second run (or a concurrent one) skips them.
                    EnrollmentReminder.objects.create(user=user)
                    send_mail(
                        "Find your first course",
                        MESSAGE.format(
                            name=user.get_short_name() or user.get_username(),
                            site=settings.WAGTAIL_SITE_NAME,
                            days=(timezone.now() - user.date_joined).days,
                            url=catalog_url,
                        ),
                        None,
                        [user.email],
                    )
            except IntegrityError:
                continue  # another run reminded them in the meantime
            except Exception:  # the mail server refused: the claim is rolled back, retry next run
                logger.exception("Could not send the enroll reminder to user %s", user.pk)
                failed += 1
                continue
            sent += 1
        self.stdout.write(self.style.SUCCESS(f"{sent} reminder(s) sent."))
        if failed:
            self.stderr.write(f"{failed} reminder(s) could not be sent; they will be retried.")
