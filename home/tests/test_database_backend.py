"""Persistent PostgreSQL connections are health-checked at most once a second (home/postgresql)."""

import pytest
from django.db import OperationalError, connection

from home.postgresql import base

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


@pytest.fixture
def wrapper():
    """A second connection to the test database, persistent and health-checked, as the app
    servers run it (DATABASE_CONN_MAX_AGE > 0)."""
    settings = {**connection.settings_dict, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    db = base.DatabaseWrapper(settings, alias="health-check-test")
    yield db
    db.close()


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(base.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def checks(wrapper, monkeypatch):
    made = []
    real = wrapper.is_usable

    def is_usable():
        made.append(True)
        return real()

    monkeypatch.setattr(wrapper, "is_usable", is_usable)
    return made


def query(db):
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def closed_by_the_server(db):
    """The connection's pid, after the server closed it (as a restart would)."""
    pid = query(db)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    return pid


def next_request(db):
    db.close_if_unusable_or_obsolete()  # what Django does at the start and end of a request


def test_a_connection_used_within_the_second_is_not_asked_select_1(wrapper, clock, checks):
    first = query(wrapper)
    for _ in range(5):
        clock[0] += 0.15
        next_request(wrapper)
        assert query(wrapper) == first
    assert checks == []


def test_a_connection_idle_for_a_second_is_checked_before_its_next_use(wrapper, clock, checks):
    first = query(wrapper)
    clock[0] += 1.5
    next_request(wrapper)
    assert query(wrapper) == first
    assert checks == [True]
    clock[0] += 0.5  # checked half a second ago: not again
    next_request(wrapper)
    query(wrapper)
    assert checks == [True]


def test_a_connection_closed_by_the_server_while_idle_is_replaced(wrapper, clock):
    first = closed_by_the_server(wrapper)
    clock[0] += 1.5
    next_request(wrapper)
    assert query(wrapper) != first  # the check found it closed: a new connection answered


def test_within_the_second_a_closed_connection_fails_one_query_then_is_replaced(wrapper, clock):
    first = closed_by_the_server(wrapper)
    clock[0] += 0.2
    next_request(wrapper)
    with pytest.raises(OperationalError):
        query(wrapper)
    next_request(wrapper)  # the end of that request: Django closes the broken connection
    assert query(wrapper) != first


def test_a_prepared_query_answers_as_a_plain_one_and_is_prepared_once_per_connection():
    from learning import rows

    sql = "SELECT %s::int + %s::int, %s::text"
    with connection.cursor() as cursor:
        for values in ([1, 2, "a"], [40, 2, "b%s"]):
            rows.execute_prepared(cursor, sql, values)
            assert cursor.fetchone() == (values[0] + values[1], values[2])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'learning_%%'")
        assert cursor.fetchone() == (1,)
    assert len(connection.prepared_statements) == 1
    connection.close()  # a new connection: prepared again
    with connection.cursor() as cursor:
        rows.execute_prepared(cursor, sql, [1, 1, "c"])
        assert cursor.fetchone() == (2, "c")
