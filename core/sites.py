"""The Wagtail site of a request, and its home page, found once per process and generation.

Wagtail's ``Site.find_for_request`` runs a query on every request (a ``CASE``-ordered lookup of
the site with its root page, then the root page's specific row): about 3 ms of a student's
page, a third of it (docs/performance.md, "Serving pages without the per-request site
lookup", measures what removing this costs). A site and its root page change only through an
edit that bumps the generation (core.cache), so each process keeps them as process values
(core.kept) while the generation lasts:

- ``site_for(request)``: the site Wagtail's own ``get_site_for_hostname`` picks for the request's
  validated host name and port, remembered under the sites that host name and port match (the
  ids of the sites of that host name, and of the one of that host name and port), never under
  the Host header itself: however many host names and ports visitors send, a process remembers
  at most one answer per pair of sites;
- ``root_page(site, request)``: the site's home page as its specific object, kept per site; each
  request gets its own copy.

Without a generation (the page cache off, or the database unreachable) both ask Wagtail every
time. Templates name page URLs with ``{% page_url %}`` and the site with ``{% request_site %}``
(core/templatetags/site_tags.py), which use this site instead of asking Wagtail again.
"""

import copy

from django.http.request import split_domain_port
from wagtail.models import Site
from wagtail.models.sites import get_site_for_hostname

from core import kept


def site_for(request):
    """The Wagtail site serving ``request`` (None if no site does), as ``Site.find_for_request``
    finds it; remembered on the request as ``request.resolved_site``."""
    try:
        return request.resolved_site
    except AttributeError:
        pass
    current = kept.request_generation(request)
    if not current:
        site = Site.find_for_request(request)
    else:
        hostname = split_domain_port(request.get_host())[0]
        port = request.get_port()
        hosts = kept.process_value("site-hosts", site_hosts, current)
        # Which sites this host name and port match: all that decides Wagtail's answer.
        named = tuple(pk for pk, (name, _) in hosts.items() if name == hostname)
        exact = tuple(pk for pk, pair in hosts.items() if pair == (hostname, str(port)))
        found = kept.process_value(
            f"site-for:{named}:{exact}", lambda: (find_site(hostname, port),), current
        )
        site = found[0]
    request.resolved_site = site
    return site


def site_hosts():
    """``{site id: (host name, port as text)}`` for every site."""
    return {
        pk: (name, str(port))
        for pk, name, port in Site.objects.values_list("pk", "hostname", "port")
    }


def find_site(hostname, port):
    try:
        return get_site_for_hostname(hostname, port)
    except Site.DoesNotExist:
        return None


def root_page(site, request):
    """The site's root page as its specific object, in the active language; the request's own
    copy."""
    current = kept.request_generation(request)
    if not current:
        return site.root_page.localized.specific
    found = kept.process_value(f"root-page:{site.pk}", lambda: site.root_page.specific, current)
    return copy.copy(found).localized
