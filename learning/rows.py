"""Model instances from plain SQL, for the reader's state that a student's course and module
pages read on every request (learning.models.pages.reader_state: the enrollment, with the
completed modules and passed quizzes, in one query). That one query instead of the ORM's three
is a third of those pages' throughput (docs/performance.md, "What each hand-made piece saves").
The instance is built as the ORM does: the database's and the fields' converters applied, then
``Model.from_db``.
"""

from django.db import connection

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
