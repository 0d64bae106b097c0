"""Cache connections to Redis that stop waiting on a server which just failed to answer.

A paused Redis (swapping, stuck on a disk, behind a link that drops packets) accepts
connections and answers nothing: every command waits for the whole socket time-out before the
cache reports a miss. A page makes several cache calls (the page cache, kept fragments, the
API's cache, the chat's rate limit), so with Redis paused every page waited several time-outs:
4 to 16 s a page with 2 s time-outs, measured by the paused-Redis test in
home/tests/test_faults.py, which fails without this module.

After a command to a server fails with a time-out or a lost connection, the cache's
connections to that server refuse at once (a ``ConnectionError``, which the cache turns into a
miss: ``IGNORE_EXCEPTIONS``) for ``REDIS_RETRY_SECONDS``; then the next command tries again.
Nothing is lost by refusing: everything the cache holds is named by the content's generation,
kept in the database (core/cache.py), and sessions are not in the cache.

The hooks are redis-py's public connection methods; the class is given to the connection pool
through django-redis's ``CONNECTION_POOL_KWARGS`` (``connection_class``), one per URL scheme.
"""

import time

from django.conf import settings
from redis.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import ConnectionError, TimeoutError

# When each server (named by its connection's repr_pieces) may be tried again.
retry_at = {}


def address(connection):
    return tuple(connection.repr_pieces())


class Guarded:
    """Mixin for a redis-py connection class."""

    def refuse_while_failing(self):
        if time.monotonic() < retry_at.get(address(self), 0.0):
            raise ConnectionError("Redis did not answer a moment ago; not waiting on it again yet.")

    def failed(self):
        retry_at[address(self)] = time.monotonic() + settings.REDIS_RETRY_SECONDS

    def connect(self):
        self.refuse_while_failing()
        try:
            return super().connect()
        except (ConnectionError, TimeoutError):
            self.failed()
            raise

    def send_packed_command(self, command, check_health=True):
        self.refuse_while_failing()
        try:
            return super().send_packed_command(command, check_health)
        except (ConnectionError, TimeoutError):
            self.failed()
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except (ConnectionError, TimeoutError):
            self.failed()
            raise


class GuardedConnection(Guarded, Connection):
    pass


class GuardedSSLConnection(Guarded, SSLConnection):
    pass


class GuardedUnixConnection(Guarded, UnixDomainSocketConnection):
    pass


BY_SCHEME = {
    "redis": GuardedConnection,
    "rediss": GuardedSSLConnection,
    "unix": GuardedUnixConnection,
}


def connection_class(url):
    """The guarded connection class for a Redis URL (settings)."""
    return BY_SCHEME[url.split("://", 1)[0]]
