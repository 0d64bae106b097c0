"""Configuration comes only from the environment, and production refuses to start without it."""

import importlib
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import environment

PRODUCTION = "config.settings.production"
GOOD_SECRET = "s" * 50


def load_settings(module, monkeypatch, **env):
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in [m for m in sys.modules if m.startswith("config.settings.")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module(module)


def test_production_settings_refuse_to_start_without_secret_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings(PRODUCTION, monkeypatch, ALLOWED_HOSTS="learn.example.com")


def test_production_settings_refuse_a_short_secret_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings(PRODUCTION, monkeypatch, SECRET_KEY="short", ALLOWED_HOSTS="a.example")


def test_production_settings_refuse_to_start_without_allowed_hosts(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        load_settings(PRODUCTION, monkeypatch, SECRET_KEY=GOOD_SECRET)


def test_production_settings_start_with_secret_and_hosts(monkeypatch):
    settings = load_settings(
        PRODUCTION, monkeypatch, SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="a.example, b.example"
    )
    assert settings.DEBUG is False
    assert settings.ALLOWED_HOSTS == ["a.example", "b.example"]
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE


def test_base_settings_are_safe_by_default(monkeypatch):
    settings = load_settings("config.settings.base", monkeypatch)
    assert settings.DEBUG is False
    assert settings.SECRET_KEY == ""


def test_embedded_defaults_without_database_or_redis_url(monkeypatch):
    settings = load_settings("config.settings.base", monkeypatch)
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert str(settings.DATABASES["default"]["NAME"]).endswith("var/db.sqlite3")
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"


def test_database_url_selects_postgresql_with_psycopg2(monkeypatch):
    settings = load_settings(
        "config.settings.base", monkeypatch, DATABASE_URL="postgres://u:p@db.internal:5432/learn"
    )
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"], database["USER"]) == ("db.internal", "learn", "u")


def test_redis_url_selects_django_redis_and_channels_redis(monkeypatch):
    settings = load_settings("config.settings.base", monkeypatch, REDIS_URL="redis://cache:6379/2")
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert settings.CACHES["default"]["LOCATION"] == "redis://cache:6379/2"
    layer = settings.CHANNEL_LAYERS["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert [host["address"] for host in layer["CONFIG"]["hosts"]] == ["redis://cache:6379/2"]


def test_sessions_live_in_the_database_with_or_without_a_shared_cache(monkeypatch):
    for env in ({"REDIS_URL": "redis://cache:6379/2"}, {}):
        loaded = load_settings("config.settings.base", monkeypatch, **env)
        assert loaded.SESSION_ENGINE == "django.contrib.sessions.backends.db", env


def test_email_goes_to_the_console_without_an_smtp_host(monkeypatch):
    monkeypatch.delenv("EMAIL_HOST", raising=False)
    settings = load_settings("config.settings.base", monkeypatch)
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"


def test_email_host_selects_smtp_with_its_credentials(monkeypatch):
    settings = load_settings(
        "config.settings.base",
        monkeypatch,
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="2525",
        EMAIL_HOST_USER="mailer",
        EMAIL_HOST_PASSWORD="s3cret",
        EMAIL_USE_TLS="false",
        DEFAULT_FROM_EMAIL="Courses <courses@example.com>",
    )
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings.EMAIL_HOST, settings.EMAIL_PORT) == ("smtp.example.com", 2525)
    assert (settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD) == ("mailer", "s3cret")
    assert settings.EMAIL_USE_TLS is False
    assert settings.DEFAULT_FROM_EMAIL == "Courses <courses@example.com>"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("REDIS_URL", "http://not-redis/"),
        ("DATABASE_URL", "nosuchdb://x/y"),
        ("CHAT_RATE_LIMIT", "many"),
        ("CHAT_RATE_WINDOW_SECONDS", "0"),
    ],
)
def test_a_bad_environment_value_names_the_variable(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings("config.settings.base", monkeypatch, **{name: value})


def test_boolean_reader_accepts_the_usual_words(monkeypatch):
    for word, expected in [("1", True), ("yes", True), ("off", False), ("False", False)]:
        monkeypatch.setenv("FLAG", word)
        assert environment.boolean("FLAG") is expected


@pytest.mark.slow
@pytest.mark.parametrize("entry_point", ["config.asgi", "config.wsgi"])
def test_the_server_entry_points_move_what_they_loaded_out_of_the_collectors_way(entry_point):
    # A full collection of the loaded framework paused a busy chat process for tens of
    # milliseconds every few seconds (docs/performance.md).
    code = f"import gc, {entry_point}; print(gc.get_freeze_count())"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert int(out.stdout.split()[-1]) > 100_000
