"""Wagtail's API pagination, with offsets the database can take.

An offset beyond a 64-bit integer reaches PostgreSQL as an out-of-range value (a 500); such an
offset can only page past the end, so it is refused with a 400 like any other bad offset.
"""

from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.utils import BadRequestError

#: The largest offset accepted: far beyond any listing, within every database's integers.
MAX_OFFSET = 2**31 - 1


class Pagination(WagtailPagination):
    def paginate_queryset(self, queryset, request, view=None):
        offset = request.GET.get("offset", "0").strip()
        if offset.isdigit() and int(offset) > MAX_OFFSET:
            raise BadRequestError(f"offset cannot be higher than {MAX_OFFSET}")
        return super().paginate_queryset(queryset, request, view)
