#!/usr/bin/env python3
"""`make serve`: the production configuration on this machine, without containers.

Runs N app processes (default 2) on consecutive ports from PORT (default 8000), each a daphne
process serving HTTP and the chat WebSockets, with config.settings.production, against the
PostgreSQL and Redis given by DATABASE_URL and REDIS_URL (default: this machine's, on 5432 and
6379). Migrations and collectstatic run first. Ctrl+C (or SIGTERM) stops every process, each
finishing the requests it is serving.

Environment: as for production (README), plus SERVE_PROCESSES, PORT, HOST. A SECRET_KEY is
generated once into var/secret_key when none is given; ALLOWED_HOSTS defaults to the local
names; plain HTTP is allowed (no HTTPS redirect, cookies not marked Secure) since there is no
TLS proxy in front.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def secret_key():
    path = ROOT / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def environment():
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/learning")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("SECRET_KEY", secret_key())
    env.setdefault("ALLOWED_HOSTS", ".localhost,127.0.0.1,[::1]")
    env.setdefault("SECURE_SSL_REDIRECT", "false")
    env.setdefault("SECURE_COOKIES", "false")
    env.setdefault("SECURE_HSTS_SECONDS", "0")
    env.setdefault("DATABASE_CONN_MAX_AGE", "0")
    return env


def ensure_database(env):
    """Create the PostgreSQL database named in DATABASE_URL when the server lacks it."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(env["DATABASE_URL"])
    if "postgresql" not in config["ENGINE"]:
        return
    connection = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    connection.close()


def main():
    env = environment()
    processes = int(env.get("SERVE_PROCESSES", "2"))
    port = int(env.get("PORT", "8000"))
    host = env.get("HOST", "127.0.0.1")
    ensure_database(env)
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], check=True, env=env, cwd=ROOT)
    subprocess.run([*manage, "load_demo", "--if-empty"], check=True, env=env, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], check=True, env=env, cwd=ROOT)
    children = []
    for number in range(processes):
        command = [
            PYTHON, "-m", "daphne", "-b", host, "-p", str(port + number),
            "--proxy-headers", "--application-close-timeout", "20",
            "config.asgi:application",
        ]  # fmt: skip
        children.append(subprocess.Popen(command, env=env, cwd=ROOT))
        print(f"app process {number + 1}: http://{host}:{port + number}/", flush=True)

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        for child in children:
            if child.poll() is not None:
                print(f"an app process exited with {child.returncode}; stopping", flush=True)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
