"""The site's URLs plus the baseline view the bench compares every scenario with."""

from django.http import HttpResponse
from django.urls import include, path


def minimal(request):
    """The cheapest Django view: the whole middleware stack, no database, no template."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/minimal/", minimal),
    path("", include("config.urls")),
]
