"""Values kept while the generation lasts: *shared values* in the shared cache, *process values*
and *recent values* in bounded stores of each process (the words are defined in core.cache's
docstring). Nothing is kept for a request without a generation (the page cache off, or the
database unreachable): the value is built each time."""

import contextlib
import operator
import weakref
from collections import OrderedDict
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from core.cache import enabled, generation, request_generation

__all__ = ["enabled", "generation", "request_generation"]


def lazy_values(build, names):
    """``{name: lazy value}`` for a context whose values one ``build()`` returns as a dict.

    Nothing is built until a template reads one of them, so a page whose listing is kept
    (``{% kept %}``) runs none of the queries behind it.
    """
    built = SimpleLazyObject(build)
    return {name: SimpleLazyObject(partial(operator.getitem, built, name)) for name in names}


def shared_value(name, build, current=None):
    """``build()``, kept in the cache until content next changes (the generation, as for pages).

    For what many users' pages share but a page cache cannot hold because the page around it is
    personal: the navigation, a search's result ids. Built every time when the page cache is
    off, and when the cache cannot be reached. ``current``: the generation, if already read.
    """
    current = current or (generation() if enabled() else None)
    if not current:
        return build()
    key = f"pagecache:{current}:value:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        if value is not None:  # None: nothing to keep
            cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return value


# --- in this process's memory: what every page request looks up -------------------------------
#: How many values a process keeps in each store, the most recently used.
SIZE = 2048
#: How many of the larger values (module bodies) a process keeps.
RECENT_SIZE = 128
_stores = weakref.WeakSet()


class _Kept:
    """A process's kept values for one generation, replaced whole when the generation changes,
    and at most ``size`` of them (the most recently used; ``size()`` read when it is needed).

    The pair is read and written at once: a request only reads and writes the store of its own
    generation, so that one still serving the previous generation (daphne runs sync code in
    threads) never writes what it built into the store of the next.
    """

    def __init__(self, size=lambda: SIZE):
        self.size = size
        self.pair = (None, OrderedDict())
        _stores.add(self)

    def values(self, current):
        generation, values = self.pair
        if generation != current:
            values = OrderedDict()
            self.pair = (current, values)
        return values

    def get(self, current, name):
        values = self.values(current)
        value = values.get(name)
        if value is not None:
            with contextlib.suppress(KeyError):  # dropped by another thread meanwhile
                values.move_to_end(name)
        return value

    def put(self, current, name, value):
        values = self.values(current)
        values[name] = value
        while len(values) > self.size():
            with contextlib.suppress(KeyError):
                values.popitem(last=False)

    def kept(self):
        """What is kept now (for tests)."""
        return self.pair[1]

    def forget(self):
        self.pair = (None, OrderedDict())


def forget_all():
    """Empty every store of this process (tests: a rolled-back transaction took away the rows
    that kept values were made from)."""
    for store in list(_stores):
        store.forget()


def stores():
    """Every store of this process."""
    return list(_stores)


def store_sizes():
    """``[(values kept, bound)]`` for every store of this process."""
    return [(len(store.kept()), store.size()) for store in list(_stores)]


_in_process = _Kept()


def process_value(name, build, current):
    """``build()``, kept in this process's memory while the generation is ``current``.

    For small values that every request needs: no cache round trip at all. The generation is
    read once per request, so every process drops its copies soon after content changes
    anywhere. At most ``SIZE`` are kept, the most recently used.
    """
    value = _in_process.get(current, name)
    if value is None:
        value = build()
        if value is not None:  # nothing kept for what does not exist (any URL can ask)
            _in_process.put(current, name, value)
    return value


def process_store(current):
    """The store ``process_value`` uses, for a caller that looks up many values at once (a module
    list's items): ``get(current, name)`` and ``put(current, name, value)``."""
    return _in_process


_recent = _Kept(lambda: RECENT_SIZE)


def recent_value(name, build, current, store=None):
    """``process_value`` for larger values, of which many exist (a module's rendered body): only
    the ``RECENT_SIZE`` most recently used are kept (or the size of ``store``, another such
    store: ``recent_store(size)``). ``build`` may read the shared cache (``shared_value``)."""
    store = store or _recent
    value = store.get(current, name)
    if value is None:
        value = build()
        if value is not None:
            store.put(current, name, value)
    return value


def recent_store(size):
    """A store of its own for ``recent_value``, of at most ``size`` values."""
    return _Kept(lambda: size)
