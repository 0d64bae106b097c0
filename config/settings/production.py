"""Production: refuses to start without a secret key and a host list."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STORAGES, env

SECRET_KEY = env.require("SECRET_KEY")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long in production.")
ALLOWED_HOSTS = env.listing("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "The environment variable ALLOWED_HOSTS is required in production "
        "(a comma-separated list of host names)."
    )
DEBUG = env.boolean("DEBUG", False)

# Static files are collected at build time and served by WhiteNoise, compressed and with
# content-hashed names that can be cached forever.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes talk plain HTTP inside the network
# Only for a local run without TLS (make serve): browsers drop Secure cookies over plain HTTP.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.boolean("SECURE_COOKIES", True)
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 3600)
# Course subdomains (<course>.<domain>) are served by this same app, over HTTPS like the rest.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind the compose stack's NGINX, documents are sent by NGINX after Django's permission check.
if env.boolean("SENDFILE_NGINX", False):
    SENDFILE_BACKEND = "home.sendfile_nginx"
    WAGTAILDOCS_SERVE_METHOD = "serve_view"

# Wagtail's live preview shows the page in a same-origin iframe, so DENY would break it.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = [
    "security.W019",  # X_FRAME_OPTIONS is SAMEORIGIN on purpose (see above)
    "security.W021",  # HSTS preload is a one-way commitment: the operator opts in
]

# Content-Security-Policy for the public pages (home.middleware.ContentSecurityPolicyMiddleware);
# the Wagtail admin, which needs inline scripts, is left to its own defaults. The environment's
# CONTENT_SECURITY_POLICY, when set, replaces this one (say, to allow another video host).
CONTENT_SECURITY_POLICY = env.get("CONTENT_SECURITY_POLICY") or "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self' wss: ws:",
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.settings.logs.JSONFormatter"}},
    # A failure that repeats (a dependency down) is logged whole once, then a line a second
    # (core/logs.py).
    "filters": {"repeated_failures": {"()": "core.logs.RepeatedFailureFilter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["repeated_failures"],
        }
    },
    "root": {"handlers": ["stdout"], "level": env.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},  # one line per background task is noise
    },
}
