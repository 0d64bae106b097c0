"""Enrolling in a course and leaving it."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from conftest import make_user
from learning.models import Enrollment
from learning.tests import factories

pytestmark = pytest.mark.django_db


def enroll_url(course):
    return reverse("learning:enroll", args=(course.pk,))


def leave_url(course):
    return reverse("learning:leave", args=(course.pk,))


def test_anonymous_visitor_sees_enroll_and_is_sent_to_log_in_then_back(client, course, module):
    page = client.get(course.url).content.decode()
    assert f'href="{enroll_url(course)}"' in page
    response = client.get(enroll_url(course))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={enroll_url(course)}"


def test_after_log_in_the_enroll_page_asks_to_confirm_and_post_enrolls(
    client, student, course, module
):
    client.force_login(student)
    confirm = client.get(enroll_url(course))
    assert confirm.status_code == 200
    assert b"Enroll now" in confirm.content
    assert not Enrollment.objects.exists()
    response = client.post(enroll_url(course))
    assert response.status_code == 302
    assert response["Location"] == module.url  # straight to the first module
    assert Enrollment.objects.filter(user=student, course=course).count() == 1


def test_logged_in_visitor_gets_an_enroll_form_with_csrf_protection(client, student, course):
    client.force_login(student)
    html = client.get(course.url).content.decode()
    assert f'action="{enroll_url(course)}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_enrolling_without_a_csrf_token_is_refused(student, course):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(student)
    response = csrf_client.post(enroll_url(course))
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_double_post_enrolls_once(client, student, course, module):
    client.force_login(student)
    first = client.post(enroll_url(course))
    second = client.post(enroll_url(course))
    assert first.status_code == second.status_code == 302
    assert Enrollment.objects.filter(user=student, course=course).count() == 1


def test_database_refuses_a_second_enrollment_row(student, course):
    Enrollment.objects.create(user=student, course=course)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(user=student, course=course)


def test_enrollment_race_that_hits_the_constraint_still_answers_with_a_redirect(
    client, student, course, module, monkeypatch
):
    """Two requests both see "not enrolled"; the loser's insert hits the unique constraint."""
    Enrollment.objects.create(user=student, course=course)

    def racing_get_or_create(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(Enrollment.objects, "get_or_create", racing_get_or_create)
    client.force_login(student)
    response = client.post(enroll_url(course))
    assert response.status_code == 302
    assert Enrollment.objects.filter(user=student).count() == 1


def test_enrolled_student_sees_continue_at_the_last_module_visited(
    client, enrolled_student, course, module
):
    second = factories.ModulePageFactory(parent=course, title="Derivatives")
    client.force_login(enrolled_student)
    client.get(second.url)
    html = client.get(course.url).content.decode()
    assert "Continue: Derivatives" in html
    assert f'href="{second.url}"' in html
    assert f'href="{leave_url(course)}"' in html
    assert f'action="{enroll_url(course)}"' not in html


def test_enroll_page_for_an_enrolled_student_goes_back_to_the_course(
    client, enrolled_student, course
):
    client.force_login(enrolled_student)
    response = client.get(enroll_url(course))
    assert response.status_code == 302
    assert response["Location"] == course.url


@pytest.mark.parametrize("method", ["get", "post"])
def test_enrolling_in_an_unpublished_or_missing_course_is_not_found(
    client, student, course, method
):
    client.force_login(student)
    course.unpublish()
    assert getattr(client, method)(enroll_url(course)).status_code == 404
    assert getattr(client, method)(reverse("learning:enroll", args=(999999,))).status_code == 404
    assert not Enrollment.objects.exists()


def test_leave_asks_to_confirm_then_post_removes_only_that_enrollment(
    client, enrolled_student, course, other_course
):
    Enrollment.objects.create(user=enrolled_student, course=other_course)
    classmate = make_user("classmate")
    Enrollment.objects.create(user=classmate, course=course)
    client.force_login(enrolled_student)
    assert b"Leave the course" in client.get(leave_url(course)).content
    response = client.post(leave_url(course))
    assert response["Location"] == reverse("learning:my_learning")
    assert not Enrollment.objects.filter(user=enrolled_student, course=course).exists()
    assert Enrollment.objects.filter(user=enrolled_student, course=other_course).exists()
    assert Enrollment.objects.filter(user=classmate, course=course).exists()


def test_leaving_a_course_one_is_not_in_changes_nothing(client, student, course):
    client.force_login(student)
    assert client.post(leave_url(course)).status_code == 302
    assert client.post(reverse("learning:leave", args=(999999,))).status_code == 404


def test_leaving_requires_log_in(client, course):
    response = client.post(leave_url(course))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
