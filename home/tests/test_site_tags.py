"""Template helpers of the public site (home/templatetags/site_tags.py)."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

LATE_EVENING_UTC = datetime.datetime(2026, 11, 5, 23, 30, tzinfo=datetime.UTC)


def render(source, **values):
    return Template("{% load site_tags %}" + source).render(Context(values))


def test_long_date_reads_as_the_date_filter():
    assert render("{{ when|long_date }}", when=LATE_EVENING_UTC) == "5 November 2026"
    assert render("{{ when|long_date }}", when=LATE_EVENING_UTC) == render(
        '{{ when|date:"j F Y" }}', when=LATE_EVENING_UTC
    )


def test_long_date_is_the_day_in_the_current_time_zone():
    with timezone.override("Europe/Paris"):
        assert render("{{ when|long_date }}", when=LATE_EVENING_UTC) == "6 November 2026"
    assert render("{{ when|long_date }}", when=LATE_EVENING_UTC) == "5 November 2026"


def test_long_date_is_written_in_the_current_language():
    with translation.override("fr"):
        assert render("{{ when|long_date }}", when=LATE_EVENING_UTC) == "5 novembre 2026"
    assert render("{{ when|long_date }}", when=LATE_EVENING_UTC) == "5 November 2026"


@pytest.mark.parametrize("value", [None, "", "yesterday", 3])
def test_long_date_of_no_date_is_empty(value):
    assert render("{{ when|long_date }}", when=value) == ""


def test_long_date_of_a_date_without_time():
    assert render("{{ when|long_date }}", when=datetime.date(2026, 1, 2)) == "2 January 2026"
