"""The CSRF token in the site's forms: Django's own, masked anew on every page."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD

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
    assert SESSION_KEY not in strict_client.session


def test_a_tampered_token_is_refused_and_the_user_stays_logged_in(strict_client, home):
    token = token_in(strict_client.get("/"))
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
    response = strict_client.post(reverse("logout"), {"csrfmiddlewaretoken": tampered})
    assert response.status_code == 403
    assert SESSION_KEY in strict_client.session


def test_each_page_masks_the_visitors_secret_anew_and_an_earlier_token_still_works(
    strict_client, home
):
    first = token_in(strict_client.get("/"))
    second = token_in(strict_client.get("/"))
    assert first != second
    assert first[:32] != second[:32]
    response = strict_client.post(reverse("logout"), {"csrfmiddlewaretoken": first})
    assert response.status_code == 302
    assert SESSION_KEY not in strict_client.session


def test_a_visitor_without_a_secret_gets_a_cookie_matching_the_form(home):
    client = Client(enforce_csrf_checks=True)
    response = client.get(reverse("login"))
    token = token_in(response)
    assert response.cookies["csrftoken"].value
    response = client.post(
        reverse("login"),
        {"username": "nobody", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200  # the form again, with its error: not a CSRF refusal
