"""Back up and restore the database and the uploaded media, as a folder of two files.

``database.dump`` (PostgreSQL custom format from pg_dump) or ``database.sqlite3`` (SQLite's
online backup), plus ``media.tar.gz``. Used by ``manage.py backup`` / ``manage.py restore``
(``make backup`` / ``make restore BACKUP=...``).
"""

import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connection

PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA_ARCHIVE = "media.tar.gz"


class BackupError(RuntimeError):
    pass


def _pg_env_and_args():
    db = connection.settings_dict  # the live connection's (in tests: the test database)
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    return env, args, db["NAME"]


def _run(command, env):
    # The command is a fixed tool name with arguments from our own settings, not user input.
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} is not installed: install PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client) in the same major version as the server"
        ) from error
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def backup(target):
    target = Path(target)
    target.mkdir(parents=True, exist_ok=False)
    if connection.vendor == "postgresql":
        env, args, name = _pg_env_and_args()
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                *args,
                "--file",
                str(target / PG_DUMP),
                name,
            ],
            env,
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target / SQLITE_COPY) as copy:
            connection.connection.backup(copy)
    else:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target / MEDIA_ARCHIVE, "w:gz") as archive:
        if media.exists():
            archive.add(media, arcname="media")
    return target


def restore(source):
    source = Path(source)
    if not (source / MEDIA_ARCHIVE).exists():
        raise BackupError(f"{source} is not a backup folder (no {MEDIA_ARCHIVE}).")
    if connection.vendor == "postgresql":
        if not (source / PG_DUMP).exists():
            raise BackupError(f"{source} holds no PostgreSQL dump.")
        connection.close()
        env, args, name = _pg_env_and_args()
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
             *args, "--dbname", name, str(source / PG_DUMP)],
            env,
        )  # fmt: skip
    elif connection.vendor == "sqlite":
        if not (source / SQLITE_COPY).exists():
            raise BackupError(f"{source} holds no SQLite copy.")
        connection.ensure_connection()
        with sqlite3.connect(source / SQLITE_COPY) as copy:
            copy.backup(connection.connection)
    else:
        raise BackupError(f"Restoring {connection.vendor} databases is not supported.")
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(source / MEDIA_ARCHIVE, "r:gz") as archive:
        staging = media.parent / f".{media.name}.restoring"
        shutil.rmtree(staging, ignore_errors=True)
        archive.extractall(staging, filter="data")
        shutil.rmtree(media, ignore_errors=True)
        restored = staging / "media"
        (restored if restored.exists() else staging).rename(media)
        shutil.rmtree(staging, ignore_errors=True)
