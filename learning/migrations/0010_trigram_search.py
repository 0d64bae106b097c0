"""PostgreSQL's pg_trgm extension, for the catalogue's typo-tolerant search (modelsearch's
Fuzzy queries). A trusted extension: a database's owner may create it. Nothing on SQLite."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("learning", "0009_attempt_numbers_beyond_32767")]

    operations = [TrigramExtension()]
