"""/api/v2/documents/ lists a module's documents only to the people who may download them."""

import pytest

from learning.models import Enrollment
from learning.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def handout(module):
    """A document used by the ``module`` body, and a public one no module uses."""
    document = factories.DocumentFactory(title="Secret handout", filename="secret-handout.pdf")
    module.body = [
        {"type": "file", "value": {"document": document.pk, "title": "", "description": ""}}
    ]
    module.save_revision().publish()
    factories.DocumentFactory(title="Public syllabus", filename="syllabus.pdf")
    return document


def listed_titles(client):
    response = client.get("/api/v2/documents/?fields=title")
    assert response.status_code == 200
    return {item["title"] for item in response.json()["items"]}


def test_anonymous_client_sees_public_documents_but_no_module_handout(client, handout):
    assert listed_titles(client) == {"Public syllabus"}
    assert client.get(f"/api/v2/documents/{handout.pk}/").status_code == 404


def test_search_does_not_reveal_a_module_handout(client, handout):
    response = client.get("/api/v2/documents/?search=secret")
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("who", ["non-enrolled student", "another instructor"])
def test_people_outside_the_course_do_not_see_its_handouts(
    client, handout, student, other_instructor, other_module, who
):
    client.force_login(
        {"non-enrolled student": student, "another instructor": other_instructor}[who]
    )
    assert listed_titles(client) == {"Public syllabus"}
    assert client.get(f"/api/v2/documents/{handout.pk}/").status_code == 404


@pytest.mark.parametrize(
    "who", ["enrolled student", "instructor of the course", "editor", "superuser"]
)
def test_people_of_the_course_see_its_handouts(
    client, handout, student, course, instructor, editor, superuser, who
):
    if who == "enrolled student":
        Enrollment.objects.create(user=student, course=course)
    reader = {
        "enrolled student": student,
        "instructor of the course": instructor,
        "editor": editor,
        "superuser": superuser,
    }[who]
    client.force_login(reader)
    assert listed_titles(client) == {"Public syllabus", "Secret handout"}
    assert client.get(f"/api/v2/documents/{handout.pk}/").status_code == 200


def test_a_student_who_leaves_the_course_no_longer_sees_its_handouts(
    client, handout, student, course
):
    enrollment = Enrollment.objects.create(user=student, course=course)
    client.force_login(student)
    assert "Secret handout" in listed_titles(client)
    enrollment.delete()
    assert listed_titles(client) == {"Public syllabus"}
