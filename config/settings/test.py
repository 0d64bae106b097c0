"""Tests: fast hashing, isolated Redis keys, files written to a temporary folder."""

import os
import tempfile
from pathlib import Path

from . import environment as env
from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYERS, DATABASES, REDIS_URL

SECRET_KEY = "test-only-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="learning-test-media-"))
STATIC_ROOT = tempfile.mkdtemp(prefix="learning-test-static-")
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
WAGTAILADMIN_BASE_URL = "http://testserver"

# Off unless a test turns it on (learning/tests/test_page_cache.py), or the whole suite runs
# with it (TEST_PAGE_CACHE_SECONDS, CI's PostgreSQL + Redis pass). Each test starts with an empty
# cache and a generation read afresh (conftest.clear_cache).
PAGE_CACHE_SECONDS = env.integer("TEST_PAGE_CACHE_SECONDS", 0)

if REDIS_URL:
    # The Redis server is shared with everything on the machine: keep to our own keys. Server
    # processes started by a test (chat/tests/test_two_processes.py) are given one to share.
    _prefix = env.get("LEARNING_TEST_REDIS_PREFIX") or f"learning-test-{os.getpid()}"
    CACHES["default"]["KEY_PREFIX"] = _prefix
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{_prefix}:asgi"

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # A commit need not wait for the server's disk: the test databases are thrown away, and the
    # tests flush and reload whole tables after each transactional test.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()

# Static files straight from the app folders (server processes started by tests have no
# collected static files).
WHITENOISE_USE_FINDERS = True
# The API's request rates are off unless a test sets them (learning/tests/test_api_rates.py):
# the suite sends thousands of requests from one address.
# Browser tests on Django's live server (WSGI) have no WebSockets; daphne's turn it on
# (chat/tests/live_servers.py).
NOTIFICATIONS_LIVE = env.boolean("NOTIFICATIONS_LIVE", False)
API_RATE_ANONYMOUS = env.rate("TEST_API_RATE_ANONYMOUS", "")
API_RATE_USER = env.rate("TEST_API_RATE_USER", "")
SHELLS_FAIL_LOUDLY = True  # learning/shells.py: a shell that reads the reader fails the request
