"""Log-in throttling keys on the client's address, also behind a reverse proxy."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from conftest import PASSWORD, make_user
from core.client_ip import client_ip


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_trusted_proxy_the_socket_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("172.18.0.5", "198.51.100.7")) == "198.51.100.7"


def test_a_forged_forwarded_for_entry_is_not_believed(settings):
    # The client sent "X-Forwarded-For: 10.0.0.1"; the proxy appended the real address.
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("172.18.0.5", "10.0.0.1, 198.51.100.7")) == "198.51.100.7"


@pytest.mark.parametrize("forwarded", ["", "not-an-address", " , "])
def test_a_missing_or_garbage_forwarded_for_falls_back_to_the_socket_address(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("172.18.0.5", forwarded)) == "172.18.0.5"


@pytest.mark.django_db
def test_behind_a_proxy_one_clients_failures_do_not_lock_out_another(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    make_user("victim")
    proxy = {"REMOTE_ADDR": "172.18.0.5"}
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(
            reverse("login"),
            {"username": f"guess{attempt}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="198.51.100.66",
            **proxy,
        )
    locked = client.post(
        reverse("login"),
        {"username": "someone", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="198.51.100.66",
        **proxy,
    )
    assert locked.status_code == 429

    response = client.post(
        reverse("login"),
        {"username": "victim", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.77",
        **proxy,
    )
    assert response.status_code == 302
