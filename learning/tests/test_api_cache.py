"""The subjects and courses endpoints keep their JSON responses until content changes
(learning.api.caching.CachedReadMixin), without letting anything past authentication, the
parameter checks or the view restrictions."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import APIToken, PageViewRestriction

from learning.api.caching import API_CACHE_HEADER
from learning.tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]

COURSES = "/api/v2/courses/"


@pytest.fixture
def token(student):
    """The plaintext of a token of ``student``."""
    return APIToken.create_token(user=student, name="Phone app")[1]


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def titles(response):
    return [item["title"] for item in response.json()["items"]]


def test_the_second_request_is_answered_from_the_cache_with_the_same_body_and_headers(
    client, course, token
):
    first = client.get(COURSES, **bearer(token))
    second = client.get(COURSES, **bearer(token))
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first[API_CACHE_HEADER], second[API_CACHE_HEADER]) == ("miss", "hit")
    assert second.content == first.content
    for header in ("Content-Type", "Vary", "Allow"):
        assert second.get(header) == first.get(header), header


def test_a_hit_costs_only_the_authentication(client, course, token, django_assert_max_num_queries):
    client.get(COURSES, **bearer(token))
    with django_assert_max_num_queries(1):  # the token, with its user
        response = client.get(COURSES, **bearer(token))
    assert response[API_CACHE_HEADER] == "hit"


def test_publishing_and_unpublishing_a_course_retire_the_kept_list(client, subject, course):
    assert titles(client.get(COURSES)) == ["Calculus"]
    sequel = factories.CoursePageFactory(parent=subject, title="Calculus II", slug="calculus-ii")
    sequel.save_revision().publish()
    assert titles(client.get(COURSES)) == ["Calculus", "Calculus II"]
    sequel.unpublish()
    assert titles(client.get(COURSES)) == ["Calculus"]
    course.title = "Calculus I"
    course.save_revision().publish()
    assert titles(client.get(COURSES)) == ["Calculus I"]


def test_a_bad_or_revoked_token_is_refused_even_when_the_list_is_kept(client, course, token):
    assert client.get(COURSES, **bearer(token))[API_CACHE_HEADER] == "miss"
    assert client.get(COURSES, **bearer("wagtail_not-a-real-token")).status_code == 401
    APIToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get(COURSES, **bearer(token)).status_code == 401


def test_bad_parameters_are_still_a_400_when_the_list_is_kept(client, course):
    client.get(COURSES)
    response = client.get(f"{COURSES}?unknown=1")
    assert response.status_code == 400
    assert "unknown" in response.json()["message"]


def test_the_browsable_api_is_never_kept_nor_served_from_the_cache(client, course, student):
    client.force_login(student)
    html = client.get(f"{COURSES}?format=api")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert API_CACHE_HEADER not in html
    assert student.username in html.content.decode()  # why it must not be shared
    json_response = client.get(COURSES)
    assert json_response["Content-Type"] == "application/json"
    assert json_response[API_CACHE_HEADER] == "miss"


def test_different_queries_and_hosts_are_kept_apart(client, subject, course, settings):
    factories.CoursePageFactory(parent=subject, title="Algebra", slug="algebra", level="advanced")
    assert titles(client.get(COURSES)) == ["Calculus", "Algebra"]
    assert titles(client.get(f"{COURSES}?level=advanced")) == ["Algebra"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "other.example"]
    elsewhere = client.get(COURSES, HTTP_HOST="other.example")  # its own URLs, if any differ
    assert elsewhere[API_CACHE_HEADER] == "miss"


def test_a_course_for_a_group_is_kept_out_of_the_list_of_everyone_else(
    client, subject, course, student, instructor
):
    secret = factories.CoursePageFactory(parent=subject, title="Staff only", slug="staff-only")
    staff = Group.objects.create(name="Staff")
    instructor.groups.add(staff)
    restriction = PageViewRestriction.objects.create(
        page=secret, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(staff)

    client.force_login(instructor)
    assert titles(client.get(COURSES)) == ["Calculus", "Staff only"]
    client.force_login(student)
    assert titles(client.get(COURSES)) == ["Calculus"]
    client.logout()
    assert titles(client.get(COURSES)) == ["Calculus"]
    client.force_login(instructor)
    assert client.get(COURSES)[API_CACHE_HEADER] == "hit"


def test_the_list_is_served_when_the_cache_server_is_down(client, course, monkeypatch):
    from django.core.cache import cache

    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)  # what django-redis answers
    monkeypatch.setattr(cache, "set", lambda *args, **kwargs: None)
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)
    assert titles(client.get(COURSES)) == ["Calculus"]


def test_documents_are_never_kept(client, course, student):
    client.force_login(student)
    assert API_CACHE_HEADER not in client.get("/api/v2/documents/")


# --- contents/: module bodies serialized once for every reader allowed the same modules --------
def contents(client, course, token):
    response = client.get(f"/api/v2/courses/{course.pk}/contents/", **bearer(token))
    assert response.status_code == 200
    return response


@pytest.fixture
def illustrated_module(module):
    image = factories.ImageFactory(title="A graph")
    handout = factories.DocumentFactory(title="Handout", filename="limits.pdf")
    module.body = [
        {"type": "text", "value": "<p>Limits, kept.</p>"},
        {"type": "image", "value": {"image": image.pk, "alt_text": "A curve", "caption": ""}},
        {"type": "file", "value": {"document": handout.pk, "title": "", "description": ""}},
    ]
    module.save_revision().publish()
    return module


def test_contents_are_serialized_once_and_then_read_without_loading_bodies(
    client, course, illustrated_module, enrolled_student, token
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = contents(client, course, token)
    with CaptureQueriesContext(connection) as queries:
        again = contents(client, course, token)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "wagtailimages" not in sql and "wagtaildocs" not in sql
    assert '"body"' not in sql  # the modules' bodies are not even read
    assert again.json() == first.json()
    assert "Limits, kept." in again.content.decode()


def test_kept_contents_follow_each_readers_view_restrictions(
    client, course, illustrated_module, enrolled_student, token, editor
):
    from learning.models import Enrollment

    hidden = factories.ModulePageFactory(parent=course, title="Editors only")
    restriction = PageViewRestriction.objects.create(page=hidden, restriction_type="groups")
    restriction.groups.add(Group.objects.get(name="Editors"))
    Enrollment.objects.create(user=editor, course=course)
    editor_token = APIToken.create_token(user=editor, name="Editor's app")[1]

    titles_of = lambda response: [m["title"] for m in response.json()["modules"]]  # noqa: E731
    assert titles_of(contents(client, course, editor_token)) == ["Limits", "Editors only"]
    assert titles_of(contents(client, course, token)) == ["Limits"]
    assert titles_of(contents(client, course, editor_token)) == ["Limits", "Editors only"]


def test_a_published_module_change_shows_in_kept_contents_at_once(
    client, course, illustrated_module, enrolled_student, token
):
    assert "Limits, kept." in contents(client, course, token).content.decode()
    illustrated_module.body = [{"type": "text", "value": "<p>Rewritten.</p>"}]
    illustrated_module.save_revision()
    assert "Rewritten." not in contents(client, course, token).content.decode()  # a draft
    illustrated_module.get_latest_revision().publish()
    body = contents(client, course, token).content.decode()
    assert "Rewritten." in body and "Limits, kept." not in body


def test_kept_contents_are_never_given_to_someone_not_enrolled(
    client, course, illustrated_module, enrolled_student, token, other_instructor
):
    contents(client, course, token)
    outsider = APIToken.create_token(user=other_instructor, name="Outsider")[1]
    response = client.get(f"/api/v2/courses/{course.pk}/contents/", **bearer(outsider))
    assert response.status_code == 403
    assert "Limits, kept." not in response.content.decode()
