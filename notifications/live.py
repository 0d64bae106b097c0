"""Live delivery: each new notification is sent to its user's channel-layer group,
``notifications.user.<id>``, which every open tab of that user joins (consumers.py).

A push is a courtesy: the notification is already stored, and the page reads the unread count
again whenever its socket (re)connects. So a channel layer that cannot be reached is logged,
never raised. With the in-memory channel layer (no ``REDIS_URL``) a worker process cannot reach
the server's sockets: pushes then arrive only from the same process.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

EVENT = "notification.created"  # handled by NotificationConsumer.notification_created


def group_name(user_id):
    return f"notifications.user.{user_id}"


def frame(notification, unread):
    """The WebSocket frame of a new notification (the consumer sends it as it is)."""
    return {
        "type": "notification",
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "url": notification.url,
        "unread": unread,
    }


def push(notifications, unread):
    """Send each notification to its user's group; ``unread``: ``{user id: unread count}``."""
    layer = get_channel_layer()
    if layer is None or not notifications:
        return
    events = [
        (group_name(n.user_id), {"type": EVENT, "frame": frame(n, unread.get(n.user_id, 0))})
        for n in notifications
    ]
    async_to_sync(_send_all)(layer, events)


async def _send_all(layer, events):
    failed = 0
    for group, event in events:
        try:
            await layer.group_send(group, event)
        except Exception:  # a lost Redis: the notifications are stored, the pages catch up
            failed += 1
            if failed == 1:
                logger.warning("Could not push a notification live", exc_info=True)
    if failed > 1:
        logger.warning("Could not push %d notifications live", failed)


def session_ended(sender=None, user=None, **kwargs):
    """A user logged out (``user_logged_out``): their open sockets close (code 4000), and each
    page reconnects, which only a page still logged in can do. So a tab left open after logging
    out receives no more of that user's notifications."""
    layer = get_channel_layer()
    if layer is None or user is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(user.pk), {"type": "session.ended"})
    except Exception:
        logger.warning("Could not close the notification sockets of user %s", user.pk)
