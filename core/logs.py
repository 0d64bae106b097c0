"""Logging that an outage cannot flood.

A failing dependency fails the same way on every call: while Redis is down, django-redis logs
"Exception ignored" with a traceback for each cache call it swallows, about a dozen a request.
``RepeatedFailureFilter`` lets the first such record through whole, then drops the traceback and
lets at most one line a second through for the same failure (the same logger, message and
exception class), until it has not happened for ``QUIET_SECONDS``: the next one, a new outage,
is logged whole again.
"""

import logging
import threading
import time

#: A failure not seen for this long is over: the next one is logged with its traceback.
QUIET_SECONDS = 30
#: While a failure repeats, at most one line per this many seconds.
LINE_SECONDS = 1.0
#: How many distinct failures are remembered (the oldest forgotten first).
SIZE = 256


class RepeatedFailureFilter(logging.Filter):
    def __init__(self, name=""):
        super().__init__(name)
        self.lock = threading.Lock()
        self.seen = {}  # failure -> (first seen, last seen, last line written, count dropped)

    def filter(self, record):
        if record.levelno < logging.ERROR or not record.exc_info or not record.exc_info[0]:
            return True
        failure = (record.name, record.getMessage(), record.exc_info[0])
        now = time.monotonic()
        with self.lock:
            state = self.seen.get(failure)
            if state is None or now - state[1] > QUIET_SECONDS:
                if len(self.seen) >= SIZE:
                    self.seen.pop(next(iter(self.seen)))
                self.seen[failure] = (now, now, now, 0)
                return True  # a new failure: whole, with its traceback
            first, _, written, dropped = state
            if now - written < LINE_SECONDS:
                self.seen[failure] = (first, now, written, dropped + 1)
                return False
            self.seen[failure] = (first, now, now, 0)
        record.exc_info = None
        record.exc_text = None
        record.msg = f"{record.msg} (again: {dropped + 1} times since the last line, first at "
        record.msg += f"{time.strftime('%H:%M:%S', time.localtime(time.time() - (now - first)))})"
        return True
