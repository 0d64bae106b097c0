"""A user's live notifications over WebSockets: ``/ws/notifications/``.

Protocol (JSON text frames), server → client only:

    {"type": "notification", "id": <id>, "kind": "...", "title": "...", "url": "/...",
     "unread": <the user's unread count>}

Frames from the client are ignored. Each socket joins the group ``notifications.user.<id>`` of
its user (live.py), to which the worker sends every new notification. Connections are closed
with 4401 when not logged in (right after the handshake is accepted, so that browsers see the
code, as the chat does), with 4503 when the channel layer cannot be reached (the handshake is
refused; the page tries again later), and with 4000 when the user logs out (anywhere: the page
reconnects, which only a page still logged in can do). The page reads the unread count over HTTP
(``/notifications/unread/``) whenever its socket opens, so nothing missed while it was closed
stays missed.
"""

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from notifications.live import group_name

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_UNAVAILABLE = 4503
CLOSE_SESSION_ENDED = 4000
# What a channel layer raises when its server goes away (redis-py wraps socket errors).
CHANNEL_LAYER_ERRORS = (RedisError, OSError)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    group = None

    async def __call__(self, scope, receive, send):
        # A lost Redis ends the consumer's wait on the channel layer with an exception: close
        # with 4503 (the page reconnects) instead of a crash logged by daphne.
        try:
            await super().__call__(scope, receive, send)
        except CHANNEL_LAYER_ERRORS:
            logger.warning("Live notifications unavailable: lost the channel layer")
            try:
                await self.close(code=CLOSE_UNAVAILABLE)
            except Exception:  # the client may be gone already
                logger.debug("Could not close the notifications socket", exc_info=True)

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            await self.channel_layer.group_add(group_name(user.pk), self.channel_name)
        except Exception:
            logger.exception("Live notifications unavailable: cannot reach the channel layer")
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        self.group = group_name(user.pk)
        await self.accept()

    async def disconnect(self, code):
        if self.group is None:
            return
        try:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        except Exception:
            logger.warning("Could not leave the notifications group cleanly", exc_info=True)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Nothing to do: the protocol runs from the server to the client, and whatever a
        client sends (even a frame that is not JSON) is ignored rather than decoded."""

    async def notification_created(self, event):
        await self.send_json(event["frame"])

    async def session_ended(self, event):
        """The user logged out somewhere: close; the page reconnects if it still may."""
        await self.close(code=CLOSE_SESSION_ENDED)
