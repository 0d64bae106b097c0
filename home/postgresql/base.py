"""PostgreSQL whose persistent connections are checked at most once a second.

With ``CONN_HEALTH_CHECKS``, Django asks a persistent connection ``SELECT 1`` at the start of
every request that uses it: one more round trip than the page's own queries, a tenth of a
logged-in page's time here. This backend skips the check when the connection was opened or
checked less than ``CHECK_EVERY`` seconds ago, as PgBouncer does with ``server_check_delay``:
a connection kept busy is checked once a second, one left idle before its next use. What
remains uncaught is a server restarted within that second: the request that meets the closed
connection answers 503 (home.middleware.DatabaseUnavailableMiddleware) and Django closes the
connection at its end, so the next request reconnects. ``DATABASE_URL=postgres://…`` selects
it (config/settings/environment.py).
"""

import time

from django.db.backends.postgresql import base

CHECK_EVERY = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _checked_at = float("-inf")
    #: The names of the statements this connection prepared (learning.rows.execute_prepared).
    prepared_statements = None

    def connect(self):
        super().connect()
        # Only a persistent connection: on one per request, preparing would cost a round trip.
        persistent = self.settings_dict["CONN_MAX_AGE"] != 0
        self.prepared_statements = set() if persistent else None
        self._checked_at = time.monotonic()

    def _close(self):
        self.prepared_statements = None
        super()._close()

    def close_if_health_check_failed(self):
        if self.connection is not None and not self.health_check_done:
            now = time.monotonic()
            if now - self._checked_at < CHECK_EVERY:
                self.health_check_done = True
                return
            self._checked_at = now
        super().close_if_health_check_failed()
