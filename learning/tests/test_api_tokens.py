"""API tokens: created and revoked at /accounts/tokens/, sent as ``Authorization: Bearer``."""

import re

import pytest
from django.conf import settings
from django.test import Client
from wagtail.models import APIToken

from conftest import make_user
from learning.models import Enrollment

pytestmark = pytest.mark.django_db

TOKENS_URL = "/accounts/tokens/"
TOKEN_PATTERN = re.compile(r"wagtail_[0-9A-Za-z]{20,}")  # longer than the displayed prefix


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def revoke_url(token):
    return f"/accounts/tokens/{token.pk}/revoke/"


@pytest.fixture
def student_browser(client, student):
    client.force_login(student)
    return client


@pytest.fixture
def token(student):
    """A token of ``student``: (instance, plaintext)."""
    return APIToken.create_token(user=student, name="Phone app")


# --- the tokens page -----------------------------------------------------------------------------


def test_tokens_page_requires_login(client):
    response = client.get(TOKENS_URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={TOKENS_URL}"


def test_creating_a_token_needs_login(client):
    response = client.post(TOKENS_URL, {"name": "Sneaky"})
    assert response.status_code == 302
    assert not APIToken.objects.exists()


def test_created_token_is_shown_once_in_plaintext(student_browser, student):
    response = student_browser.post(TOKENS_URL, {"name": "Phone app"})
    assert response.status_code == 302 and response["Location"] == TOKENS_URL  # then a GET
    response = student_browser.get(TOKENS_URL)
    html = response.content.decode()
    [plaintext] = set(TOKEN_PATTERN.findall(html))
    assert APIToken.validate_token_format(plaintext)
    assert "shown once" in html

    later = student_browser.get(TOKENS_URL).content.decode()
    assert plaintext not in later
    assert "Phone app" in later
    assert APIToken.objects.get().prefix in later


def test_only_a_digest_of_the_token_is_stored(student_browser, student):
    html = student_browser.post(TOKENS_URL, {"name": "Phone app"}, follow=True).content.decode()
    [plaintext] = set(TOKEN_PATTERN.findall(html))
    stored = APIToken.objects.get()
    assert stored.user == student
    assert stored.name == "Phone app"
    assert stored.key_hash == APIToken.hash_token(plaintext)
    secret = plaintext.removeprefix("wagtail_")
    for value in [stored.key_hash, stored.prefix, stored.name]:
        assert secret not in value
    assert plaintext.startswith(stored.prefix)
    assert len(stored.prefix) < len(plaintext) // 2


def test_tokens_page_lists_only_my_own_tokens(student_browser, student):
    APIToken.create_token(user=student, name="Mine")
    APIToken.create_token(user=make_user("someone"), name="Theirs")
    html = student_browser.get(TOKENS_URL).content.decode()
    assert "Mine" in html
    assert "Theirs" not in html


@pytest.mark.parametrize("name", ["", "   "])
def test_a_token_without_a_name_is_refused_with_an_error(student_browser, name):
    response = student_browser.post(TOKENS_URL, {"name": name})
    assert response.status_code == 400
    assert response.context["form"].errors == {"name": ["This field is required."]}
    html = response.content.decode()
    assert "field--error" in html
    assert "This field is required." in html
    assert not TOKEN_PATTERN.search(html)
    assert not APIToken.objects.exists()


def test_a_user_can_have_at_most_ten_active_tokens(student_browser, student):
    for number in range(10):
        APIToken.create_token(user=student, name=f"Token {number}")
    response = student_browser.post(TOKENS_URL, {"name": "Eleventh"})
    assert response.status_code == 400
    assert "revoke one first" in response.content.decode()
    assert APIToken.objects.filter(user=student).count() == 10


def test_creating_a_token_needs_the_csrf_token(student):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    response = browser.post(TOKENS_URL, {"name": "Phone app"})
    assert response.status_code == 403
    assert not APIToken.objects.exists()


def test_creating_a_token_with_the_csrf_token_works(student):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    browser.get(TOKENS_URL)  # sets the CSRF cookie, as the form does
    csrf = browser.cookies[settings.CSRF_COOKIE_NAME].value
    response = browser.post(
        TOKENS_URL, {"name": "Phone app", "csrfmiddlewaretoken": csrf}, follow=True
    )
    assert response.status_code == 200
    assert APIToken.objects.filter(user=student).count() == 1


# --- using a token -------------------------------------------------------------------------------


def test_token_authenticates_my_enrollments(client, token, student, course):
    Enrollment.objects.create(user=student, course=course)
    response = client.get("/api/v2/me/enrollments/", **bearer(token[1]))
    assert response.status_code == 200
    assert [item["course"]["id"] for item in response.json()["items"]] == [course.pk]


def test_token_enrolls_without_a_csrf_token(token, student, course):
    api_client = Client(enforce_csrf_checks=True)
    response = api_client.post(f"/api/v2/courses/{course.pk}/enroll/", **bearer(token[1]))
    assert response.status_code == 201
    assert Enrollment.objects.filter(user=student, course=course).exists()


def test_token_created_on_the_page_works_in_the_api(student_browser, student):
    html = student_browser.post(TOKENS_URL, {"name": "Script"}, follow=True).content.decode()
    [plaintext] = set(TOKEN_PATTERN.findall(html))
    response = Client().get("/api/v2/me/enrollments/", **bearer(plaintext))
    assert response.status_code == 200


def test_using_a_token_records_when_it_was_last_used(client, token):
    instance, plaintext = token
    assert instance.last_used_at is None
    client.get("/api/v2/me/enrollments/", **bearer(plaintext))
    instance.refresh_from_db()
    assert instance.last_used_at is not None


def test_token_of_a_deactivated_user_gets_401(client, token, student):
    student.is_active = False
    student.save()
    response = client.get("/api/v2/me/enrollments/", **bearer(token[1]))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer wagtail_",
        "Bearer wagtail_é",
        "Bearer wagtail_abc def",
        "Bearer",
        "Bearer {unknown}",
        "Bearer {tampered}",
    ],
)
def test_malformed_or_unknown_token_gets_401(client, token, header):
    plaintext = token[1]
    unknown = APIToken.generate_token()  # well-formed, never stored
    tampered = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    header = header.format(unknown=unknown, tampered=tampered)
    response = client.get("/api/v2/me/enrollments/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["message"]


def test_unknown_token_cannot_enroll(client, course):
    response = client.post(
        f"/api/v2/courses/{course.pk}/enroll/", **bearer(APIToken.generate_token())
    )
    assert response.status_code == 401
    assert not Enrollment.objects.exists()


# --- revoking ------------------------------------------------------------------------------------


def test_revoking_a_token_makes_it_401(student_browser, client, token):
    instance, plaintext = token
    response = student_browser.post(revoke_url(instance))
    assert response.status_code == 302
    assert response["Location"] == TOKENS_URL
    instance.refresh_from_db()
    assert instance.revoked_at is not None
    api_response = Client().get("/api/v2/me/enrollments/", **bearer(plaintext))
    assert api_response.status_code == 401


def test_revoked_token_is_listed_as_revoked(student_browser, token):
    student_browser.post(revoke_url(token[0]))
    html = student_browser.get(TOKENS_URL).content.decode()
    assert "Revoked" in html
    assert revoke_url(token[0]) not in html


def test_revoking_needs_post(student_browser, token):
    response = student_browser.get(revoke_url(token[0]))
    assert response.status_code == 405
    token[0].refresh_from_db()
    assert token[0].revoked_at is None


def test_revoking_needs_login(client, token):
    response = client.post(revoke_url(token[0]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    token[0].refresh_from_db()
    assert token[0].revoked_at is None


def test_revoking_needs_the_csrf_token(student, token):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    response = browser.post(revoke_url(token[0]))
    assert response.status_code == 403
    token[0].refresh_from_db()
    assert token[0].revoked_at is None


def test_a_user_cannot_revoke_someone_elses_token(client, token):
    instance, plaintext = token
    client.force_login(make_user("mallory"))
    response = client.post(revoke_url(instance))
    assert response.status_code == 404
    instance.refresh_from_db()
    assert instance.revoked_at is None
    assert Client().get("/api/v2/me/enrollments/", **bearer(plaintext)).status_code == 200


def test_reloading_the_page_after_creating_a_token_creates_no_second_one(student_browser):
    created = student_browser.post(TOKENS_URL, {"name": "Phone app"}, follow=True)
    assert len(set(TOKEN_PATTERN.findall(created.content.decode()))) == 1
    reloaded = student_browser.get(TOKENS_URL)  # what a browser's reload does after a redirect
    assert TOKEN_PATTERN.findall(reloaded.content.decode()) == []  # the secret was shown once
    assert APIToken.objects.count() == 1
