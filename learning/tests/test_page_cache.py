"""Anonymous pages come from the shared cache; nobody gets a page rendered for someone else."""

import logging
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from conftest import clear_cache
from learning.cache import HEADER
from learning.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 60
    clear_cache()
    yield
    clear_cache()


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("page", ["home", "subject", "course", "catalog"])
def test_second_anonymous_request_is_a_cache_hit(client, page, home, subject, course):
    url = {"home": "/", "subject": subject.url, "course": course.url}.get(
        page, reverse("learning:catalog")
    )
    first = get(client, url)
    second = get(client, url)
    assert first[HEADER] == "miss"
    assert second[HEADER] == "hit"
    assert second.content == first.content


def test_logged_in_user_never_gets_the_anonymous_copy(client, course, student):
    get(client, course.url)
    client.force_login(student)
    response = get(client, course.url)
    assert HEADER not in response
    assert student.display_name in response.content.decode()


def test_a_page_rendered_for_a_user_is_never_served_to_anyone_else(client, course, student):
    client.force_login(student)
    get(client, course.url)
    client.logout()
    response = get(client, course.url)
    assert response[HEADER] == "miss"
    assert student.display_name not in response.content.decode()
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_publishing_a_page_invalidates_cached_listings(client, subject, course):
    get(client, subject.url)
    course.title = "Calculus, second edition"
    course.save_revision().publish()
    response = get(client, subject.url)
    assert response[HEADER] == "miss"
    assert "Calculus, second edition" in response.content.decode()


def test_unpublishing_moving_and_deleting_invalidate_the_cache(client, home, subject, course):
    get(client, subject.url)
    course.unpublish()
    assert "Calculus" not in get(client, subject.url).content.decode()

    course.save_revision().publish()
    elsewhere = factories.SubjectPageFactory(parent=home, title="Elsewhere")
    get(client, subject.url)
    course.move(elsewhere, pos="last-child")
    assert "Calculus" not in get(client, subject.url).content.decode()

    get(client, elsewhere.url)
    course.refresh_from_db()
    course.delete()
    assert "Calculus" not in get(client, elsewhere.url).content.decode()


def test_responses_are_marked_private_for_shared_proxies(client, course):
    assert "private" in get(client, course.url)["Cache-Control"]


def test_pages_are_served_when_the_cache_server_is_down(client, course, caplog):
    broken = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5},
        }
    }
    with (
        override_settings(CACHES=broken, DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS=True),
        caplog.at_level(logging.ERROR),
    ):
        first = get(client, course.url)
        second = get(client, course.url)
    assert "Calculus" in first.content.decode()
    assert second[HEADER] == "miss"  # every lookup is a miss, never an error page
    assert any(record.name.startswith("django_redis") for record in caplog.records)


def leave_then_log_out(client, student, course):
    """Leave a course and log out before the "You have left" message is shown.

    The message waits in the messages cookie, which outlives the session: the visitor is
    anonymous again, with a message pending.
    """
    from learning.models import Enrollment

    Enrollment.objects.create(user=student, course=course)
    client.force_login(student)
    client.post(reverse("learning:leave", args=(course.pk,)))  # redirect not followed
    client.post(reverse("logout"))
    assert client.cookies.get("messages") and client.cookies["messages"].value


@pytest.mark.parametrize("page", ["home", "course", "catalog"])
def test_visitor_with_a_pending_message_gets_a_fresh_page_with_it_not_the_stored_one(
    client, page, home, course, student
):
    url = {"home": "/", "course": course.url, "catalog": reverse("learning:catalog")}[page]
    leave_then_log_out(client, student, course)
    assert get(Client(), url)[HEADER] == "miss"  # a copy is stored for anonymous visitors
    assert get(Client(), url)[HEADER] == "hit"
    response = get(client, url)
    assert response.get(HEADER) != "hit"
    assert "You have left “Calculus”." in response.content.decode()


@pytest.mark.parametrize("page", ["home", "course", "catalog"])
def test_a_page_showing_a_pending_message_is_not_stored_for_other_visitors(
    client, page, home, course, student
):
    url = {"home": "/", "course": course.url, "catalog": reverse("learning:catalog")}[page]
    leave_then_log_out(client, student, course)
    shown = get(client, url)
    assert "You have left “Calculus”." in shown.content.decode()
    assert HEADER not in shown  # not stored
    other = Client()
    response = get(other, url)
    assert response[HEADER] == "miss"
    assert "You have left" not in response.content.decode()


def test_deleting_something_other_than_a_page_keeps_the_cached_pages(client, course, student):
    from learning.models import Enrollment

    enrollment = Enrollment.objects.create(user=student, course=course)
    assert get(client, course.url)[HEADER] == "miss"
    enrollment.delete()
    assert get(client, course.url)[HEADER] == "hit"


# --- shared parts of personal pages (learning.cache.remember) ---------------------------------
def nav_titles(response):
    return re.findall(
        r'class="site-nav__link[^"]*" href="[^"]*"[^>]*>([^<]*)</a>', response.content.decode()
    )


def test_the_navigation_of_logged_in_pages_is_kept_until_content_changes(
    client, home, subject, course, student
):
    client.force_login(student)
    assert nav_titles(get(client, course.url)) == ["All courses", subject.title]
    # Changed behind Wagtail's back (no signal): the kept navigation still shows the old title.
    type(subject).objects.filter(pk=subject.pk).update(title="Renamed quietly")
    assert nav_titles(get(client, course.url)) == ["All courses", subject.title]

    astronomy = factories.SubjectPageFactory(parent=home, title="Astronomy", slug="astronomy")
    astronomy.save_revision().publish()
    assert nav_titles(get(client, course.url)) == ["All courses", "Renamed quietly", "Astronomy"]


def test_a_logged_in_catalogue_search_reuses_its_result_ids_until_content_changes(
    client, subject, course, student, monkeypatch
):
    from learning.views import courses

    searches = []
    search = courses._search_course_ids

    def counted(query, private):
        searches.append(query)
        return search(query, private)

    monkeypatch.setattr(courses, "_search_course_ids", counted)
    client.force_login(student)
    url = reverse("learning:catalog") + "?q=Calculus"
    assert "Calculus" in get(client, url).content.decode()
    assert "Calculus" in get(client, url).content.decode()
    assert searches == ["Calculus"]
    get(client, reverse("learning:catalog") + "?q=Algebra")
    assert searches == ["Calculus", "Algebra"]

    sequel = factories.CoursePageFactory(parent=subject, title="Calculus II", slug="calculus-ii")
    sequel.save_revision().publish()
    assert "Calculus II" in get(client, url).content.decode()
    assert searches == ["Calculus", "Algebra", "Calculus"]
