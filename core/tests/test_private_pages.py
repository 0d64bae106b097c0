"""A page answered to a reader with a session is private: no shared cache keeps it (issue 16)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("cache_seconds", [0, 60])
def test_a_logged_in_readers_pages_say_cache_control_private(
    settings, course, module, enrolled_student, cache_seconds
):
    settings.PAGE_CACHE_SECONDS = cache_seconds
    client = Client()
    client.force_login(enrolled_student)
    for url in ["/", course.url, module.url, "/catalog/", "/learn/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private" in response["Cache-Control"], url


def test_an_anonymous_visitors_page_stays_cacheable(settings, course):
    settings.PAGE_CACHE_SECONDS = 60
    response = Client().get(course.url)
    assert "private" not in response.get("Cache-Control", "")
