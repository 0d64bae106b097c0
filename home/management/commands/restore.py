from django.core.management.base import BaseCommand, CommandError

from home.backups import BackupError, restore


class Command(BaseCommand):
    help = "Replace the database and the media with a backup made by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("source", help="The backup folder.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, source, yes, **options):
        if not yes and input(f"Replace the database and media with {source}? [y/N] ") != "y":
            raise CommandError("Nothing restored.")
        try:
            restore(source)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored {source}"))
