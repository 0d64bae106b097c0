"""The API's request rates (learning/api/throttles.py): past the limit a client gets 429 with
Retry-After and ``{"message": ...}``; anonymous clients are counted by their real address,
signed-in ones by account; "off" lifts a limit. The rates are off in the rest of the suite."""

import pytest
from django.test import Client
from wagtail.models import APIToken

from config.settings import environment

pytestmark = pytest.mark.django_db

COURSES = "/api/v2/courses/"


@pytest.fixture
def rates(settings):
    settings.API_RATE_ANONYMOUS = "3/min"
    settings.API_RATE_USER = "5/min"
    return settings


def statuses(client, count, path=COURSES, **extra):
    return [client.get(path, **extra).status_code for _ in range(count)]


def test_an_anonymous_client_past_its_rate_gets_429_as_json_with_retry_after(rates, course):
    client = Client()
    assert statuses(client, 3) == [200, 200, 200]
    refused = client.get(COURSES)
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/json"
    assert set(refused.json()) == {"message"} and "throttled" in refused.json()["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_anonymous_clients_are_counted_by_address_not_by_a_forwarded_for_header(rates, course):
    client = Client()
    statuses(client, 3, REMOTE_ADDR="203.0.113.7")
    # A made-up X-Forwarded-For does not make a new client (no trusted proxy)...
    forged = [f"198.51.100.{n}" for n in range(3)]
    assert [
        client.get(COURSES, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=ip).status_code
        for ip in forged
    ] == [429, 429, 429]
    # ...while another address is another client.
    assert client.get(COURSES, REMOTE_ADDR="203.0.113.8").status_code == 200


def test_behind_a_trusted_proxy_the_client_is_the_address_it_forwarded(rates, course, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    assert statuses(client, 4, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)[-1] == 429
    assert client.get(COURSES, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy).status_code == 200


def test_a_signed_in_client_is_counted_by_account_from_any_address(rates, course, student):
    _, plaintext = APIToken.create_token(user=student, name="Phone app")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    addresses = [f"203.0.113.{n}" for n in range(6)]
    assert [client.get(COURSES, REMOTE_ADDR=ip).status_code for ip in addresses] == [200] * 5 + [
        429
    ]
    # The account's own limit, not the anonymous one of its address.
    assert Client().get(COURSES, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_off_lifts_the_limit(rates, course):
    rates.API_RATE_ANONYMOUS = ""
    assert set(statuses(Client(), 10)) == {200}


def test_a_request_the_limit_refuses_changes_nothing(rates, course, student):
    from learning.models import Enrollment

    client = Client()
    client.force_login(student)
    statuses(client, 5, path="/api/v2/me/enrollments/")
    refused = client.post(f"/api/v2/courses/{course.pk}/enroll/")
    assert refused.status_code == 429
    assert not Enrollment.objects.filter(user=student).exists()


@pytest.mark.parametrize("value", ["300", "x/min", "0/min", "5/fortnight", "-1/s"])
def test_a_malformed_rate_stops_the_start_naming_the_variable(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("API_RATE_USER", value)
    with pytest.raises(ImproperlyConfigured, match="API_RATE_USER"):
        environment.rate("API_RATE_USER", "1200/min")


def test_answers_from_the_api_cache_count_too(rates, course, settings):
    settings.PAGE_CACHE_SECONDS = 60
    client = Client()
    answers = [client.get(COURSES) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[2].headers["X-API-Cache"] == "hit"
