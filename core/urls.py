"""Wagtail's front-end URLs (wagtail.urls), with pages served by core.views.serve."""

from django.urls import re_path
from wagtail import urls as wagtail_urls

from core import views

# Wagtail's own patterns (the password form, the log-in page), its page pattern replaced: the
# same path and name ("wagtail_serve", which page URLs are reversed from), served by our view.
urlpatterns = [
    *(pattern for pattern in wagtail_urls.urlpatterns if pattern.name != "wagtail_serve"),
    re_path(wagtail_urls.serve_pattern, views.serve, name="wagtail_serve"),
]
