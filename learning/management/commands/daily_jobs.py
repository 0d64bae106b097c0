"""The daily jobs, in one command for cron or the compose stack's ``daily`` service.

Each is idempotent (a second run the same day does nothing more): the notices of modules
opening and quizzes due tomorrow (learning.daily), the enroll reminder (once per user), and
the notification e-mails the worker has not managed to send yet.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from learning.daily import send_notices
from notifications.services import retry_unsent


class Command(BaseCommand):
    help = "Run the daily jobs: opening and due-date notices, enroll reminders, unsent e-mails."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reminder-days",
            type=int,
            default=7,
            help="Remind users who joined this many days ago and enrolled in nothing (default 7).",
        )

    def handle(self, *args, reminder_days, **options):
        counts = send_notices()
        self.stdout.write(
            f"Notices queued: {counts.get('module_open', 0)} module opening(s), "
            f"{counts.get('due_soon', 0)} due date(s)."
        )
        call_command("enroll_reminder", days=reminder_days, stdout=self.stdout)
        self.stdout.write(f"Unsent e-mails queued again: {retry_unsent()}.")
