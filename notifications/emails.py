"""The e-mail of a notification, and the signed unsubscribe token its links carry.

Every e-mail has a plain-text body (and an HTML alternative), the user's name, an absolute link
to the notification's page and the one-click unsubscribe headers of RFC 8058:
``List-Unsubscribe: <https://…/notifications/unsubscribe/<token>/>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``.

Links are absolute from ``WAGTAILADMIN_BASE_URL``, as learning's enroll reminder builds them:
a worker has no request to read a host from.

The token is ``django.core.signing`` over the user id and the kind, salted for this use only: it
needs no login and never expires (an unsubscribe link must work in an old e-mail), and turns off
only that kind for that user.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.models import Kind

SALT = "notifications.unsubscribe"


def unsubscribe_token(user_id, kind):
    return signing.dumps([user_id, kind], salt=SALT)


def read_unsubscribe_token(token):
    """``(user_id, kind)`` from a token, or ``None`` when it is forged, damaged or stale (a
    kind that no longer exists)."""
    try:
        user_id, kind = signing.loads(token, salt=SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or kind not in Kind.values:
        return None
    return user_id, kind


def absolute(path):
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def message(notification, connection=None):
    """The e-mail of ``notification`` (its ``user`` loaded) to its user."""
    user = notification.user
    unsubscribe = absolute(
        reverse(
            "notifications:unsubscribe",
            args=[unsubscribe_token(user.pk, notification.kind)],
        )
    )
    context = {
        "name": user.get_full_name() or user.get_username(),
        "notification": notification,
        "kind": Kind(notification.kind).label,
        "link": absolute(notification.url or reverse("notifications:centre")),
        "unsubscribe": unsubscribe,
        "settings_link": absolute(reverse("notifications:settings")),
        "site_name": settings.WAGTAIL_SITE_NAME,
    }
    email = EmailMultiAlternatives(
        subject=notification.title,
        body=render_to_string("notifications/email.txt", context),
        to=[user.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return email
