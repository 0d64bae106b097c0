"""Sessions live in the database only: a logged-out or forged cookie is anonymous, and nothing
of a session is in the cache, where a write that failed could leave it readable
(home/tests/test_faults.py pauses Redis while a session ends)."""

import pytest
from django.core.cache import caches
from django.test import Client

from conftest import clear_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 60
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def cache_writes(monkeypatch):
    """The keys of every cache write."""
    made = []
    default = caches["default"]
    for name in ("set", "add", "set_many"):
        method = getattr(default, name)

        def spy(key, *args, method=method, **kwargs):
            made.extend([key] if isinstance(key, str) else list(key))
            return method(key, *args, **kwargs)

        monkeypatch.setattr(default, name, spy)
    return made


def test_a_logged_out_session_cookie_is_anonymous(student, course):
    client = Client()
    client.force_login(student)
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    stale = Client()
    stale.cookies["sessionid"] = cookie
    response = stale.get(course.url)
    assert student.display_name not in response.content.decode()
    assert "Log in" in response.content.decode()


def test_a_forged_session_cookie_is_anonymous(course):
    client = Client()
    client.cookies["sessionid"] = "x" * 32
    response = client.get(course.url)
    assert response.status_code == 200 and "Log in" in response.content.decode()


def test_nothing_of_a_session_is_written_to_the_cache(student, course, cache_writes):
    client = Client()
    client.force_login(student)
    session_key = client.cookies["sessionid"].value
    assert student.display_name in client.get(course.url).content.decode()
    client.post("/accounts/logout/")
    assert not [key for key in cache_writes if session_key in str(key)]
    assert not [key for key in cache_writes if "session" in str(key)]
