"""Fixtures for the chat's tests: transactional test modules, a private Redis server."""

import pytest

from conftest import migrated_rows, restore_rows


def _migrations_content_types(connection):
    rows = migrated_rows(connection)
    return rows, {
        (row["pk"], row["fields"]["app_label"], row["fields"]["model"])
        for row in rows
        if row["model"] == "contenttypes.contenttype"
    }


def _holds_migrated_data(connection, content_types):
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Site

    found = set(ContentType.objects.values_list("pk", "app_label", "model"))
    return found == content_types and Site.objects.filter(is_default_site=True).exists()


@pytest.fixture(scope="module")
def migrated_data(django_db_setup, django_db_blocker):
    """The migrations' data (default Site and HomePage, groups, content types under their ids)
    around a module of tests marked ``transaction=True, serialized_rollback=True``.

    serialized_rollback keeps it between the module's own tests, but only when each test
    starts from empty tables or from that data: a transactional test without it that ran
    before leaves content types recreated under new ids (its flush's post_migrate). This puts
    the data back before the module's first test when it is not there, and after its last one,
    whose flush leaves the tables empty for whatever runs next.
    """
    from django.db import connection

    with django_db_blocker.unblock():
        rows, content_types = _migrations_content_types(connection)
        if not _holds_migrated_data(connection, content_types):
            restore_rows(connection, rows)
    yield
    with django_db_blocker.unblock():
        restore_rows(connection, rows)


@pytest.fixture
def throwaway_redis(tmp_path):
    """A private redis-server for this test (chat.tests.live_servers.ThrowawayRedis)."""
    from chat.tests.live_servers import REDIS_SERVER, ThrowawayRedis

    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()
