"""An outage is logged once with its traceback, then a line a second at most (issue 16)."""

import logging

from core import logs


def failure(logger="django_redis.cache", message="Exception ignored"):
    try:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    except ConnectionError:
        import sys

        return logging.LogRecord(logger, logging.ERROR, __file__, 1, message, (), sys.exc_info())


def test_a_repeated_failure_is_logged_whole_once_then_a_line_a_second(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(logs.time, "monotonic", lambda: now[0])
    keep = logs.RepeatedFailureFilter()
    records = []
    for _ in range(50):  # a dozen cache calls a request, for a few requests
        record = failure()
        if keep.filter(record):
            records.append(record)
        now[0] += 0.05
    assert len(records) == 3  # the first, then one a second over 2.5 seconds
    assert records[0].exc_info is not None  # the first one whole
    assert all(record.exc_info is None for record in records[1:])
    assert "again: 2" in records[1].getMessage()  # about 20 calls since the first


def test_a_new_outage_after_a_quiet_time_is_logged_whole_again(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(logs.time, "monotonic", lambda: now[0])
    keep = logs.RepeatedFailureFilter()
    assert keep.filter(failure())
    now[0] += logs.QUIET_SECONDS + 1
    record = failure()
    assert keep.filter(record) and record.exc_info is not None


def test_other_failures_and_ordinary_lines_pass_untouched(monkeypatch):
    keep = logs.RepeatedFailureFilter()
    assert keep.filter(failure())
    assert keep.filter(failure(logger="django.request", message="Internal Server Error: /x/"))
    plain = logging.LogRecord("learning", logging.INFO, __file__, 1, "enrolled", (), None)
    assert all(keep.filter(plain) for _ in range(10))


def test_the_sites_log_handler_uses_the_filter(settings):
    assert settings.LOGGING["filters"]["repeated_failures"]["()"].endswith("RepeatedFailureFilter")
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["repeated_failures"]
    from pathlib import Path

    production = Path(logs.__file__).parents[1] / "config" / "settings" / "production.py"
    assert '"filters": ["repeated_failures"]' in production.read_text()
