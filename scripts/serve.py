#!/usr/bin/env python3
"""`make serve`: the production configuration on this machine, without containers.

HTTP and WebSockets are served by different servers, because the benchmark says so
(docs/performance.md): Wagtail's views are synchronous, and gunicorn's sync workers serve them
several times faster than an ASGI server, which hands every request (and every sync
middleware) to a thread. So, on consecutive ports from PORT (default 8000):

* PORT: gunicorn, SERVE_WORKERS sync workers (default CPUs + 1: the pages are CPU-bound against
  a nearby database, and the bench measured more of every page per second with 2 or 3 workers
  than with 5 or 8 on two cores; raise it when the database is far away) running config.wsgi,
  with persistent database connections (DATABASE_CONN_MAX_AGE, default 60 s);
* PORT+1 … PORT+SERVE_PROCESSES (default 2): daphne processes running config.asgi for the chat
  WebSockets under /ws/ (they answer HTTP too, e.g. the probes), with persistent database
  connections too (SERVE_WS_CONN_MAX_AGE, default 60 s): channels runs every consumer's ORM
  call on one thread per process, so one connection per process is reused instead of one
  opened per chat message, which the bench measured as a large gain in chat latency.

Beside them, one task worker (``manage.py db_worker --backend background``) delivers
notifications and sends their e-mails; it stops with the servers.

The chat page opens its WebSocket on the page's own host and port, so for the chat to work in
a browser a proxy in front must send /ws/ to the daphne ports and everything else to PORT, as
docker/nginx.conf does. SERVE_ARCH=daphne runs the previous single-port layout instead:
SERVE_PROCESSES daphne processes sharing one listening socket on PORT, serving HTTP and
WebSockets (slower for pages, but the chat works without a proxy).

Settings: config.settings.production (SERVE_SETTINGS overrides it: the bench uses
bench.settings), against the PostgreSQL and Redis given by DATABASE_URL and
REDIS_URL (default: this machine's, on 5432 and 6379). Migrations, the demo data (only into an
empty database) and collectstatic run first. Ctrl+C (or SIGTERM) stops every process, each
finishing the requests it is serving.

Environment: as for production (README), plus SERVE_ARCH, SERVE_WORKERS, SERVE_PROCESSES,
SERVE_WS_CONN_MAX_AGE, PORT, HOST. A SECRET_KEY is generated once into var/secret_key when none
is given; ALLOWED_HOSTS defaults to the local names; plain HTTP is allowed (no HTTPS redirect,
cookies not marked Secure) since there is no TLS proxy in front. bench/run.py starts its
servers with the functions below, so what is measured is what this script runs.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ARCHITECTURES = ("split", "daphne")


def secret_key():
    path = ROOT / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def environment():
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = env.get("SERVE_SETTINGS", "config.settings.production")
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/learning")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("SECRET_KEY", secret_key())
    env.setdefault("ALLOWED_HOSTS", ".localhost,127.0.0.1,[::1]")
    env.setdefault("SECURE_SSL_REDIRECT", "false")
    env.setdefault("SECURE_COOKIES", "false")
    env.setdefault("SECURE_HSTS_SECONDS", "0")
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


def gunicorn_command(host, port, workers):
    return [
        PYTHON, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"{host}:{port}", "--workers", str(workers), "--worker-class", "sync",
        "--graceful-timeout", "20", "--forwarded-allow-ips", "127.0.0.1",
        # Each gunicorn its own: one control socket per machine would be deleted by the first
        # gunicorn to stop, under every other.
        "--no-control-socket",
    ]  # fmt: skip


def daphne_command(host, port=None, fd=None):
    where = ["--fd", str(fd)] if fd is not None else ["-b", host, "-p", str(port)]
    return [
        PYTHON, "-m", "daphne", *where,
        "--proxy-headers", "--application-close-timeout", "20",
        "config.asgi:application",
    ]  # fmt: skip


def worker_command():
    """The task worker (notifications' delivery and e-mails, on the database task backend)."""
    return [PYTHON, str(ROOT / "manage.py"), "db_worker", "--backend", "background", "--no-reload"]


def start_worker(env):
    return subprocess.Popen(worker_command(), env=env, cwd=ROOT, preexec_fn=_die_with_parent)


def listening_socket(host, port):
    """A listening socket the daphne processes share: the kernel spreads connections."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _die_with_parent():
    """Linux: the app process gets SIGTERM when its parent (this script) dies, however it dies,
    so no server is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def default_workers():
    return (os.cpu_count() or 1) + 1


def start(arch, env, host, port, processes, workers, log=None):
    """Start the app processes of ``arch``; returns (processes, {role: [ports]}).

    ``log``: a file object for the children's output (default: this process's)."""
    if arch not in ARCHITECTURES:
        raise SystemExit(f"SERVE_ARCH must be one of {', '.join(ARCHITECTURES)}, not {arch!r}")
    children, ports = [], {}
    output = {"stdout": log, "stderr": subprocess.STDOUT} if log else {}
    output["preexec_fn"] = _die_with_parent
    if arch == "split":
        wsgi_env = {**env, "DATABASE_CONN_MAX_AGE": env.get("DATABASE_CONN_MAX_AGE", "60")}
        children.append(
            subprocess.Popen(
                gunicorn_command(host, port, workers), env=wsgi_env, cwd=ROOT, **output
            )
        )
        ports["http"] = [port]
        ports["ws"] = [port + 1 + n for n in range(processes)]
        asgi_env = {**env, "DATABASE_CONN_MAX_AGE": env.get("SERVE_WS_CONN_MAX_AGE", "60")}
        for ws_port in ports["ws"]:
            children.append(
                subprocess.Popen(daphne_command(host, ws_port), env=asgi_env, cwd=ROOT, **output)
            )
    else:
        sock = listening_socket(host, port)
        asgi_env = {**env, "DATABASE_CONN_MAX_AGE": env.get("DATABASE_CONN_MAX_AGE", "0")}
        for _ in range(processes):
            children.append(
                subprocess.Popen(
                    daphne_command(host, fd=sock.fileno()),
                    env=asgi_env,
                    cwd=ROOT,
                    pass_fds=[sock.fileno()],
                    **output,
                )
            )
        sock.close()  # the children hold it
        ports["http"] = ports["ws"] = [port]
    return children, ports


def wait_until_listening(children, host, ports, timeout=60):
    deadline = time.monotonic() + timeout
    for port in sorted(set(ports)):
        while True:
            for child in children:
                if child.poll() is not None:
                    raise RuntimeError(f"an app process exited with {child.returncode}")
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"nothing listens on {host}:{port} after {timeout} s"
                    ) from None
                time.sleep(0.2)


