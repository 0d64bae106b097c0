"""Errors answer in the site's frame, or in JSON under /api/, with the right status (issue 16)."""

from unittest import mock

import pytest
from django.db import DataError, OperationalError, connection
from django.test import Client

pytestmark = pytest.mark.django_db


def client():
    return Client(raise_request_exception=False)


def unreachable(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


def assert_site_frame(html):
    assert 'class="site-header"' in html and 'href="/catalog/"' in html  # header, navigation
    assert "Go to the home page" in html  # a way back
    assert "Traceback" not in html


@pytest.mark.parametrize(
    "path", ["/no-such-page/", "/mathematics/no-such-course/", "/learn/quiz-attempts/999999/"]
)
def test_a_wrong_address_gets_the_sites_404_page(course, path, student):
    browser = client()
    browser.force_login(student)
    response = browser.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert_site_frame(html)


@pytest.mark.parametrize("path", ["/api/v2/no-such-endpoint/", "/api/v2/pages/999999/"])
def test_a_wrong_api_address_gets_a_json_404(path):
    response = client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["message"]


def test_a_view_that_fails_gets_the_500_page(course):
    from learning.models import CoursePage

    url = course.url
    with mock.patch.object(CoursePage, "serve", side_effect=RuntimeError("boom")):
        response = client().get(url)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "boom" not in html
    assert_site_frame(html)


def test_an_api_view_that_fails_gets_a_json_500(course):
    from learning.api.views import CoursesAPIViewSet

    with mock.patch.object(CoursesAPIViewSet, "listing_view", side_effect=RuntimeError("boom")):
        response = client().get("/api/v2/courses/")
    assert response.status_code == 500
    assert response.json() == {"message": "Something went wrong on our side. It has been logged."}


def test_a_lost_database_gets_a_json_503_under_the_api(course):
    with connection.execute_wrapper(unreachable):
        response = client().get("/api/v2/courses/?fields=-intro")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "database" in response.json()["message"]


def test_a_querys_own_error_is_not_an_outage(course):
    def out_of_range(execute, sql, params, many, context):
        raise DataError("bigint out of range")

    url = course.url
    with connection.execute_wrapper(out_of_range):
        response = client().get(url)
    assert response.status_code == 500  # our error, not "the database is unreachable"
    assert "Back in a moment" not in response.content.decode()


def test_a_nul_in_the_address_is_a_400(course):
    response = client().get("/catalog/?q=a%00b")
    assert response.status_code == 400
    assert "Request refused" in response.content.decode()
    response = client().get("/api/v2/pages/?search=%00")
    assert response.status_code == 400 and "NUL" in response.json()["message"]


@pytest.mark.parametrize("status", [400, 403, 404, 500, 503])
def test_every_error_page_renders_without_the_database(status):
    from core.errors import error_response

    with connection.execute_wrapper(unreachable):
        response = error_response(None, status)
    assert response.status_code == status
    assert_site_frame(response.content.decode())


@pytest.mark.parametrize(
    "path",
    [
        "/chat/room/99999999999999999999/",
        "/learn/quiz-attempts/2147483648/",
        "/api/v2/pages/99999999999999999999/",
        "/api/v2/courses/99999999999999999999/contents/",
    ],
)
def test_an_id_beyond_the_databases_integers_is_a_404(student, path):
    browser = client()
    browser.force_login(student)
    assert browser.get(path).status_code == 404


def test_every_api_error_is_json_with_a_message(course, student):
    from conftest import make_user
    from learning.tests.test_api import basic

    outsider = make_user("outsider")
    api = client()
    cases = [
        (api.post(f"/api/v2/courses/{course.pk}/enroll/"), 401),  # not logged in
        (api.get(f"/api/v2/courses/{course.pk}/contents/", **basic(outsider)), 403),
        (api.put("/api/v2/courses/", **basic(student)), 405),
        (api.get("/api/v2/pages/?offset=x"), 400),
        (api.get("/api/v2/pages/424242/"), 404),
        (api.get("/api/v2/me/enrollments/"), 401),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.status_code, status)
        assert response["Content-Type"].startswith("application/json")
        assert set(response.json()) == {"message"} and response.json()["message"], status
