"""The page cache stores only what any visitor may receive, and honours every change.

Each test here stands for a failure that a hostile visit found in the earlier, hand-made page
cache: a password-protected page served to anyone, a change lost while the cache server was
unreachable, memory growing with the Host header, a 500 instead of the 503 page in a database
outage, a hit without the security headers of a miss.
"""

import pytest
from django.contrib.auth.models import Group
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.test import Client, override_settings
from wagtail.models import PageViewRestriction

from core import cache as core_cache
from core import kept as core_kept
from core.cache import HEADER
from core.models import CacheGeneration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]

PAGE_PASSWORD = "open-sesame"
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
    }
}


def enter_password(client, restriction, page):
    """Wagtail's password form, filled in as a browser would (its CSRF token first)."""
    form = client.get(page.url)
    token = form.cookies["csrftoken"].value
    response = client.post(
        f"/_util/authenticate_with_password/{restriction.pk}/{page.pk}/",
        {"password": PAGE_PASSWORD, "return_url": page.url, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(page.url)


@pytest.fixture
def password_course(course):
    return PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.PASSWORD, password=PAGE_PASSWORD
    )


def test_a_page_opened_with_its_password_is_never_served_to_a_visitor_without_it(
    course, password_course
):
    first = Client(enforce_csrf_checks=True)
    opened = enter_password(first, password_course, course)
    assert opened.status_code == 200 and course.overview in opened.content.decode()

    newcomer = Client(enforce_csrf_checks=True)
    response = newcomer.get(course.url)
    assert response.get(HEADER) != "hit"
    assert 'name="password"' in response.content.decode()
    assert course.overview not in response.content.decode()


def test_the_password_form_is_never_stored_and_every_visitor_can_use_it(course, password_course):
    for _ in range(3):
        visitor = Client(enforce_csrf_checks=True)
        form = visitor.get(course.url)
        assert form.get(HEADER) is None
        assert "no-cache" in form["Cache-Control"]
        opened = enter_password(visitor, password_course, course)
        assert opened.status_code == 200 and course.overview in opened.content.decode()


def test_a_group_restriction_added_while_the_cache_server_is_unreachable_is_honoured(
    client, student, course
):
    assert client.get(course.url)[HEADER] == "miss"
    client.force_login(student)
    assert client.get(course.url).status_code == 200
    with override_settings(CACHES=UNREACHABLE_CACHE):
        restriction = PageViewRestriction.objects.create(
            page=course, restriction_type=PageViewRestriction.GROUPS
        )
        restriction.groups.add(Group.objects.get(name="Editors"))
    # The cache server is back, with the pages it held before the change.
    assert client.get(course.url).status_code == 302  # to the log-in page: not an editor
    client.logout()
    assert client.get(course.url).status_code == 302


def test_a_change_made_by_another_process_is_honoured_once_the_generation_is_read_again(
    client, course, settings
):
    assert client.get(course.url)[HEADER] == "miss"
    assert client.get(course.url)[HEADER] == "hit"
    # Another process published a change: it wrote the generation's row, nothing of ours.
    CacheGeneration.objects.filter(pk=1).update(value="from-another-process")
    assert client.get(course.url)[HEADER] == "hit"  # within PAGE_CACHE_GENERATION_SECONDS
    settings.PAGE_CACHE_GENERATION_SECONDS = 0  # that time has passed
    assert client.get(course.url)[HEADER] == "miss"
    assert core_cache.generation() == "from-another-process"


def test_the_generation_row_is_made_again_when_it_is_missing():
    CacheGeneration.objects.all().delete()
    core_cache.forget()
    assert core_cache.generation()
    assert CacheGeneration.objects.count() == 1


@pytest.mark.slow
def test_two_thousand_host_and_port_variants_leave_every_kept_store_as_one_would(
    client, student_client, course, module
):
    def visit(port):
        host = f"localhost:{port}"
        assert client.get(course.url, HTTP_HOST=host).status_code == 200
        assert student_client.get(module.url, HTTP_HOST=host).status_code == 200

    def kept_names():
        return {name for store in core_kept.stores() for name in store.kept()}

    visit(20000)
    visit(20001)  # the course page now offers to resume the module read
    after_one = kept_names()
    assert after_one  # the student's pages keep their parts
    for port in range(20002, 21001):
        visit(port)
    assert kept_names() == after_one  # named by the site, not by the Host header
    assert not [name for name in after_one if "localhost" in str(name)]
    stores = core_kept.store_sizes()
    assert all(length <= bound for length, bound in stores), stores


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_logged_in_reader_gets_the_503_page_when_the_database_is_down(
    student_client, course, error
):
    assert student_client.get(course.url).status_code == 200  # the session is in the cache

    def unreachable(execute, sql, params, many, context):
        raise error("could not connect to server: Connection refused")

    core_cache.forget()  # the generation has to be read from the database again
    student_client.raise_request_exception = False
    with connection.execute_wrapper(unreachable):
        response = student_client.get(course.url)
    assert response.status_code == 503
    assert "Back in a moment" in response.content.decode()


def test_a_visitor_with_a_session_or_waiting_messages_is_never_answered_from_the_cache(
    client, course
):
    assert client.get(course.url)[HEADER] == "miss"
    for cookie in ("sessionid", "messages"):
        visitor = Client()
        visitor.cookies[cookie] = "anything"
        assert visitor.get(course.url).get(HEADER) is None


@pytest.mark.parametrize(
    "change",
    [
        lambda response: response.set_cookie("flavour", "chocolate"),
        lambda response: response.__setitem__("Cache-Control", "private"),
        lambda response: response.__setitem__("Cache-Control", "no-store"),
        lambda response: response.__setitem__("Cache-Control", "max-age=0, no-cache"),
        lambda response: response.__setitem__("Vary", "*"),
        lambda response: response.__setitem__("Vary", "Cookie, Accept-Language"),
    ],
    ids=["cookie", "private", "no-store", "no-cache", "vary-all", "vary-language"],
)
def test_a_response_that_sets_a_cookie_or_forbids_storing_is_never_stored(rf, change):
    request = rf.get("/somewhere/")
    core_cache.mark_public(request)
    response = HttpResponse("hello")
    assert core_cache.public_response(request, response)
    change(response)
    assert not core_cache.public_response(request, response)


def test_a_response_its_view_did_not_mark_public_is_never_stored(rf):
    assert not core_cache.public_response(rf.get("/somewhere/"), HttpResponse("hello"))


def test_a_page_under_a_restriction_is_never_marked_public_even_without_cookies(rf, course):
    from core.wagtail_hooks import mark_unrestricted_pages_public

    PageViewRestriction.objects.create(page=course, restriction_type=PageViewRestriction.LOGIN)
    serve = mark_unrestricted_pages_public(lambda page, request, args, kwargs: HttpResponse())
    request = rf.get(course.url)
    request.cache_generation = core_cache.generation()
    serve(course.specific, request, (), {})
    assert not getattr(request, "page_cache_public", False)
    open_request = rf.get(course.get_parent().url)
    open_request.cache_generation = request.cache_generation
    serve(course.get_parent().specific, open_request, (), {})
    assert open_request.page_cache_public


def test_a_query_string_the_view_does_not_read_is_never_stored(client, course):
    assert client.get(course.url + "?utm_source=1").get(HEADER) is None
    assert client.get("/catalog/?utm_source=1").get(HEADER) is None
    assert client.get("/catalog/?q=calculus").get(HEADER) == "miss"
