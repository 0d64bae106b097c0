#!/usr/bin/env bash
# Container entrypoint: wait for the database, apply migrations, then run the given command
# (gunicorn by default, see the Dockerfile's CMD) as PID 1 so it receives the stop signal.
set -euo pipefail

# The project root (/app in the image), wherever the script is run from.
cd "$(dirname "$0")/.."

# Django's own connection is used rather than a TCP probe: it honours DATABASE_URL exactly,
# SQLite included, and a bad URL or missing setting fails here with Django's message.
python - <<'PY'
import os
import sys
import time

import django

django.setup()

from django.db import connection
from django.db.utils import OperationalError

timeout = float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
deadline = time.monotonic() + timeout
while True:
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        if time.monotonic() >= deadline:
            sys.exit(f"entrypoint: the database is still unreachable after {timeout:g} s: {exc}")
        print("entrypoint: waiting for the database...", file=sys.stderr, flush=True)
        time.sleep(2)
    else:
        connection.close()
        break
PY

python manage.py migrate --noinput

exec "$@"
