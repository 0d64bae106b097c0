"""Settings shared by every environment: safe by default (no secret, DEBUG off).

Environment variables (all optional here; production.py requires some of them):
DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, MEDIA_ROOT.
With neither DATABASE_URL nor REDIS_URL the site runs on SQLite under var/, a local-memory
cache and the in-memory channel layer.
"""

from datetime import timedelta
from pathlib import Path

from core.redis_guard import connection_class

from . import environment as env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

SECRET_KEY = env.get("SECRET_KEY", "")
DEBUG = env.boolean("DEBUG", False)
# ".localhost" also admits course subdomains such as calculus.localhost (see home/middleware.py).
ALLOWED_HOSTS = env.listing("ALLOWED_HOSTS", [".localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.listing("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "core",
    "home",
    "learning",
    "chat",
    "notifications",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "wagtail_modeladmin",
    "axes",
    "rest_framework",
    "modelcluster",
    "taggit",
    "django_filters",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # /healthz and /readyz, whatever the Host header (home/health.py).
    "home.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL character in the address: 400 before anything reads it.
    "home.middleware.RefuseNulMiddleware",
    "home.middleware.CourseSubdomainMiddleware",
    "home.middleware.ContentSecurityPolicyMiddleware",
    "home.middleware.DatabaseUnavailableMiddleware",
    "home.middleware.PublicFormFieldLimitMiddleware",
    # Anonymous responses stored by HTTP's rules (core/cache.py): below the middleware that add
    # headers to every answer, above those whose headers and cookies belong to the response.
    "core.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "home.context_processors.navigation",
                # {{ reader.display_name }} in the header (learning/shells.py).
                "learning.shells.reader",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------------
DATABASES = {
    "default": env.database(
        "DATABASE_URL",
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {"timeout": 20},
        },
        # Persistent connections suit WSGI workers; under ASGI (daphne) Django advises against
        # them, as each request may run in a new thread. Off unless the operator sets it.
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.redis_url("REDIS_URL")
# The channel layer may have a Redis of its own: a cache may evict keys under memory pressure,
# a channel layer must not (the compose stack runs one of each). The cache's by default.
CHANNEL_REDIS_URL = env.redis_url("CHANNEL_REDIS_URL") or REDIS_URL
# Key prefix for everything this site writes to Redis: the server may be shared.
REDIS_PREFIX = env.get("REDIS_PREFIX", "learning")
# After a cache command times out or loses its connection, each process answers from the
# database without waiting on Redis for this many seconds (core/redis_guard.py).
REDIS_RETRY_SECONDS = env.integer("REDIS_RETRY_SECONDS", 5, minimum=0)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
                # A cache that cannot be reached is a miss, never an error page; one that just
                # failed to answer is not waited on again for REDIS_RETRY_SECONDS.
                "IGNORE_EXCEPTIONS": True,
                "CONNECTION_POOL_KWARGS": {"connection_class": connection_class(REDIS_URL)},
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Each process waits on Redis with BZPOPMIN for up to 5 s (channels-redis's
                # brpop_timeout), and redis-py's default socket time-out is also 5 s: an idle
                # room would read as a lost Redis and close every socket with 4503. A longer
                # time-out still notices a dead server.
                "hosts": [
                    {
                        "address": CHANNEL_REDIS_URL,
                        "socket_timeout": 15,
                        "socket_connect_timeout": 5,
                    }
                ],
                "prefix": f"{REDIS_PREFIX}:asgi",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# Whole pages for anonymous visitors (core/cache.py): on by default only with Redis, the
# cache every app process shares; 0 turns it off.
PAGE_CACHE_SECONDS = env.integer("PAGE_CACHE_SECONDS", 600 if REDIS_URL else 0)
# How long a process may use the generation it read before reading it again: a change made
# in any process is honoured by every other within this time.
PAGE_CACHE_GENERATION_SECONDS = env.integer("PAGE_CACHE_GENERATION_SECONDS", 5)

# Background tasks (notifications' delivery and e-mails): Django's task framework on the
# database backend, so a task is stored in the transaction that enqueues it and survives a
# restart. `manage.py db_worker` runs them (make run, make serve and the compose stack start one).
#
# "default" stays immediate: Wagtail enqueues its own tasks there (search and reference index
# updates, wagtail/tasks.py), which must be done when a publication returns: search finds the
# page at once, and the reference index says which documents are a module's (their download
# check, learning/wagtail_hooks.py). Our own tasks name the "background" backend:
# ``@task(backend="background")``, run by ``manage.py db_worker --backend background``.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
}

# The header's notification count is kept live over a WebSocket (/ws/notifications/): off for a
# server that takes no WebSockets (Django's test live server), where the count is read per page.
NOTIFICATIONS_LIVE = env.boolean("NOTIFICATIONS_LIVE", True)

# --- Accounts ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "home.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "learning:my_learning"
LOGOUT_REDIRECT_URL = "/"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Sessions live in the database only (Django's default engine), never in the cache: a cache
# write that fails (a paused or unreachable Redis, its errors ignored) would leave a logged-out
# session readable from the cache once Redis answers again (home/tests/test_faults.py).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# The chat takes at most CHAT_RATE_LIMIT messages from one person in each fixed window of
# CHAT_RATE_WINDOW_SECONDS, across their tabs and the server processes.
CHAT_RATE_LIMIT = env.integer("CHAT_RATE_LIMIT", 8, minimum=1)
CHAT_RATE_WINDOW_SECONDS = env.integer("CHAT_RATE_WINDOW_SECONDS", 5, minimum=1)

# Brute-force protection on every log-in form (the site's and the Wagtail admin's): after
# AXES_FAILURE_LIMIT failures for one username, or from one address, further attempts are refused
# until AXES_COOLOFF_MINUTES have passed. The lock ends on its own; a success resets the count.
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For entries are believed
# (docker-compose.yml's NGINX: 1). 0 means requests come straight from clients.
TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_HOST = env.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.integer("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.get("DEFAULT_FROM_EMAIL", "Learning site <noreply@localhost>")

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files --------------------------------------------------------------------
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_URL = "/static/"
MEDIA_ROOT = Path(env.get("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Request bodies other than uploaded files: a module edited in the Wagtail admin with a long
# quiz posts several thousand small fields, far less than 5 MB; anything beyond is refused (400)
# before it reaches a view. Uploaded files are limited by the WAGTAIL*_MAX_UPLOAD_SIZE below.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Outside the admin, forms have a dozen fields: 1,000 or more is refused (home.middleware).
PUBLIC_FORM_MAX_FIELDS = 999
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Wagtail -----------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Learning site"
WAGTAILADMIN_BASE_URL = env.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# Wagtail's database search, its query strings cleaned first (core/search.py).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "core.search"}}
# Instructors publish their own courses directly; there is no moderation step to wait for.
WAGTAIL_WORKFLOW_ENABLED = False
WAGTAILDOCS_EXTENSIONS = [
    "pdf", "txt", "csv", "md", "odt", "ods", "odp", "docx", "xlsx", "pptx", "zip",
    "mp4", "webm", "ogv", "mp3", "ogg", "vtt",
]  # fmt: skip
WAGTAILDOCS_MAX_UPLOAD_SIZE = 100 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAILAPI_LIMIT_MAX = 50
# The API's errors in one shape, Wagtail's: {"message": ...} (core/errors.py).
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "learning.api.throttles.AnonymousRate",
        "learning.api.throttles.UserRate",
    ],
}
# API requests per client (learning/api/throttles.py): anonymous ones by address, signed-in
# ones by account; more are answered 429 with Retry-After. "off" (or empty) lifts a limit.
API_RATE_ANONYMOUS = env.rate("API_RATE_ANONYMOUS", "300/min")
API_RATE_USER = env.rate("API_RATE_USER", "1200/min")
# Set in production.py (home.middleware.ContentSecurityPolicyMiddleware); empty means no header.
CONTENT_SECURITY_POLICY = env.get("CONTENT_SECURITY_POLICY", "")
WAGTAILAPI_BASE_URL = WAGTAILADMIN_BASE_URL

# --- Demo data ---------------------------------------------------------------------------------
DEMO_PASSWORD = env.get("DEMO_PASSWORD") or "learn-wagtail-2026"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A failure that repeats (a dependency down) is logged whole once, then a line a second
    # (core/logs.py).
    "filters": {"repeated_failures": {"()": "core.logs.RepeatedFailureFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["repeated_failures"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "learning": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "chat": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "notifications": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
