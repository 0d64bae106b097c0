"""'My learning': the student's courses and the way back into each."""

import pytest
from django.urls import reverse

from learning.models import Enrollment
from learning.tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("learning:my_learning")


def test_my_learning_requires_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_empty_state_sends_the_student_to_the_catalog(client, student):
    client.force_login(student)
    html = client.get(URL).content.decode()
    assert "You have not enrolled in a course yet." in html
    assert f'href="{reverse("learning:catalog")}"' in html


def test_lists_courses_with_module_count_enrolled_date_and_continue_link(
    client, enrolled_student, course, module
):
    second = factories.ModulePageFactory(parent=course, title="Derivatives")
    client.force_login(enrolled_student)
    html = client.get(URL).content.decode()
    assert "Calculus" in html
    assert "2 modules" in html
    assert "Not started yet." in html
    assert f'href="{module.url}"' in html  # continue: the first module

    client.get(second.url)
    html = client.get(URL).content.decode()
    assert "Last visited: " in html and "Derivatives" in html
    enrolled_on = Enrollment.objects.get(user=enrolled_student).created_at
    assert f"Enrolled {enrolled_on.day} {enrolled_on:%B %Y}." in html


def test_shows_only_the_students_own_live_courses(
    client, enrolled_student, student, course, other_course, instructor
):
    unpublished = factories.CoursePageFactory(parent=course.get_parent(), title="Withdrawn")
    Enrollment.objects.create(user=enrolled_student, course=unpublished)
    unpublished.unpublish()
    someone = factories.CoursePageFactory(parent=course.get_parent(), title="Someone else's")
    Enrollment.objects.create(user=instructor, course=someone)
    client.force_login(enrolled_student)
    html = client.get(URL).content.decode()
    assert "Calculus" in html
    assert "Withdrawn" not in html
    assert "Someone else" not in html


def test_my_learning_queries_stay_flat_as_courses_grow(
    client, student, subject, instructor, django_assert_max_num_queries
):
    def enroll_in(count):
        for _ in range(count):
            course = factories.CoursePageFactory(
                parent=subject, owner=instructor, image=factories.ImageFactory()
            )
            modules = [factories.ModulePageFactory(parent=course) for _ in range(2)]
            Enrollment.objects.create(user=student, course=course, last_module=modules[1])

    client.force_login(student)
    enroll_in(2)
    client.get(URL)
    with django_assert_max_num_queries(17) as few:
        client.get(URL)
    enroll_in(8)
    client.get(URL)
    with django_assert_max_num_queries(17) as many:
        client.get(URL)
    assert len(many) == len(few)
