"""Persistent PostgreSQL connections are Django's own, health-checked (CONN_HEALTH_CHECKS): one
that the server closed is replaced at the next request instead of failing it."""

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


@pytest.fixture
def persistent():
    """A second connection to the test database, persistent and health-checked, as the app
    servers run it (DATABASE_CONN_MAX_AGE > 0)."""
    settings = {**connection.settings_dict, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    db = type(connections["default"])(settings, alias="health-check-test")
    yield db
    db.close()


def backend_pid(db):
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_persistent_connection_is_kept_from_one_request_to_the_next(persistent):
    first = backend_pid(persistent)
    persistent.close_if_unusable_or_obsolete()  # what Django does when a request starts
    assert backend_pid(persistent) == first


def test_a_connection_the_server_closed_is_replaced_at_the_next_request(persistent):
    first = backend_pid(persistent)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    persistent.close_if_unusable_or_obsolete()  # a new request: the health check is due
    assert backend_pid(persistent) not in (None, first)
