"""The page cache: whole responses for anonymous visitors, stored by HTTP's rules.

Words used for caching, here and in every module that caches:

- **generation**: a token naming the current state of the site's content. Everything cached is
  keyed on it; any change that a cached answer could show (a page published, unpublished,
  moved or deleted, a view restriction, a site, an image or document, a user's name) *bumps*
  it: replaces it with a new one, which retires everything cached at once. Its source of truth
  is a database row (core.models.CacheGeneration), written in the transaction of the change and
  again when it commits, so that an outage of the cache server cannot lose a change. Each
  process reads it again after at most ``PAGE_CACHE_GENERATION_SECONDS``: a change made
  anywhere is honoured everywhere within that time.
- **page cache**: the shared cache (Redis) holding whole responses, keyed on the generation,
  the validated host and the full path with its query string. A stored response is
  served to a later anonymous request for the same key as a *hit*; otherwise the request is a
  *miss* and the view answers it.
- **shared value**: a value in the shared cache under the generation (core.kept.shared_value):
  what many readers' pages share, such as the navigation or a search's result ids.
- **process value**: a value in one process's memory under the generation, in a store bounded
  to its most recently used entries and named by the request's resolved site, never by its Host
  header (core.kept.process_value; ``recent_value`` for larger ones, such as a module's body).
- **kept fragment**: a part of a template rendered once and reused as a shared or process value
  (``{% kept %}`` in core/templatetags/site_tags.py); never one holding a CSRF token.
- **shell**: a whole page rendered once per reader state with markers where the reader's own
  values go, each request filling them in (learning/shells.py, which defines its *slots*, its
  *shared request* and the *facts* about the reader that alone may enter it).
- **request's site**: the Wagtail site of a request, kept per process as a process value named
  by the sites its host name and port match (core/sites.py).
- **public response**: what the page cache may store. All of these must hold:
  the request is a GET from a visitor without a session, messages or Authorization (a
  *cacheable request*: decided from its cookies and headers alone, never from ``request.user``,
  which would ask the database); the view said that its page may be stored (``mark_public``:
  Wagtail pages below no view restriction, marked by core.wagtail_hooks after Wagtail's own
  checks ran; the catalogue); the response is a 200 that set no cookie (a page holding a CSRF
  token sets one, so a form is never stored), carries no ``private``, ``no-cache`` or
  ``no-store`` and varies on nothing but ``Cookie`` and ``Accept-Encoding``; the session was not
  written.

PageCacheMiddleware sits below the middleware that add security headers (so a hit passes through
them like a miss) and above the session, CSRF, authentication, message and clickjacking
middleware (so what they add to a miss, such as ``Vary: Cookie`` or ``X-Frame-Options``, is in
the stored response and comes back with every hit). The cookies that could change what an
anonymous page shows are the session's and the messages' (such a request is never served from
the cache) and the CSRF cookie (a page that uses it sets it, so it is never stored).

When the cache server is down, django-redis makes every call a miss; when the database is
down, the generation cannot be read and nothing is cached for that request (the view's own
queries then answer 503).
"""

import threading
import time
import uuid

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import Error, connection, transaction
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from wagtail.models import Site

HEADER = "X-Page-Cache"
# Paths that are never pages: answered without a cache lookup.
NOT_PAGES = ("/static/", "/media/", "/api/", "/admin/", "/django-admin/", "/documents/", "/ws/")
_NOT_STORED_DIRECTIVES = {"private", "no-cache", "no-store"}
# What a stored response may vary on: the cookies (see the module's docstring) and the
# encoding (the servers in front compress each answer themselves).
_VARY_SEEN_TO = {"cookie", "accept-encoding"}

_lock = threading.Lock()
_seen = (None, 0.0)  # (the generation this process read, when: time.monotonic())


def enabled():
    return settings.PAGE_CACHE_SECONDS > 0


