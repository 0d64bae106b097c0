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


def prepared_names(db):
    with db.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'learning_%%'")
        return [name for (name,) in cursor.fetchall()]


def run(db, sql, params):
    from learning import rows

    with db.cursor() as cursor:
        rows.execute_prepared(cursor, sql, params)
        return cursor.fetchall()


SUM = "SELECT %s::int + %s::int, %s::text"


def test_a_prepared_query_answers_as_a_plain_one_and_is_prepared_once_per_connection(wrapper):
    assert run(wrapper, SUM, [1, 2, "a"]) == [(3, "a")]
    assert run(wrapper, SUM, [40, 2, "b%s"]) == [(42, "b%s")]
    assert len(prepared_names(wrapper)) == 1
    wrapper.close()  # a new connection: prepared again
    assert run(wrapper, SUM, [1, 1, "c"]) == [(2, "c")]
    assert len(prepared_names(wrapper)) == 1


def test_a_connection_per_request_runs_the_query_plainly():
    assert connection.settings_dict["CONN_MAX_AGE"] == 0  # the tests' own connection
    assert run(connection, SUM, [1, 2, "a"]) == [(3, "a")]
    assert connection.prepared_statements is None and prepared_names(connection) == []


def test_a_statement_whose_table_changed_is_prepared_again(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE shelf (label varchar(10))")
        cursor.execute("INSERT INTO shelf VALUES ('a'), ('b')")
    sql = "SELECT label FROM shelf WHERE label <> %s ORDER BY label"
    assert run(wrapper, sql, ["a"]) == [("b",)]
    with wrapper.cursor() as cursor:  # what a migration does while the app runs
        cursor.execute("ALTER TABLE shelf ALTER COLUMN label TYPE varchar(20)")
    assert run(wrapper, sql, ["b"]) == [("a",)]


def test_a_statement_the_server_dropped_is_prepared_again(wrapper):
    assert run(wrapper, SUM, [1, 2, "a"]) == [(3, "a")]
    with wrapper.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler resetting the session would
    assert run(wrapper, SUM, [2, 2, "b"]) == [(4, "b")]


def test_a_query_with_a_literal_percent_sign_is_refused(wrapper):
    with pytest.raises(ValueError, match="placeholders"):
        run(wrapper, "SELECT %s::text LIKE 'a%%'", ["a"])
