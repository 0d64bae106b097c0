from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from home.backups import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the media into a new folder (default backups/<UTC time>)."

    def add_arguments(self, parser):
        parser.add_argument("target", nargs="?", help="Folder to create for the backup.")

    def handle(self, *args, target=None, **options):
        target = target or f"backups/{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        try:
            folder = backup(target)
        except (BackupError, FileExistsError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written to {folder}"))