def generation():
    """The current generation, or None when it cannot be read (the database is down).

    Read from the database at most once per ``PAGE_CACHE_GENERATION_SECONDS`` in each process.
    """
    value, read_at = _seen
    now = time.monotonic()
    if value is not None and now - read_at < settings.PAGE_CACHE_GENERATION_SECONDS:
        return value
    from core.models import CacheGeneration

    try:
        value = CacheGeneration.objects.filter(pk=1).values_list("value", flat=True).first()
        if value is None:  # the row was removed (a flushed database): start again
            value = CacheGeneration.objects.get_or_create(pk=1, defaults={"value": _new()})[0].value
    except Error:  # an unreachable server, or a connection it closed
        return None
    if value != _seen[0]:
        # The sites' root paths that Wagtail keeps in the shared cache for an hour may have
        # missed their deletion (a site changed while the cache was unreachable).
        Site.clear_site_root_paths_cache()
    _remember(value, now)
    return value


def bump(**kwargs):
    """Replace the generation (a signal receiver: it takes any arguments).

    In the change's own transaction, so that the change and its bump are made or lost
    together; and once more when that transaction commits, because a request served in
    between may have read the old rows under the new generation and stored what it built.
    The other processes see the new generation within ``PAGE_CACHE_GENERATION_SECONDS`` of the
    commit; this one reads it again on its next request (a request of another thread reads the
    committed one until then, so nothing built from the old rows is stored under the new one).
    """
    if connection.in_atomic_block:
        _write(remember=False)
        forget()
        transaction.on_commit(_write, robust=True)
    else:
        _write()


def _write(remember=True):
    from core.models import CacheGeneration

    value = _new()
    if not CacheGeneration.objects.filter(pk=1).update(value=value):
        CacheGeneration.objects.update_or_create(pk=1, defaults={"value": value})
    if remember:
        _remember(value, time.monotonic())


def _new():
    return uuid.uuid4().hex[:16]


def _remember(value, now):
    global _seen
    with _lock:
        _seen = (value, now)


def forget():
    """Read the generation from the database on the next request (tests: a rolled-back
    transaction took the bumps it saw away)."""
    global _seen
    with _lock:
        _seen = (None, 0.0)


def request_generation(request):
    """The generation PageCacheMiddleware read for this request, or None (the page cache is
    off, the path is not a page's, or the database is down): what is cached for the request is
    cached under it."""
    return getattr(request, "cache_generation", None)


def mark_public(request, parameters=()):
    """Say that the response to ``request`` may be stored by the page cache, if HTTP's rules
    allow (see the module's docstring). For a view whose answer is the same for every
    anonymous visitor and shows nothing restricted. Only when the query string holds nothing
    but the ``parameters`` the view reads: a copy per made-up parameter would let anyone fill
    the cache."""
    if set(request.GET) <= set(parameters):
        request.page_cache_public = True


def cacheable_request(request):
    """A GET or HEAD from a visitor without a session, waiting messages or credentials."""
    if request.method not in ("GET", "HEAD") or "Authorization" in request.headers:
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


def public_response(request, response):
    """Whether the page cache may store ``response`` (see the module's docstring)."""
    if not (
        request.method == "GET"
        and getattr(request, "page_cache_public", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
    ):
        return False
    directives = {
        part.split("=")[0].strip().lower() for part in response.get("Cache-Control", "").split(",")
    }
    varies = {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}
    if directives & _NOT_STORED_DIRECTIVES or not varies <= _VARY_SEEN_TO:
        return False
    session = getattr(request, "session", None)
    return session is None or (session.session_key is None and not session.modified)


def private_for_readers(request, response):
    """A response to a request with a session says ``Cache-Control: private`` unless its view
    said otherwise: no shared cache (a proxy, a CDN) may keep one reader's page for another."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES and not response.has_header("Cache-Control"):
        patch_cache_control(response, private=True)
    return response


def _key(request, current):
    return f"pagecache:{current}:{request.get_host()}:{request.get_full_path()}"


class PageCacheMiddleware:
    """Answer a cacheable request from the page cache, and store a public response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enabled() or request.path.startswith(NOT_PAGES):
            return private_for_readers(request, self.get_response(request))
        request.cache_generation = current = generation()
        if current is None or not cacheable_request(request):
            return private_for_readers(request, self.get_response(request))
        key = _key(request, current)
        stored = cache.get(key)
        if stored is not None:
            status, headers, content = stored
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response[HEADER] = "hit"
            return response
        response = self.get_response(request)
        if public_response(request, response):
            headers = [(name, value) for name, value in response.items() if name != HEADER]
            cache.set(
                key,
                (response.status_code, headers, response.content),
                settings.PAGE_CACHE_SECONDS,
            )
            response[HEADER] = "miss"
        return response
