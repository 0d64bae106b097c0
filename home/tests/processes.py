"""Real processes for the fault tests (home/tests/test_faults.py): a throwaway PostgreSQL
cluster, gunicorn and daphne serving the app with production settings, and a plain HTTP client.

Everything listens on free loopback ports of its own: the machine's shared PostgreSQL and Redis
are never touched. The servers run ``config.settings.production`` with a single change (see
SETTINGS_MODULE), so what is tested is what is deployed: PBKDF2 password hashing, persistent
database connections with health checks when DATABASE_CONN_MAX_AGE is set, the Redis page cache.
"""

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from chat.tests.live_servers import (
    DAPHNE,
    REPO,
    START_TIMEOUT,
    free_port,
    read_log,
    stop,
    wait_for_port,
)

PYTHON = sys.executable
GUNICORN = Path(sys.executable).with_name("gunicorn")
REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
PASSWORD = "correct-horse-battery-staple"


def unavailable(reason):
    """Skip for a genuinely missing binary, but fail where CI requires every service."""
    if REQUIRED:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


# --- PostgreSQL ----------------------------------------------------------------------------------
def postgres_bin_dir():
    """The directory holding initdb and pg_ctl: on PATH, or Debian's versioned folder."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temporary folder, on a free port, trust auth.

    PostgreSQL refuses to run as root: as root the cluster belongs to the ``postgres`` user and
    its commands run through ``runuser``. stop() and start() again keep the port and the data,
    which is how the tests simulate a database restart.
    """

    def __init__(self, bin_dir):
        self.bin_dir = Path(bin_dir)
        self.port = free_port()
        # Not under pytest's tmp_path: that folder is private to root, the server's user must
        # be able to reach its own data.
        self.directory = Path(tempfile.mkdtemp(prefix="learning-faults-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.run_as = None
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                unavailable("running as root, PostgreSQL needs runuser to drop to its own user")
            import pwd

            try:
                pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root and there is no 'postgres' user to run PostgreSQL")
            self.run_as = "postgres"
            shutil.chown(self.directory, user="postgres")

    def _run(self, *command):
        command = [str(self.bin_dir / command[0]), *command[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}\n{read_log(self.log)}"
            )

    def init(self):
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self):
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self):
        """A fast shutdown, as an operator restarting the server does: sessions are ended."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self):
        return (self.data / "postmaster.pid").exists()

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name):
        import psycopg2

        connection = psycopg2.connect(self.url("postgres"))
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def query(self, name, sql, params=()):
        """Rows of one query, on a connection of its own."""
        import psycopg2

        connection = psycopg2.connect(self.url(name))
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def destroy(self):
        if self.running():
            with suppress(RuntimeError):
                self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


# --- the app's settings and environment ----------------------------------------------------------
SETTINGS_MODULE = '''"""Production settings, static files found in the app folders: the manifest
storage needs collectstatic, which the fault tests do not run."""

from config.settings.production import *  # noqa: F403
from config.settings.production import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
'''


def app_env(directory, database_url, redis_url=None, **extra):
    """The environment of a production server process on this machine, without TLS."""
    directory = Path(directory)
    (directory / "fault_settings.py").write_text(SETTINGS_MODULE)
    (directory / "media").mkdir(exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "DATABASE_", "REDIS_", "PAGE_CACHE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="fault_settings",
        PYTHONPATH=os.pathsep.join([str(directory), str(REPO)]),
        SECRET_KEY="fault-tests-only-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(directory / "media"),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        TMPDIR=str(directory),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update({key: str(value) for key, value in extra.items()})
    return env


def run_python(env, code):
    """Run ``code`` in a fresh interpreter with Django set up; returns its JSON output."""
    script = "import django, json\ndjango.setup()\n" + code
    result = subprocess.run(
        [PYTHON, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"the script failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def migrate(env):
    result = subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{result.stdout}\n{result.stderr}")


# --- gunicorn and daphne -------------------------------------------------------------------------
class Server:
    """One server process (gunicorn's master, or daphne) on its own port."""

    def __init__(self, kind, command, port, log):
        self.kind, self.command, self.port, self.log = kind, command, port, log
        self.process = None

    def start(self, env):
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait(self):
        wait_for_port(self.port, self.process, self.log, START_TIMEOUT)

    def stop(self):
        if self.process is not None:
            stop(self.process)


def gunicorn(directory, name, workers=1):
    port = free_port()
    command = [str(GUNICORN), "config.wsgi:application", f"--bind=127.0.0.1:{port}"]
    # As docker-compose.yml runs it.
    command += [f"--workers={workers}", "--graceful-timeout=30", "--access-logfile=-"]
    # Gunicorn 27 opens a control socket at one path per user: two masters would share it.
    command += ["--no-control-socket"]
    return Server("gunicorn", command, port, Path(directory) / f"{name}.log")


def daphne(directory, name):
    port = free_port()
    command = [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    return Server("daphne", command, port, Path(directory) / f"{name}.log")


@contextmanager
def serving(env, *servers):
    """Start ``servers`` together (they import Wagtail in parallel) and stop them afterwards."""
    if any(server.kind == "gunicorn" for server in servers) and not GUNICORN.exists():
        unavailable("gunicorn is not installed in this environment")
    try:
        for server in servers:
            server.start(env)
        for server in servers:
            server.wait()
        yield servers
    finally:
        for server in servers:
            server.stop()


def logs(directory):
    return "\n".join(
        f"--- {path.name}\n{read_log(path)}" for path in sorted(Path(directory).glob("*.log"))
    )


# --- an HTTP client ------------------------------------------------------------------------------
class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode(errors="replace")

    def json(self):
        return json.loads(self.body)

    def cookie(self, name):
        for header, value in self.headers:
            if header == "set-cookie" and value.startswith(f"{name}="):
                return value.split(";", 1)[0].split("=", 1)[1]
        return None

    def header(self, name):
        return next((value for header, value in self.headers if header == name.lower()), None)


def fetch(port, path, method="GET", headers=None, body=None, timeout=30):
    """One request over a new TCP connection, as a separate client would make it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Response(
            response.status,
            [(name.lower(), value) for name, value in response.getheaders()],
            response.read(),
        )
    finally:
        connection.close()


def accepted(server_port, client_port):
    """Whether a server process has accept()ed this loopback connection (Linux: a socket
    still in the listen backlog has no inode in /proc/net/tcp)."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None  # not Linux: unknown
    for line in lines:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9] != "0"
    return False


def wait_until(predicate, timeout, interval=0.2, message="the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} did not hold within {timeout} s")
        time.sleep(interval)
