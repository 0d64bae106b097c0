"""The Wagtail site of a request, and its home page, found once per process and generation.

Wagtail's ``Site.find_for_request`` runs a query on every request (a ``CASE``-ordered lookup of
the site with its root page, then the root page's specific row): about 3 ms of a student's
page, a third of it (docs/performance.md, "Serving pages without the per-request site
lookup", measures what removing this costs). A site and its root page change only through an
edit that bumps the generation (core.cache), so each process keeps them as process values
(core.kept) while the generation lasts:

- ``site_for(request)``: the site Wagtail's own ``get_site_for_hostname`` picks for the request's
  validated host name and port, remembered in a store of at most ``SIZE`` host names and ports
  (the most recently used: a visitor rotating Host headers or ports costs a query a request, as
  without it, and never memory);
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

#: How many host name and port pairs a process remembers the site of.
SIZE = 64
_by_host = kept.recent_store(SIZE)


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
        found = kept.recent_value(
            f"site:{hostname}:{port}", lambda: (find_site(hostname, port),), current, _by_host
        )
        site = found[0]
    request.resolved_site = site
    return site


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
    found = kept.process_value(
        f"root-page:{site.pk}", lambda: site.root_page.specific, current
    )
    return copy.copy(found).localized
