"""Wagtail's page serving view, with the site and its home page from core.sites.

The same steps as ``wagtail.views.serve``: route the path from the site's root page, run the
``before_serve_page`` hooks, then serve the page through the ``on_serve_page`` hooks (Wagtail's
view restrictions, then ours). Only where the site and root page come from differs: kept per
process (core.sites) instead of asked of the database on every request.
"""

from django.http import Http404, HttpResponse
from wagtail import hooks

from core.sites import root_page, site_for


def serve_chain(page, request, args, kwargs):
    return page.serve(request, *args, **kwargs)


def serve(request, path):
    site = site_for(request)
    if site is None:
        raise Http404
    components = [component for component in path.split("/") if component]
    page, args, kwargs = root_page(site, request).route(request, components)

    on_serve_chain = serve_chain
    for fn in reversed(hooks.get_hooks("on_serve_page")):
        on_serve_chain = fn(on_serve_chain)

    for fn in hooks.get_hooks("before_serve_page"):
        result = fn(page, request, args, kwargs)
        if isinstance(result, HttpResponse):
            return result

    return on_serve_chain(page, request, args, kwargs)
