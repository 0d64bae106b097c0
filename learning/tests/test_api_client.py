"""examples/enroll_all.py, the documented API client, run for real against a live server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from wagtail.models import APIToken

from conftest import PASSWORD
from learning.models import Enrollment
from learning.tests import factories

# The live server answers from another thread, so the data must be committed (the root conftest
# puts the migrations' data back after each transactional test).
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "enroll_all.py"


def run_client(live_server, *args, password=None):
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEARNING_")}
    if password is not None:
        env["LEARNING_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--base-url", live_server.url, *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


@pytest.fixture
def catalogue(course, other_course, instructor, other_instructor):
    """Two courses with their modules (and a draft module that must not be listed)."""
    for title in ["Limits", "Derivatives"]:
        factories.ModulePageFactory(parent=course, title=title, owner=instructor)
    factories.ModulePageFactory(parent=course, title="Secret draft", live=False)
    factories.ModulePageFactory(parent=other_course, title="Groups", owner=other_instructor)
    return [course, other_course]


def test_enroll_all_with_a_password_enrolls_in_every_course(live_server, student, catalogue):
    result = run_client(live_server, "--username", "student", password=PASSWORD)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "2 course(s) available." in out
    assert "Calculus (enrolled)" in out
    assert "Algebra (enrolled)" in out
    assert "  1. Limits\n  2. Derivatives\n" in out
    assert "  1. Groups\n" in out
    assert "Secret draft" not in out
    enrolled = Enrollment.objects.filter(user=student).values_list("course_id", flat=True)
    assert sorted(enrolled) == sorted(course.pk for course in catalogue)


def test_enroll_all_a_second_time_says_already_enrolled(live_server, student, catalogue):
    Enrollment.objects.create(user=student, course=catalogue[0])
    result = run_client(live_server, "--username", "student", password=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "Calculus (already enrolled)" in result.stdout
    assert "Algebra (enrolled)" in result.stdout
    assert Enrollment.objects.filter(user=student).count() == 2


def test_enroll_all_with_a_token_enrolls_in_every_course(live_server, student, catalogue):
    _, token = APIToken.create_token(user=student, name="enroll_all")
    result = run_client(live_server, "--token", token)
    assert result.returncode == 0, result.stderr
    assert "Calculus (enrolled)" in result.stdout
    assert "Algebra (enrolled)" in result.stdout
    assert "  1. Limits\n  2. Derivatives\n" in result.stdout
    assert Enrollment.objects.filter(user=student).count() == 2


def test_enroll_all_pages_through_more_courses_than_one_page(live_server, student, subject):
    courses = [factories.CoursePageFactory(parent=subject) for _ in range(23)]  # page size: 20
    _, token = APIToken.create_token(user=student, name="enroll_all")
    result = run_client(live_server, "--token", token)
    assert result.returncode == 0, result.stderr
    assert "23 course(s) available." in result.stdout
    assert Enrollment.objects.filter(user=student).count() == len(courses)


def test_enroll_all_with_a_wrong_password_says_so_and_enrolls_nobody(
    live_server, student, catalogue
):
    result = run_client(live_server, "--username", "student", password="wrong")
    assert result.returncode == 1
    assert "The credentials were refused." in result.stderr
    assert "Traceback" not in result.stderr
    assert not Enrollment.objects.exists()


def test_enroll_all_with_a_revoked_token_says_so(live_server, student, catalogue):
    instance, token = APIToken.create_token(user=student, name="old")
    instance.revoke()
    result = run_client(live_server, "--token", token)
    assert result.returncode == 1
    assert "The credentials were refused." in result.stderr
    assert not Enrollment.objects.exists()
