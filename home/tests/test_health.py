"""Liveness and readiness probes."""

import pytest
from django.test import override_settings

from home import health


@pytest.mark.django_db
def test_healthz_answers_without_touching_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_every_dependency_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_names_an_unreachable_cache(client):
    broken = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5},
        }
    }
    with override_settings(CACHES=broken):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "cache": "failing",
        "channel_layer": "ok",
    }


@pytest.mark.django_db
def test_readyz_names_a_failing_database_without_leaking_details(client, monkeypatch, settings):
    def broken():
        raise RuntimeError(f"could not connect with password {settings.SECRET_KEY}")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failing"
    body = response.content.decode()
    assert settings.SECRET_KEY not in body
    assert "password" not in body and "Django" not in body


def test_probes_refuse_other_methods(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_whatever_the_host_header(client, path):
    # A container's HEALTHCHECK asks 127.0.0.1 while ALLOWED_HOSTS lists the public name only.
    with override_settings(ALLOWED_HOSTS=["learn.example.com"]):
        response = client.get(path, HTTP_HOST="10.0.0.7:8000")
        refused = client.get("/", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert refused.status_code == 400


@pytest.mark.django_db
def test_probes_answer_plain_http_where_https_is_enforced(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = client.get("/healthz")
        redirected = client.get("/")
    assert response.status_code == 200
    assert redirected.status_code == 301
