"""Responses of the API's read endpoints kept in the cache until content changes."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from rest_framework.response import Response
from wagtail.models import PageViewRestriction

from core import kept as page_cache

API_CACHE_HEADER = "X-API-Cache"


class CachedReadMixin:
    """Listing and detail responses kept in the cache until content changes.

    The same generation as the page cache (core.cache): publishing, unpublishing, moving or
    deleting a page, deleting an image or document, or changing a view restriction retires every
    stored response. Authentication, content negotiation and the query-parameter checks still
    run on every request (they come before the handler). A response depends on the view
    restrictions the client passes (Wagtail lists the pages of the restrictions it passes), so
    those are part of the key; only JSON is kept, never the browsable API, which shows the user.
    Without it the courses list answers 1% of the minimal view's requests, with it 34–36%
    (docs/performance.md, "What each hand-made piece saves").
    """

    _store_key = None

    def cache_key(self, request):
        current = page_cache.generation()
        # Which restrictions exist changes with the generation too (learning/signals.py).
        restrictions = page_cache.shared_value(
            "view-restrictions",
            lambda: list(PageViewRestriction.objects.prefetch_related("groups")),
            current,
        )
        passed = sorted(r.pk for r in restrictions if r.accept_request(request))
        where = f"{request.get_host()}{request.get_full_path()}|{passed}"
        digest = hashlib.sha256(where.encode()).hexdigest()
        return f"pagecache:{current}:api:{self.name}:{digest}"

    def cached(self, request, render):
        if not page_cache.enabled() or request.accepted_renderer.format != "json":
            return render()
        key = self.cache_key(request)
        stored = cache.get(key)
        if stored is not None:
            content, content_type = stored
            response = HttpResponse(content, content_type=content_type)
            response[API_CACHE_HEADER] = "hit"
            return response
        response = render()
        self._store_key = key
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._store_key and response.status_code == 200 and isinstance(response, Response):
            response.render()
            stored = (response.content, response["Content-Type"])
            cache.set(self._store_key, stored, settings.PAGE_CACHE_SECONDS)
            response[API_CACHE_HEADER] = "miss"
        return response
