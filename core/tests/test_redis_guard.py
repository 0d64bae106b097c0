"""A Redis that stops answering is not waited on again for REDIS_RETRY_SECONDS
(core/redis_guard.py): the cache answers a miss at once, sending nothing, then tries again.

The "server" here accepts connections and reads commands but never answers, as a paused
redis-server does; what it received shows what the cache sent.
"""

import socket
import threading

import pytest
from django.core.cache.backends.base import InvalidCacheBackendError
from django_redis.cache import RedisCache

from core import redis_guard


class SilentServer:
    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = []  # bytes, as they arrive
        self.connections = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            threading.Thread(target=self.read, args=(connection,), daemon=True).start()

    def read(self, connection):
        while True:
            try:
                data = connection.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.received.append(data)

    def close(self):
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()
    redis_guard.retry_at.clear()


def cache_for(url):
    try:
        return RedisCache(
            url,
            {
                "KEY_PREFIX": "guard-test",
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": 0.3,
                    "SOCKET_TIMEOUT": 0.3,
                    "IGNORE_EXCEPTIONS": True,
                    # As config/settings/base.py gives the site's cache.
                    "CONNECTION_POOL_KWARGS": {
                        "connection_class": redis_guard.connection_class(url)
                    },
                },
            },
        )
    except InvalidCacheBackendError:  # pragma: no cover - django-redis is a dependency
        pytest.skip("django-redis is not installed")


def test_after_a_command_times_out_the_next_ones_are_misses_sent_to_no_one(silent, settings):
    settings.REDIS_RETRY_SECONDS = 60
    cache = cache_for(f"redis://127.0.0.1:{silent.port}/0")
    assert cache.get("first") is None  # waited for the time-out
    sent = len(silent.received)
    assert sent > 0
    assert cache.get("second") is None
    assert cache.set("third", 1) is None
    assert len(silent.received) == sent, "a command went to the server that just failed"


def test_once_the_retry_time_has_passed_the_server_is_tried_again(silent, settings):
    settings.REDIS_RETRY_SECONDS = 0
    cache = cache_for(f"redis://127.0.0.1:{silent.port}/0")
    assert cache.get("first") is None
    sent = len(silent.received)
    assert cache.get("second") is None
    assert len(silent.received) > sent


def test_a_failing_server_does_not_stop_the_cache_of_another(silent, settings):
    settings.REDIS_RETRY_SECONDS = 60
    other = SilentServer()
    try:
        assert cache_for(f"redis://127.0.0.1:{silent.port}/0").get("x") is None
        assert cache_for(f"redis://127.0.0.1:{other.port}/0").get("x") is None
        assert other.received, "the other server was not tried"
    finally:
        other.close()


def test_each_url_scheme_gets_its_guarded_connection_class():
    from redis.connection import Connection, SSLConnection, UnixDomainSocketConnection

    for url, base in [
        ("redis://cache:6379/0", Connection),
        ("rediss://cache:6380/0", SSLConnection),
        ("unix:///run/redis.sock", UnixDomainSocketConnection),
    ]:
        cls = redis_guard.connection_class(url)
        assert issubclass(cls, base) and issubclass(cls, redis_guard.Guarded), url
