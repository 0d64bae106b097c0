"""The page cache: whole pages for anonymous visitors, kept in the shared (Redis) cache.

Only anonymous GET requests that end in a 200 are stored, and only when no message is waiting
for the visitor; a logged-in user always gets a freshly rendered page, so nobody ever receives a
page rendered for someone else. Keys carry a generation number: publishing, unpublishing,
moving or deleting any page bumps it, which retires every cached page at once (cheap, and
correct for listings that show other pages' titles). When the cache server is down,
django-redis turns every call into a miss and logs the error, so pages are still served.
"""

import contextlib
import logging
import operator
import uuid
from collections import OrderedDict
from functools import partial

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject

from home import sessions
from learning import rows

logger = logging.getLogger(__name__)

GENERATION_KEY = "pagecache:generation"
HEADER = "X-Page-Cache"


def enabled():
    return settings.PAGE_CACHE_SECONDS > 0


def generation(request=None):
    """The current generation: every key of a cached page or value carries it.

    With the ``request``, its session is read in the same round trip (home/sessions.py).
    """
    if request is None:
        current = cache.get(GENERATION_KEY)
    else:
        current = sessions.read_with(request, cache, "default", GENERATION_KEY)
    if current is None:
        current = uuid.uuid4().hex[:12]
        if not cache.add(GENERATION_KEY, current, timeout=None):
            current = cache.get(GENERATION_KEY, current)
    return current


def invalidate(**kwargs):
    """Retire every cached page (signal receiver).

    At once, and again when the transaction the change was made in commits: a request served
    in between may have read the old rows under the new generation and kept what it built.
    """
    if enabled():
        _new_generation()
        if connection.in_atomic_block:
            transaction.on_commit(_new_generation)


def _new_generation():
    cache.set(GENERATION_KEY, uuid.uuid4().hex[:12], timeout=None)


def _cacheable_request(request):
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return False
    return len(get_messages(request)) == 0


def _key(request, generation):
    return f"pagecache:{generation}:{request.get_host()}:{request.get_full_path()}"


# Never pages: the lookup before routing skips them (one Redis round trip saved each).
NOT_PAGES = ("/static/", "/media/", "/api/", "/admin/", "/django-admin/", "/documents/", "/ws/")


def request_generation(request):
    """The generation PageCacheMiddleware read for this request, or None (the page cache is
    off, or the path is not a page's): what is kept for the request is kept under it."""
    return getattr(request, "page_cache_generation", None)


def lazy_values(build, names):
    """``{name: lazy value}`` for a context whose values one ``build()`` returns as a dict.

    Nothing is built until a template reads one of them, so a page whose listing is kept
    (``{% kept %}``) runs none of the queries behind it.
    """
    built = SimpleLazyObject(build)
    return {name: SimpleLazyObject(partial(operator.getitem, built, name)) for name in names}


def cached_response(request):
    """The stored page for this request, or None: ``HttpResponse`` with ``X-Page-Cache: hit``."""
    if not enabled() or not _cacheable_request(request):
        return None
    stored = cache.get(_key(request, request_generation(request) or generation()))
    if stored is None:
        return None
    content, content_type = stored
    response = HttpResponse(content, content_type=content_type)
    response[HEADER] = "hit"
    patch_cache_control(response, private=True)
    return response


