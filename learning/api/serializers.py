"""Wagtail's page serializer, with ``html_url`` on the same base as ``detail_url``.

Wagtail names a page's ``html_url`` from its site record's host name and port
(``Page.full_url``), and ``detail_url`` from the API's base URL (``WAGTAILAPI_BASE_URL``, else
the request's host): with a site record on port 80 served on another port, the two disagreed.
Here both come from Wagtail's ``get_full_url`` for the request.
"""

from django.urls import NoReverseMatch
from rest_framework.fields import Field
from wagtail.api.utils import get_full_url
from wagtail.api.v2.serializers import PageSerializer as WagtailPageSerializer

from core.sites import site_for


def absolute_page_url(page, request):
    """The page's URL on the API's base URL, as ``detail_url`` (its own site's full URL when
    it belongs to another site), or None for a page that is not routable."""
    try:
        url = page.relative_url(site_for(request), request=request)
    except NoReverseMatch:
        return None
    return get_full_url(request, url) if url else None


class RequestHtmlUrlField(Field):
    def get_attribute(self, instance):
        return instance

    def to_representation(self, page):
        return absolute_page_url(page, self.context["request"])


class PageSerializer(WagtailPageSerializer):
    html_url = RequestHtmlUrlField(read_only=True)
