"""The CSRF token in the site's forms (home/csrf.py): Django's format, checked by Django."""

import re

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import Client, RequestFactory
from django.urls import reverse

from conftest import PASSWORD
from home.csrf import masked_token

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def token_in(response):
    assert response.status_code == 200
    return TOKEN.search(response.content.decode()).group(1)


@pytest.fixture
def strict_client(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    return client


def test_the_log_out_form_token_is_accepted_by_the_csrf_check(strict_client, home):
    token = token_in(strict_client.get("/"))
    response = strict_client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in strict_client.session


def test_a_tampered_token_is_refused_and_the_user_stays_logged_in(strict_client, home):
    token = token_in(strict_client.get("/"))
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
    response = strict_client.post(reverse("logout"), {"csrfmiddlewaretoken": tampered})
    assert response.status_code == 403
    assert "_auth_user_id" in strict_client.session


def test_each_page_masks_the_visitors_secret_anew(strict_client, home):
    first = token_in(strict_client.get("/"))
    second = token_in(strict_client.get("/"))
    secret = strict_client.cookies["csrftoken"].value
    assert first != second
    assert first[:32] != second[:32]
    assert _unmask_cipher_token(first) == _unmask_cipher_token(second) == secret


def test_a_visitor_without_a_secret_gets_a_cookie_matching_the_form(home):
    client = Client(enforce_csrf_checks=True)
    response = client.get(reverse("login"))
    token = token_in(response)
    assert _unmask_cipher_token(token) == response.cookies["csrftoken"].value
    response = client.post(
        reverse("login"),
        {"username": "nobody", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200  # the form again, with its error: not a CSRF refusal


def test_a_masked_token_is_64_allowed_characters_and_renews_the_cookie():
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = "s3cr3t" * 5 + "Zz"
    tokens = {masked_token(request) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_the_mask_draws_every_character_alike():
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = "a" * 32
    counts = dict.fromkeys(CSRF_ALLOWED_CHARS, 0)
    for _ in range(2000):
        for char in masked_token(request)[:32]:
            counts[char] += 1
    expected = 2000 * 32 / len(CSRF_ALLOWED_CHARS)  # about 1,032 each
    assert all(0.8 * expected < count < 1.2 * expected for count in counts.values())
