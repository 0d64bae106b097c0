"""The catalogue: every live course, filters, full-text search and pagination."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from learning.models import CoursePage
from learning.tests import factories
from learning.views import CATALOG_PAGE_SIZE

pytestmark = pytest.mark.django_db

URL = reverse("learning:catalog")


def titles(response):
    return [course.title for course in response.context["courses"]]


@pytest.fixture
def catalogue(home, instructor):
    maths = factories.SubjectPageFactory(parent=home, title="Mathematics", slug="maths")
    physics = factories.SubjectPageFactory(parent=home, title="Physics", slug="physics")
    calculus = factories.CoursePageFactory(
        parent=maths,
        title="Calculus",
        overview="<p>Limits and derivatives.</p>",
        level="beginner",
        owner=instructor,
    )
    factories.ModulePageFactory(
        parent=calculus,
        title="Sequences",
        body=[{"type": "text", "value": "<p>The squeeze theorem, hidden in a module.</p>"}],
    )
    factories.CoursePageFactory(
        parent=maths, title="Topology", overview="<p>Open sets.</p>", level="advanced"
    )
    factories.CoursePageFactory(
        parent=physics, title="Optics", overview="<p>Lenses and light.</p>", level="beginner"
    )
    factories.CoursePageFactory(parent=physics, title="Draft physics", live=False)
    return {"maths": maths, "physics": physics, "calculus": calculus}


def test_catalog_lists_every_live_course_and_no_draft(client, catalogue):
    response = client.get(URL)
    assert response.status_code == 200
    assert titles(response) == ["Calculus", "Optics", "Topology"]


def test_catalog_hides_courses_under_an_unpublished_subject(client, catalogue):
    catalogue["physics"].unpublish()
    assert titles(client.get(URL)) == ["Calculus", "Topology"]


def test_catalog_filters_by_subject_and_level(client, catalogue):
    assert titles(client.get(URL, {"subject": "maths"})) == ["Calculus", "Topology"]
    assert titles(client.get(URL, {"level": "beginner"})) == ["Calculus", "Optics"]
    assert titles(client.get(URL, {"subject": "maths", "level": "advanced"})) == ["Topology"]


def test_catalog_explains_an_unknown_subject_or_level_instead_of_failing(client, catalogue):
    response = client.get(URL, {"subject": "alchemy", "level": "wizard"})
    assert response.status_code == 200
    assert titles(response) == ["Calculus", "Optics", "Topology"]
    assert b"There is no subject with that name" in response.content
    assert b"There is no such level" in response.content


def test_search_finds_courses_by_title_and_overview(client, catalogue):
    assert titles(client.get(URL, {"q": "Topology"})) == ["Topology"]
    assert titles(client.get(URL, {"q": "lenses"})) == ["Optics"]


def test_search_finds_a_course_by_its_module_text_without_showing_that_text(client, catalogue):
    response = client.get(URL, {"q": "squeeze"})
    assert titles(response) == ["Calculus"]
    assert "squeeze theorem" not in response.content.decode()


def test_search_combines_with_filters(client, catalogue):
    assert titles(client.get(URL, {"q": "light", "subject": "maths"})) == []
    assert titles(client.get(URL, {"q": "light", "subject": "physics"})) == ["Optics"]


def test_search_ignores_draft_and_unpublished_courses(client, catalogue):
    catalogue["calculus"].unpublish()
    assert titles(client.get(URL, {"q": "squeeze"})) == []
    assert titles(client.get(URL, {"q": "Draft"})) == []


def test_search_term_is_escaped_in_the_page(client, catalogue):
    hostile = '<script>alert("x")</script>'
    response = client.get(URL, {"q": hostile})
    html = response.content.decode()
    assert response.status_code == 200
    assert hostile not in html
    assert escape(hostile) in html


def test_catalog_is_paginated_and_tolerates_bad_page_numbers(client, subject):
    for number in range(CATALOG_PAGE_SIZE + 3):
        factories.CoursePageFactory(parent=subject, title=f"Course {number:02d}")
    first = client.get(URL)
    assert len(titles(first)) == CATALOG_PAGE_SIZE
    second = client.get(URL, {"page": 2})
    assert titles(second) == ["Course 12", "Course 13", "Course 14"]
    assert titles(client.get(URL, {"page": "abc"})) == titles(first)
    assert titles(client.get(URL, {"page": 999})) == titles(second)
    assert CoursePage.objects.count() == CATALOG_PAGE_SIZE + 3


def test_pagination_links_keep_the_filters(client, subject):
    for number in range(CATALOG_PAGE_SIZE + 1):
        factories.CoursePageFactory(parent=subject, title=f"Course {number:02d}", level="advanced")
    html = client.get(URL, {"level": "advanced"}).content.decode()
    assert "?level=advanced&amp;page=2" in html


def test_catalog_queries_stay_flat_as_courses_grow(
    client, subject, instructor, django_assert_max_num_queries
):
    def add(count):
        for _ in range(count):
            factories.CoursePageFactory(
                parent=subject, owner=instructor, image=factories.ImageFactory()
            )

    add(2)
    client.get(URL)
    with django_assert_max_num_queries(25) as few:
        client.get(URL)
    add(8)
    client.get(URL)
    with django_assert_max_num_queries(25) as many:
        client.get(URL)
    assert len(many) == len(few)


@pytest.mark.parametrize("query", ["calc", "Calcu", "CALCULU"])
def test_search_finds_a_course_by_the_beginning_of_a_word(client, catalogue, query):
    assert titles(client.get(URL, {"q": query})) == ["Calculus"]


def test_search_finds_a_course_by_its_instructors_name(client, catalogue, instructor):
    instructor.first_name, instructor.last_name = "Isaac", "Newtonian"
    instructor.save()  # the instructor's courses are indexed again
    assert titles(client.get(URL, {"q": "Newtonian"})) == ["Calculus"]
    assert titles(client.get(URL, {"q": "isaac newt"})) == ["Calculus"]
    assert titles(client.get(URL, {"q": "Newtonian optics"})) == []


def test_search_tolerates_a_typo_on_postgresql(client, catalogue):
    from django.db import connection

    found = titles(client.get(URL, {"q": "calculs"}))
    if connection.vendor == "postgresql":
        assert found == ["Calculus"]
    else:  # SQLite's full-text search has no fuzzy matching: nothing, and no error
        assert found == []
    assert titles(client.get(URL, {"q": "zzqxw"})) == []
