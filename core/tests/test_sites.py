"""core.sites finds the site Wagtail would, for every host name and port, and remembers its
answers under the sites they match, never under the Host header."""

import itertools
import random

import pytest
from django.test import RequestFactory
from wagtail.models import Page, Site

from core import cache as core_cache
from core import kept
from core.sites import root_page, site_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]

HOSTS = ["localhost", "a.localhost", "b.localhost", "c.localhost", "127.0.0.1"]
PORTS = ["80", "443", "8000", "8001"]
#: Site layouts: (host name, port, default) for each site.
LAYOUTS = {
    "one default site": [("localhost", 80, True)],
    "two host names": [("a.localhost", 80, True), ("b.localhost", 80, False)],
    "one host name on two ports": [("a.localhost", 80, False), ("a.localhost", 8000, False)],
    "a host name on two ports, one default": [
        ("a.localhost", 80, True),
        ("a.localhost", 8000, False),
        ("b.localhost", 443, False),
    ],
    "no default site": [("a.localhost", 80, False), ("b.localhost", 8001, False)],
}


def request_for(host, port):
    """A request as PageCacheMiddleware hands it on: with the generation it read."""
    request = RequestFactory().get("/", HTTP_HOST=f"{host}:{port}", SERVER_PORT=port)
    request.cache_generation = core_cache.generation()
    return request


def lay_out(sites):
    root = Page.objects.get(depth=2)
    Site.objects.all().delete()
    for hostname, port, default in sites:
        Site.objects.create(hostname=hostname, port=port, is_default_site=default, root_page=root)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_site_found_is_wagtails_for_every_host_and_port(settings, layout):
    settings.ALLOWED_HOSTS = ["*"]
    lay_out(LAYOUTS[layout])
    pairs = list(itertools.product(HOSTS, PORTS)) * 2  # each asked twice: once remembered
    random.shuffle(pairs)
    for host, port in pairs:
        ours = site_for(request_for(host, port))
        wagtails = Site.find_for_request(request_for(host, port))
        assert (ours and ours.pk) == (wagtails and wagtails.pk), (host, port)


def test_a_site_changed_is_found_anew(settings):
    settings.ALLOWED_HOSTS = ["*"]
    lay_out([("a.localhost", 80, True), ("b.localhost", 80, False)])
    assert site_for(request_for("b.localhost", 80)).hostname == "b.localhost"
    Site.objects.filter(hostname="b.localhost").get().delete()  # bumps the generation
    assert site_for(request_for("b.localhost", 80)).hostname == "a.localhost"


def test_what_is_remembered_never_names_the_host_header(settings):
    settings.ALLOWED_HOSTS = ["*"]
    lay_out([("a.localhost", 80, True)])
    for port in range(20000, 22000):
        assert site_for(request_for("localhost", port)).hostname == "a.localhost"
    names = [str(name) for store in kept.stores() for name in store.kept()]
    assert len([name for name in names if name.startswith("site-for:")]) == 1
    assert not [name for name in names if "localhost" in name or "2000" in name]


def test_each_request_gets_its_own_copy_of_the_root_page():
    site = Site.objects.get(is_default_site=True)
    first, second = (root_page(site, request_for("localhost", 80)) for _ in range(2))
    assert first.pk == second.pk == site.root_page_id
    assert first is not second
    first.title = "changed by one request"
    assert root_page(site, request_for("localhost", 80)).title != "changed by one request"
