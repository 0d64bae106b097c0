"""Wagtail's endpoint URL patterns with a bounded id (core.converters): a detail URL naming a
number beyond the database's integers is a 404, not a failed query."""

from django.urls import path


class BoundedIdPatterns:
    @classmethod
    def get_urlpatterns(cls):
        return [
            path("<id:pk>/", cls.as_view({"get": "detail_view"}), name="detail")
            if pattern.name == "detail"
            else pattern
            for pattern in super().get_urlpatterns()
        ]
