"""Wagtail hooks of the site's plumbing: which pages the page cache may store (core.cache)."""

from wagtail import hooks

from core import cache


# order=1: after Wagtail's own check_view_restrictions (order 0) in the chain, so it runs inside
# it, for a request that has passed every restriction.
@hooks.register("on_serve_page", order=1)
def mark_unrestricted_pages_public(serve_page):
    """A page below no view restriction of any kind may be stored for anonymous visitors (a
    page that a password, a log-in or a group opened to one visitor is never stored)."""

    def serve(page, request, args, kwargs):
        if (
            cache.request_generation(request)
            and cache.cacheable_request(request)
            and not getattr(request, "is_preview", False)
            and not page.get_view_restrictions()
        ):
            cache.mark_public(request)
        return serve_page(page, request, args, kwargs)

    return serve
