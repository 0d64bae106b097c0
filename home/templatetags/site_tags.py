"""Small template helpers for the public site."""

from django import template

register = template.Library()


@register.filter
def startswith(value, prefix):
    """``{% if request.path|startswith:subject.url %}``: is this path inside that section?"""
    return str(value).startswith(str(prefix))
