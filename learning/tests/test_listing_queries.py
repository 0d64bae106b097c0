"""Listing pages make the same number of SQL queries whatever the number of children."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learning.tests import factories

pytestmark = pytest.mark.django_db

# A ceiling, so that a flat but wasteful page fails too. A module page read by an enrolled
# student does more (access check, visit, progress, quiz state) than a public listing.
MAX_QUERIES = 16
MAX_MODULE_PAGE_QUERIES = 22


def queries_for(client, url, assert_max_queries=None, ceiling=MAX_QUERIES):
    client.get(url)  # warm-up: image renditions are generated (and saved) on the first view
    with (
        assert_max_queries(ceiling)
        if assert_max_queries
        else CaptureQueriesContext(connection) as captured
    ):
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_courses(subject, owner, count):
    courses = []
    for _ in range(count):
        course = factories.CoursePageFactory(
            parent=subject, owner=owner, image=factories.ImageFactory()
        )
        for _ in range(2):
            factories.ModulePageFactory(parent=course, owner=owner)
        courses.append(course)
    return courses


@pytest.mark.parametrize("page", ["home", "subject"])
def test_course_listings_make_flat_queries_as_courses_grow(
    client, home, subject, instructor, page, django_assert_max_num_queries
):
    url = "/" if page == "home" else subject.url
    add_courses(subject, instructor, 2)
    few = queries_for(client, url)
    add_courses(subject, instructor, 6)
    many = queries_for(client, url, django_assert_max_num_queries)
    assert many == few


def test_home_subject_list_makes_flat_queries_as_subjects_grow(
    client, home, instructor, django_assert_max_num_queries
):
    for _ in range(2):
        add_courses(factories.SubjectPageFactory(parent=home), instructor, 1)
    few = queries_for(client, "/")
    for _ in range(5):
        add_courses(factories.SubjectPageFactory(parent=home), instructor, 1)
    many = queries_for(client, "/", django_assert_max_num_queries)
    assert many == few


@pytest.mark.parametrize("page", ["course", "module"])
def test_module_listings_make_flat_queries_as_modules_grow(
    student_client, course, module, instructor, page, django_assert_max_num_queries
):
    client = student_client
    url = course.url if page == "course" else module.url
    ceiling = MAX_QUERIES if page == "course" else MAX_MODULE_PAGE_QUERIES
    factories.ModulePageFactory(parent=course, owner=instructor)
    few = queries_for(client, url)
    for _ in range(8):
        factories.ModulePageFactory(parent=course, owner=instructor)
    many = queries_for(client, url, django_assert_max_num_queries, ceiling)
    assert many == few