def stop(children, timeout=30):
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def prepare(env, demo=True):
    """Database, migrations, demo data (into an empty database only) and static files."""
    ensure_database(env)
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], check=True, env=env, cwd=ROOT)
    if demo:
        subprocess.run([*manage, "load_demo", "--if-empty"], check=True, env=env, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], check=True, env=env, cwd=ROOT)


def main():
    env = environment()
    arch = env.get("SERVE_ARCH", "split")
    processes = int(env.get("SERVE_PROCESSES", "2"))
    workers = int(env.get("SERVE_WORKERS", default_workers()))
    port = int(env.get("PORT", "8000"))
    host = env.get("HOST", "127.0.0.1")
    prepare(env)
    children, ports = start(arch, env, host, port, processes, workers)
    children.append(start_worker(env))
    print("Task worker: manage.py db_worker --backend background", flush=True)
    if arch == "split":
        print(f"HTTP (gunicorn, {workers} workers): http://{host}:{port}/", flush=True)
        for ws_port in ports["ws"]:
            print(f"WebSockets (daphne): ws://{host}:{ws_port}/ws/", flush=True)
        print(
            "The chat page needs a proxy sending /ws/ to the daphne ports (docker/nginx.conf); "
            "SERVE_ARCH=daphne serves everything on one port instead.",
            flush=True,
        )
    else:
        print(f"HTTP and WebSockets ({processes} daphne): http://{host}:{port}/", flush=True)

    def shutdown(*_):
        stop(children)
        sys.exit(0)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    while True:
        for child in children:
            if child.poll() is not None:
                print(f"an app process exited with {child.returncode}; stopping", flush=True)
                shutdown()
        time.sleep(1)


if __name__ == "__main__":
    main()
