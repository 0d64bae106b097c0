"""Failures answer cleanly: a database outage is a 503 page, production passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_lost_database_connection_gives_a_503_page_not_a_stack_trace(client, course, monkeypatch):
    from learning.models import CoursePage

    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(CoursePage, "get_context", unreachable)
    client.raise_request_exception = False
    response = client.get(course.url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "Back in a moment" in html
    assert "Traceback" not in html and "Connection refused" not in html


@pytest.mark.slow
def test_production_settings_pass_check_deploy_without_warnings():
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="k" * 20 + "-production-check-" + "z" * 20,
        ALLOWED_HOSTS="learn.example.com",
    )
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
