"""The header's notifications link: where its live count connects."""

from django import template
from django.conf import settings
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def notifications_socket():
    """``data-socket-url`` for notifications.js, when this site's server takes WebSockets
    (``NOTIFICATIONS_LIVE``); nothing otherwise, and the count is read once per page."""
    if not settings.NOTIFICATIONS_LIVE:
        return ""
    return format_html(' data-socket-url="{}"', "/ws/notifications/")
