"""Who can read a module: enrolled students and the course's people, nobody else."""

import pytest
from wagtail.models import PageViewRestriction

from conftest import make_user
from learning.models import Enrollment
from learning.tests import factories

pytestmark = pytest.mark.django_db

SECRET = "The epsilon-delta secret sauce"


@pytest.fixture
def secret_module(module):
    module.body = [{"type": "text", "value": f"<p>{SECRET}</p>"}]
    module.description = "Public summary of the module."
    module.save_revision().publish()
    return module


@pytest.fixture
def reader(request, db, student, instructor, other_instructor, editor, superuser, course):
    role = request.param
    if role == "anonymous":
        return None
    if role == "enrolled":
        Enrollment.objects.create(user=student, course=course)
        return student
    return {
        "non-enrolled": student,
        "instructor of the course": instructor,
        "another instructor": other_instructor,
        "editor": editor,
        "superuser": superuser,
    }[role]


ALLOWED = ["enrolled", "instructor of the course", "editor", "superuser"]
REFUSED = ["non-enrolled", "another instructor"]


@pytest.mark.parametrize("reader", ALLOWED, indirect=True)
def test_module_is_readable_by(client, reader, secret_module):
    client.force_login(reader)
    response = client.get(secret_module.url)
    assert response.status_code == 200
    assert SECRET in response.content.decode()


@pytest.mark.parametrize("reader", REFUSED, indirect=True)
def test_module_is_refused_with_an_offer_to_enroll_to(client, reader, secret_module, course):
    client.force_login(reader)
    response = client.get(secret_module.url)
    html = response.content.decode()
    assert response.status_code == 403
    assert "Enroll to read" in html
    assert f'action="/learn/courses/{course.pk}/enroll/"' in html
    assert SECRET not in html  # not in the page, comments or anywhere else


def test_anonymous_visitor_is_sent_to_log_in_and_sees_no_module_text(client, secret_module):
    response = client.get(secret_module.url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={secret_module.url}"
    assert SECRET not in response.content.decode()


def test_course_page_never_shows_module_bodies(client, secret_module, course):
    html = client.get(course.url).content.decode()
    assert "Public summary of the module." in html
    assert SECRET not in html


def test_reading_a_module_records_it_as_the_last_visited(client, enrolled_student, course, module):
    client.force_login(enrolled_student)
    client.get(module.url)
    enrollment = Enrollment.objects.get(user=enrolled_student, course=course)
    assert enrollment.last_module_id == module.pk
    assert enrollment.last_visited_at is not None


def test_a_refused_visit_records_nothing(client, student, course, module):
    other = make_user("other")
    Enrollment.objects.create(user=other, course=course)
    client.force_login(student)
    client.get(module.url)
    assert Enrollment.objects.get(user=other).last_module_id is None
    assert not Enrollment.objects.filter(user=student).exists()


def test_wagtail_password_restriction_still_applies_to_enrolled_students(
    client, enrolled_student, course, secret_module
):
    PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.PASSWORD, password="letmein"
    )
    client.force_login(enrolled_student)
    response = client.get(secret_module.url)
    assert response.status_code == 200  # Wagtail's password form
    assert SECRET not in response.content.decode()
    assert b'name="password"' in response.content


def test_wagtail_group_restriction_refuses_an_enrolled_student_outside_the_group(
    client, enrolled_student, course, secret_module
):
    from django.contrib.auth.models import Group

    restriction = PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.get(name="Editors"))
    client.force_login(enrolled_student)
    response = client.get(secret_module.url)
    assert SECRET not in response.content.decode()
    assert response.status_code in (302, 403)


def test_reloading_a_module_writes_the_visit_at_most_once_a_minute(
    client, enrolled_student, course, module
):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    second = factories.ModulePageFactory(parent=course, title="Derivatives")
    client.force_login(enrolled_student)
    client.get(module.url)
    enrollment = Enrollment.objects.get(user=enrolled_student, course=course)
    first_visit = enrollment.last_visited_at

    with CaptureQueriesContext(connection) as queries:
        assert client.get(module.url).status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    enrollment.refresh_from_db()
    assert enrollment.last_visited_at == first_visit

    client.get(second.url)  # another module: at once, for the course page's "Continue"
    enrollment.refresh_from_db()
    assert enrollment.last_module_id == second.pk

    Enrollment.objects.filter(pk=enrollment.pk).update(
        last_visited_at=timezone.now() - timedelta(minutes=2)
    )
    client.get(second.url)  # the same module, a while later: written again
    enrollment.refresh_from_db()
    assert timezone.now() - enrollment.last_visited_at < timedelta(seconds=30)
