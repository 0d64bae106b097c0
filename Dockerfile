# syntax=docker/dockerfile:1
# The learning site as one image: gunicorn serving config.wsgi (HTTP pages) by default, and
# daphne serving config.asgi (the chat WebSockets) from the same image in docker-compose.yml.
# Configuration comes only from the environment (see .env.example); docker-compose.yml wires it
# to PostgreSQL and Redis.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# --- builder: resolve the pinned requirements into a self-contained venv ------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# Wheels only: every pinned requirement ships a manylinux wheel, so a missing one should fail
# here with a clear message rather than attempt a compile in an image that has no compiler.
RUN /opt/venv/bin/pip install --only-binary=:all: -r /tmp/requirements.txt

# --- runtime -------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    MEDIA_ROOT=/app/var/media

# pg_dump and pg_restore for `manage.py backup` / `restore` (Debian bookworm's, PostgreSQL 15
# like the compose stack's server); nothing else is added to the slim image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid so orchestrators can verify runAsNonRoot.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# Source and collected static files stay root-owned (read-only for the app); only media is writable.
COPY . /app

# Production settings refuse to import without SECRET_KEY and ALLOWED_HOSTS; these dummy values
# exist for this one command only and never reach the running container.
RUN chmod 0755 /app/docker/entrypoint.sh \
    && SECRET_KEY=build-only-collectstatic-not-a-real-secret-key \
       ALLOWED_HOSTS=localhost \
       python manage.py collectstatic --noinput \
    && mkdir -p "$MEDIA_ROOT" \
    && chown app:app "$MEDIA_ROOT"

USER 10001:10001

EXPOSE 8000

# No curl in slim images: ask Python. /healthz answers whatever the host and is exempt from the
# HTTPS redirect.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# HTTP with WSGI workers; docker-compose.yml runs daphne beside it for /ws/.
CMD ["gunicorn", "config.wsgi:application", "--bind=0.0.0.0:8000", "--workers=3", "--access-logfile=-", "--no-control-socket"]
