"""Model instances from plain SQL, for the few lookups that every page request makes.

The logged-in user, the reader's enrollment, the module being read: building the ORM query for
each (or a ``RawQuerySet``'s mapping of its columns) cost more than the database takes to answer
it. These read one row with hand-written SQL and build the instance as the ORM does: the
database's and the fields' converters applied, then ``Model.from_db``.
"""

import contextlib
import hashlib
import re

from django.db import DatabaseError, connection

_converters = {}


def _fields(model, defer=()):
    return [field for field in model._meta.concrete_fields if field.name not in defer]


def columns(model, alias_of=None, defer=()):
    """The model's concrete columns, in field order, for a SELECT list (but the fields named in
    ``defer``, which the instance then loads when read, as the ORM's ``defer()``).

    ``alias_of(field.model)``: the table alias to qualify each column with (for a model whose
    fields live in two tables, such as a page type); unqualified without it.
    """
    quote = connection.ops.quote_name
    return ", ".join(
        f"{alias_of(field.model)}.{quote(field.column)}" if alias_of else quote(field.column)
        for field in _fields(model, defer)
    )


def _converters_of(model, defer):
    key = (model, connection.vendor, defer)
    found = _converters.get(key)
    if found is None:
        found = []
        for index, field in enumerate(_fields(model, defer)):
            column = field.get_col(model._meta.db_table)
            convert = connection.ops.get_db_converters(column) + column.get_db_converters(
                connection
            )
            if convert:
                found.append((index, convert, column))
        _converters[key] = found
    return found


def first(model, sql, params, defer=()):
    """The first row of ``sql`` as a ``model`` instance, or None.

    ``sql`` must select ``columns(model, defer=defer)``: every concrete field, in order.
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else build(model, row, defer)


def build(model, values, defer=()):
    """A ``model`` instance from the values of ``columns(model, defer=defer)``, as the database
    gave them."""
    defer = tuple(defer)
    values = list(values)
    for index, convert, column in _converters_of(model, defer):
        value = values[index]
        for converter in convert:
            value = converter(value, column, connection)
        values[index] = value
    names = [field.attname for field in _fields(model, defer)] if defer else None
    return model.from_db(connection.alias, names, values)


def copy_of(instance):
    """``copy.copy(instance)`` for a model instance kept in memory, which each request must
    get its own of: its attributes, state and cached related objects copied, the values shared,
    as ``copy.copy`` makes it, without its detour through pickling (``Model.__reduce__``), a
    twentieth of a page's Python work for the site and the page being read."""
    new = object.__new__(type(instance))
    new.__dict__.update(instance.__dict__)
    state = new._state = object.__new__(type(instance._state))
    state.__dict__.update(instance._state.__dict__)
    if "fields_cache" in state.__dict__:
        state.fields_cache = dict(state.fields_cache)
    return new


_PLACEHOLDER = re.compile(r"%s")
_statements = {}
# The server's answers to an EXECUTE of a statement it no longer has ("26000") or whose tables
# changed since it was prepared ("0A000": cached plan must not change result type).
_STALE = {"26000", "0A000"}


def execute_prepared(cursor, sql, params):
    """``cursor.execute(sql, params)``, as a statement PostgreSQL prepares once per connection.

    Planning a query with a few joins took the server longer than running it; a prepared
    statement is planned once (then with a generic plan, which is why ``sql`` should give the
    planner ranges rather than ``LIKE`` patterns). Only on a persistent connection of the
    project's backend (home.postgresql), which tracks what each connection prepared; a plain
    execute elsewhere. A statement the server dropped, or whose tables a migration changed, is
    prepared again (outside a transaction; inside one the error stands and the next request
    prepares it). ``sql`` holds no ``%`` but its ``%s`` placeholders. Not for a server behind a
    transaction-pooling proxy (PgBouncer's transaction mode), whose connections change under
    the client.
    """
    prepared = getattr(cursor.db, "prepared_statements", None)
    if prepared is None or not params:
        return cursor.execute(sql, params)
    name = _statements.get(sql)
    if name is None:
        if sql.count("%") != sql.count("%s"):
            raise ValueError("execute_prepared: only %s placeholders may hold a '%'")
        name = _statements[sql] = "learning_" + hashlib.sha1(sql.encode()).hexdigest()[:20]  # noqa: S324
    placeholders = ", ".join(["%s"] * len(params))
    if name not in prepared:
        _prepare(cursor, name, sql, len(params))
        prepared.add(name)
    try:
        return cursor.execute(f"EXECUTE {name} ({placeholders})", params)
    except DatabaseError as error:
        if getattr(error.__cause__, "pgcode", None) not in _STALE:
            raise
        prepared.discard(name)
        if cursor.db.in_atomic_block:
            raise
    with contextlib.suppress(DatabaseError):  # gone already: nothing to drop
        cursor.execute(f"DEALLOCATE {name}")
    _prepare(cursor, name, sql, len(params))
    prepared.add(name)
    return cursor.execute(f"EXECUTE {name} ({placeholders})", params)


def _prepare(cursor, name, sql, count):
    numbers = iter(range(1, count + 1))
    cursor.execute(f"PREPARE {name} AS {_PLACEHOLDER.sub(lambda _: f'${next(numbers)}', sql)}")
