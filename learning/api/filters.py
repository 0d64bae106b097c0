"""Wagtail's API search, made safe for the site's public endpoints.

* A ``search_operator`` other than ``and`` or ``or`` is a 400: Wagtail hands it to the search
  backend, which raises ``ValueError`` (a 500).
* Module pages index their body so that editors find them in the admin's search. A public search
  that matched a body would tell anyone which module contains a word (a quiz answer, say), so
  here module pages match on their title only.
"""

from django.db.models import Case, When
from wagtail.api.v2 import filters
from wagtail.api.v2.utils import BadRequestError
from wagtail.search.backends import get_search_backend

SEARCH_OPERATORS = {"and", "or"}


class SearchFilter(filters.SearchFilter):
    def filter_queryset(self, request, queryset, view):
        from learning.models import ModulePage

        if "search" not in request.GET:
            return queryset
        operator = request.GET.get("search_operator")
        if operator is not None and operator not in SEARCH_OPERATORS:
            raise BadRequestError("search_operator must be 'and' or 'or'")
        if not issubclass(ModulePage, queryset.model):
            return super().filter_queryset(request, queryset, view)

        order_by_relevance = "order" not in request.GET
        others = super().filter_queryset(request, queryset.not_type(ModulePage), view)
        modules = get_search_backend().search(
            request.GET["search"],
            queryset.type(ModulePage),
            fields=["title"],
            operator=operator,
            order_by_relevance=order_by_relevance,
        )
        ids = [page.pk for page in others] + [page.pk for page in modules]
        queryset = queryset.filter(pk__in=ids)
        if order_by_relevance and ids:
            queryset = queryset.order_by(
                Case(*(When(pk=pk, then=position) for position, pk in enumerate(ids)))
            )
        return queryset


def with_safe_search(filter_backends):
    """Wagtail's list of filter backends with its SearchFilter replaced by ours."""
    return [SearchFilter if f is filters.SearchFilter else f for f in filter_backends]
