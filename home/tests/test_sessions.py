"""Sessions (home/sessions.py): read with the page cache's generation in one round trip, and
otherwise exactly Django's cached_db sessions."""

import pytest
from django.core.cache import caches
from django.test import Client

from conftest import clear_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def engine(settings):
    settings.SESSION_ENGINE = "home.sessions"
    settings.PAGE_CACHE_SECONDS = 60
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def reads(monkeypatch):
    """The keys of every cache read, one list per round trip."""
    made = []
    default = caches["default"]
    get, get_many = default.get, default.get_many
    inside = []  # the in-memory cache's get_many is a get per key: one round trip all the same

    def spy_get(key, *args, **kwargs):
        if not inside:
            made.append([key])
        return get(key, *args, **kwargs)

    def spy_get_many(keys, *args, **kwargs):
        made.append(list(keys))
        inside.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(default, "get", spy_get)
    monkeypatch.setattr(default, "get_many", spy_get_many)
    return made


def logged_in(student):
    client = Client()
    client.force_login(student)
    return client


def test_a_logged_in_page_reads_its_session_beside_the_generation(student, course, reads):
    client = logged_in(student)
    session_key = "django.contrib.sessions.cached_db" + client.session.session_key
    response = client.get(course.url)
    assert student.display_name in response.content.decode()
    assert ["pagecache:generation", session_key] in reads
    assert [session_key] not in reads  # not read again on its own


def test_a_session_the_cache_lost_is_read_from_the_database(student, course):
    client = logged_in(student)
    caches["default"].delete("django.contrib.sessions.cached_db" + client.session.session_key)
    response = client.get(course.url)
    assert student.display_name in response.content.decode()


def test_a_logged_out_session_cookie_is_anonymous(student, course):
    client = logged_in(student)
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    stale = Client()
    stale.cookies["sessionid"] = cookie
    response = stale.get(course.url)
    assert student.display_name not in response.content.decode()
    assert "Log in" in response.content.decode()


def test_a_forged_session_cookie_is_anonymous_and_reads_nothing_twice(course, student, reads):
    client = Client()
    client.cookies["sessionid"] = "x" * 32
    response = client.get(course.url)
    assert response.status_code == 200 and "Log in" in response.content.decode()


def test_without_the_page_cache_the_session_is_read_on_its_own(settings, student, course, reads):
    settings.PAGE_CACHE_SECONDS = 0
    client = logged_in(student)
    session_key = "django.contrib.sessions.cached_db" + client.session.session_key
    response = client.get(course.url)
    assert student.display_name in response.content.decode()
    assert [session_key] in reads
