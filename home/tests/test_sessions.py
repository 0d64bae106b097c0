"""Sessions with a shared cache: Django's cached_db, read from the cache and kept in the
database, so that a session outlives a flushed cache and a forged or stale cookie is
anonymous."""

import pytest
from django.core.cache import caches
from django.test import Client

from conftest import clear_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def engine(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
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


def test_a_logged_in_page_reads_its_session_from_the_cache_once(student, course, reads):
    client = logged_in(student)
    session_key = "django.contrib.sessions.cached_db" + client.session.session_key
    response = client.get(course.url)
    assert student.display_name in response.content.decode()
    assert [keys for keys in reads if session_key in keys] == [[session_key]]
