"""Wagtail's database search backend, with every query string cleaned first.

The search backends hand a query string to the database's full-text search, whose own syntax a
visitor can break: a lone double quote is a syntax error in SQLite's FTS5, a query of nothing
but ``-`` makes the PostgreSQL backend fail while parsing it, a NUL character cannot be sent to
PostgreSQL at all. Each was a 5xx for anyone typing into the catalogue's or the API's search.
So before any search, the query string loses its control characters and double quotes, and a
query left without a letter or digit matches nothing. The backend itself is Wagtail's
``wagtail.search.backends.database`` for the current database, subclassed: everything else
(indexing, the admin's searches, results) is Wagtail's.
"""

import re
from functools import cache

from django.db.models import QuerySet
from wagtail.search.backends import database

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"]+')
#: Longer query strings are cut: no search needs more words.
MAX_LENGTH = 200


def search_text(query):
    """The query string as it is searched for, or None when nothing is left to search for."""
    text = " ".join(_UNSAFE.sub(" ", query).split())[:MAX_LENGTH]
    return text if any(character.isalnum() for character in text) else None


def nothing(model_or_queryset):
    queryset = model_or_queryset
    if not isinstance(queryset, QuerySet):
        queryset = model_or_queryset._default_manager.all()
    return queryset.none()


class CleanedQueries:
    """Searches with the query string cleaned (``search_text``); nothing found without one."""

    def search(self, query, model_or_queryset, *args, **kwargs):
        return self._cleaned_call(super().search, query, model_or_queryset, *args, **kwargs)

    def autocomplete(self, query, model_or_queryset, *args, **kwargs):
        return self._cleaned_call(super().autocomplete, query, model_or_queryset, *args, **kwargs)

    @staticmethod
    def _cleaned_call(method, query, model_or_queryset, *args, **kwargs):
        if isinstance(query, str):
            query = search_text(query)
            if query is None:
                return nothing(model_or_queryset)
        return method(query, model_or_queryset, *args, **kwargs)


@cache
def _cleaned(backend_class):
    return type(f"Cleaned{backend_class.__name__}", (CleanedQueries, backend_class), {})


def SearchBackend(params):
    """Wagtail's database backend for the current database, its queries cleaned."""
    stock = database.SearchBackend(params)
    return _cleaned(type(stock))(params)