class PageCacheMiddleware:
    """Answer a stored page before URL resolution and Wagtail's routing.

    Only what serve_cached stored can be found here: pages rendered for an anonymous visitor
    after Wagtail's checks (live, view restrictions), under the current generation, which any
    publication, move, deletion or change of a view restriction retires (learning/signals.py).
    A hit costs two cache reads and no database query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(NOT_PAGES):
            if enabled():
                request.page_cache_generation = current = generation(request)
                prime_site(request, current)
            response = cached_response(request)
            if response is not None:
                return response
        return self.get_response(request)


def serve_cached(request, render):
    """Return the cached response for this request, or render it and cache it when allowed."""
    if not enabled() or not _cacheable_request(request):
        return render()
    key = _key(request, request_generation(request) or generation())
    stored = cache.get(key)
    if stored is not None:
        content, content_type = stored
        response = HttpResponse(content, content_type=content_type)
        response[HEADER] = "hit"
        patch_cache_control(response, private=True)
        return response
    response = render()
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    if response.status_code == 200 and not response.cookies:
        cache.set(key, (response.content, response["Content-Type"]), settings.PAGE_CACHE_SECONDS)
        response[HEADER] = "miss"
    # Shared caches (proxies) must not keep a copy made for one visitor for another.
    patch_cache_control(response, private=True)
    return response


def remember(name, build, current=None):
    """``build()``, kept in the cache until content next changes (the generation, as for pages).

    For what many users' pages share but a page cache cannot hold because the page around it is
    personal: the navigation, a search's result ids. Built every time when the page cache is
    off, and when the cache cannot be reached. ``current``: the generation, if already read.
    """
    if not enabled():
        return build()
    key = f"pagecache:{current or generation()}:value:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        if value is not None:  # None: nothing to keep
            cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return value


# --- in this process's memory: what every page request looks up -------------------------------
class _Kept:
    """A process's kept values for one generation, replaced whole when the generation changes.

    The pair is read and written at once: a request only reads and writes the store of its own
    generation, so that one still serving the previous generation (daphne runs sync code in
    threads) never writes what it built into the store of the next.
    """

    def __init__(self, new=dict):
        self.new = new
        self.pair = (None, new())

    def values(self, current):
        generation, values = self.pair
        if generation != current:
            values = self.new()
            self.pair = (current, values)
        return values

    def kept(self):
        """What is kept now (for tests)."""
        return self.pair[1]


_in_process = _Kept()


def in_process(name, build, current):
    """``build()``, kept in this process's memory while the generation is ``current``.

    For small values that every request needs: no cache round trip at all. The generation is
    read from the shared cache (once per request), so every process drops its copies as soon as
    content changes anywhere.
    """
    values = _in_process.values(current)
    if name in values:
        return values[name]
    value = build()
    if value is not None:  # nothing kept for what does not exist (any URL can ask)
        values[name] = value
    return value


def in_process_store(current):
    """What ``in_process`` keeps for the generation ``current``, as a dict: for a caller that
    looks up many values at once (a module list's items)."""
    return _in_process.values(current)


#: How many of the larger values (module bodies) a process keeps: the most recently used.
RECENT_SIZE = 128
_recent = _Kept(OrderedDict)


def in_process_recent(name, build, current, store=None, size=None):
    """``in_process`` for larger values, of which many exist (a module's rendered body): only
    the ``RECENT_SIZE`` most recently used are kept, so that a process's memory stays bounded
    whatever the size of the site. ``build`` may read the shared cache (``remember``).
    ``store`` and ``size``: another such store (``recent_store()``) and its size."""
    values = (store or _recent).values(current)
    value = values.get(name)
    if value is not None:
        with contextlib.suppress(KeyError):  # dropped by another thread meanwhile
            values.move_to_end(name)
        return value
    value = build()
    if value is not None:
        values[name] = value
        while len(values) > (size or RECENT_SIZE):
            with contextlib.suppress(KeyError):
                values.popitem(last=False)
    return value


def recent_store():
    """A store of its own for ``in_process_recent``."""
    return _Kept(OrderedDict)


def prime_site(request, current):
    """Give the request its Wagtail site, with its home page, and the sites' root paths.

    Wagtail looks them up on every request (the site, its root page, the root page's specific
    object: three queries, and the root paths from the cache); here they are kept in the
    process for the generation. Publishing, moving or deleting pages and saving or deleting a
    site bump it (learning/signals.py). Each request gets its own copies of the model objects.
    """
    from wagtail.models import Site

    def build():
        site = Site._find_for_request(request)  # what Site.find_for_request does, uncached
        if site is not None:
            site.root_page = site.root_page.localized.specific
        return site, Site.get_site_root_paths()

    site, root_paths = in_process(
        f"site:{request._get_raw_host()}:{request.get_port()}", build, current
    )
    if site is not None:
        home = rows.copy_of(site.root_page)
        home._generation = current  # its view restrictions come from memory too (routing)
        site = rows.copy_of(site)
        site.root_page = home
    request._wagtail_site = site
    request._wagtail_cached_site_root_paths = root_paths
