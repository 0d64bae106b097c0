"""Stored anonymous pages are answered before routing, and never once a page is restricted."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import PageViewRestriction

from core.cache import HEADER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


def test_a_cache_hit_makes_no_database_query(client, course, django_assert_num_queries):
    assert client.get(course.url)[HEADER] == "miss"
    with django_assert_num_queries(0):
        response = client.get(course.url)
    assert response[HEADER] == "hit"


def test_a_course_given_a_password_is_no_longer_served_from_the_cache(client, course):
    client.get(course.url)
    PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    response = client.get(course.url)
    assert response.get(HEADER) != "hit"
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()  # Wagtail's password form


def test_a_course_restricted_to_a_group_is_no_longer_served_from_the_cache(client, course):
    client.get(course.url)
    restriction = PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.create(name="Staff only"))
    response = client.get(course.url)
    assert response.get(HEADER) != "hit"
    assert response.status_code == 302  # to the log-in page
