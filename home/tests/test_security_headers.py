"""The Content-Security-Policy of production, and pages that satisfy it."""

import json
import logging

import pytest
from bs4 import BeautifulSoup

from config.settings.logs import JSONFormatter

pytestmark = pytest.mark.django_db

POLICY = "default-src 'self'; script-src 'self'; style-src 'self'"


@pytest.fixture
def csp(settings):
    settings.CONTENT_SECURITY_POLICY = POLICY


def test_public_pages_carry_the_policy_and_the_admin_does_not(client, csp, course, superuser):
    assert client.get(course.url)["Content-Security-Policy"] == POLICY
    client.force_login(superuser)
    assert "Content-Security-Policy" not in client.get("/admin/")


def test_no_header_without_a_configured_policy(client, course):
    assert "Content-Security-Policy" not in client.get(course.url)


@pytest.mark.parametrize("who", ["anonymous", "enrolled"])
def test_site_pages_have_no_inline_script_or_style(
    client, csp, who, enrolled_student, course, module
):
    from django.urls import reverse

    urls = ["/", course.get_parent().url, course.url, reverse("learning:catalog")]
    if who == "enrolled":
        client.force_login(enrolled_student)
        urls += [
            module.url,
            reverse("learning:my_learning"),
            reverse("chat:room", args=(course.pk,)),
        ]
    else:
        urls += [reverse("login"), reverse("signup")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        soup = BeautifulSoup(response.content, "html.parser")
        inline_scripts = [s for s in soup.find_all("script") if not s.get("src")]
        assert inline_scripts == [], url
        assert soup.find_all(style=True) == [], url
        assert soup.find_all("style") == [], url


def test_production_log_lines_are_json():
    record = logging.LogRecord("learning", logging.ERROR, __file__, 1, "boom %s", ("x",), None)
    entry = json.loads(JSONFormatter().format(record))
    assert entry["level"] == "ERROR"
    assert entry["message"] == "boom x"
    assert entry["logger"] == "learning"


@pytest.mark.slow
def test_production_logs_go_to_stdout_as_json():
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "learn.example.com",
    }
    code = "import django, logging; django.setup(); logging.getLogger('home').error('boom %s', 1)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"level": "ERROR", "message": "boom 1", "logger": "home"}.items() <= lines[-1].items()
    assert "boom" not in result.stderr
