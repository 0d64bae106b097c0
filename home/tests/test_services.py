"""When CI points the suite at PostgreSQL and Redis, the suite really runs on them.

Outside CI (no REQUIRE_SERVICES) these tests check the embedded defaults instead, so a run
that silently fell back to SQLite while it was meant to use PostgreSQL fails here.
"""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"


@pytest.mark.django_db
def test_database_is_postgresql_when_database_url_is_set():
    if os.environ.get("DATABASE_URL"):
        assert connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute("select 1")
            assert cursor.fetchone() == (1,)
    else:
        assert not REQUIRED, "REQUIRE_SERVICES=1 but DATABASE_URL is not set"
        assert connection.vendor == "sqlite"


def test_cache_round_trips_through_redis_when_redis_url_is_set():
    if os.environ.get("REDIS_URL"):
        from django_redis import get_redis_connection

        assert get_redis_connection("default").ping()
        key_prefix = settings.CACHES["default"]["KEY_PREFIX"]
        assert key_prefix.startswith("learning-test-")
    else:
        assert not REQUIRED, "REQUIRE_SERVICES=1 but REDIS_URL is not set"
    cache.set("services-check", "ok", 10)
    assert cache.get("services-check") == "ok"
    cache.delete("services-check")


async def test_channel_layer_delivers_a_message():
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "check", "text": "hello"})
    assert (await layer.receive(channel))["text"] == "hello"
    expected = "RedisChannelLayer" if os.environ.get("REDIS_URL") else "InMemoryChannelLayer"
    assert type(layer).__name__ == expected
