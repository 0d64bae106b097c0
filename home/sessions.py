"""Sessions read from the shared cache and written to both it and the database (Django's
``cached_db``), whose cache read can be made ahead of time, beside another read, in one round
trip.

Every page request reads the page cache's generation from Redis (learning/cache.py); a
logged-in one then read its session in a second round trip. ``PageCacheMiddleware`` now asks
for both at once (``read_with``): the session's data waits on the store until it is first
used, and is the same as a read of its own (a miss still falls back to the database).
"""

from django.conf import settings
from django.contrib.sessions.backends import cached_db


class SessionStore(cached_db.SessionStore):
    _read_ahead = None

    def key_to_read(self, alias):
        """The cache key holding this session's data, if it is read from the cache ``alias``
        and not read yet; otherwise None."""
        if (
            self.session_key is None
            or alias != settings.SESSION_CACHE_ALIAS
            or hasattr(self, "_session_cache")
        ):
            return None
        return self.cache_key

    def read_ahead(self, data):
        """What the cache held under ``key_to_read()``: used by the first load (None: missed)."""
        self._read_ahead = data

    def load(self):
        data, self._read_ahead = self._read_ahead, None
        return data if data is not None else super().load()


def read_with(request, cache, alias, key):
    """``cache.get(key)``, with the request's session read in the same round trip when it
    has yet to be read (see the module's docstring)."""
    session = getattr(request, "session", None)
    session_key = session.key_to_read(alias) if isinstance(session, SessionStore) else None
    if session_key is None:
        return cache.get(key)
    values = cache.get_many([key, session_key])
    session.read_ahead(values.get(session_key))
    return values.get(key)
