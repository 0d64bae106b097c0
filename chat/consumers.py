"""The course chat over WebSockets: ``/ws/chat/room/<course_id>/``.

Protocol (JSON text frames):

client → server
    {"type": "message", "text": "..."}      send a message (1–2,000 characters after trimming)
    {"type": "history", "before": <id>}     the 50 messages older than <id>
    {"type": "delete", "id": <id>}          remove a message (course instructor and editors)
    {"type": "ping"}                        keep presence fresh (every 30 s)

server → client
    {"type": "history", "messages": [...], "has_more": bool, "before": <id> | null}
    {"type": "message", "message": {...}}   a new message (stored before it is sent)
    {"type": "deleted", "id": <id>}
    {"type": "presence", "users": [{"id", "name", "role"}]}   who is online: on connect and
                                            in answer to a ping
    {"type": "presence", "joined": {"id", "name", "role"}}    a user's first connection opened
    {"type": "presence", "left": <user id>}  a user's last connection closed
    {"type": "error", "code": "...", "message": "..."}   the connection stays open
    {"type": "pong"}                        the answer to a ping (then the presence list)

Connections are closed with 4401 (not logged in), 4403 (not a member of the course, or no
longer enrolled), 4404 (no such live course), 4429 (flooding) and 4503 (chat unavailable:
the channel layer cannot be reached). 4401, 4403 and 4404 at connect time come right after
the handshake is accepted, with nothing sent in between, so that browsers see them; when the
channel layer cannot be reached at connect time the handshake itself is refused. Only
enrolled students, the course's instructor, editors and superusers may join
(learning.access.can_study).

Messages, joins and leaves reach each process once (chat.fanout) with the frame already
encoded, and each process writes them to its own sockets: a message to a room of hundreds costs
one ``json.dumps`` and one Redis publish. Joins and leaves are sent as changes, not as the whole
list, so a class arriving at once costs a small frame per member per arrival.
"""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from redis.exceptions import RedisError

from chat import fanout, services
from chat.models import MAX_LENGTH

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 8 * 1024
FLOOD_LIMIT = 20  # refused frames per connection before it is closed

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_FLOOD = 4429
CLOSE_UNAVAILABLE = 4503

# What a channel layer raises when its server goes away (redis-py wraps socket errors).
CHANNEL_LAYER_ERRORS = (RedisError, OSError)


def room_group(course_id):
    return f"chat.course.{course_id}"


def user_group(user_id):
    return f"chat.user.{user_id}"


ROOM_EVENTS = {"chat.deleted"}  # through the channel layer (chat.signals); the rest: fanout


def room_event(event_type, frame):
    """A channel-layer event for a room, with ``frame`` encoded once for every member."""
    return {"type": event_type, "frame": json.dumps(frame)}


#: Message ids are 64-bit: a larger number would fail the query, not find nothing.
MAX_MESSAGE_ID = 2**63 - 1


def is_message_id(value):
    """Whether a frame's value can be a message id: an integer (not a boolean) in range."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_MESSAGE_ID


class ChatConsumer(AsyncWebsocketConsumer):
    course = None
    accepted = False
    lost = False
    held = None  # room frames that arrived before the history was sent

    async def __call__(self, scope, receive, send):
        # The consumer waits on the channel layer for room events all the time. If Redis goes
        # away that wait raises, which would end the consumer with an exception: daphne closes
        # the socket with 1011 and logs a crash. Tell the client the chat is unavailable instead.
        try:
            await super().__call__(scope, receive, send)
        except CHANNEL_LAYER_ERRORS:
            logger.warning("Chat unavailable: lost the channel layer", exc_info=True)
            await self.lost_channel_layer()

    async def lost_channel_layer(self):
        """Redis went away (noticed by the channel layer or by the room's subscription)."""
        if not self.accepted or self.lost:  # refused, or told already
            return
        self.lost = True
        try:
            await self.send_json(
                {
                    "type": "error",
                    "code": "unavailable",
                    "message": "The chat is unavailable right now; trying again shortly.",
                }
            )
            await self.close(code=CLOSE_UNAVAILABLE)
        except Exception:  # the client may be gone already
            logger.debug("Could not tell the client the chat is unavailable", exc_info=True)
        await database_sync_to_async(services.leave)(self.channel_name)

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.refuse_connection(CLOSE_UNAUTHENTICATED)
            return
        course_id = self.scope["url_route"]["kwargs"]["course_id"]
        course, allowed, can_moderate = await database_sync_to_async(services.admission)(
            user, course_id
        )
        if course is None:
            await self.refuse_connection(CLOSE_NOT_FOUND)
            return
        if not allowed:
            await self.refuse_connection(CLOSE_FORBIDDEN)
            return
        self.course = course
        self.user = user
        self.refused = 0
        self.can_moderate = can_moderate
        self.held = []
        try:
            await self.channel_layer.group_add(room_group(course.pk), self.channel_name)
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
            await fanout.hub().join(course.pk, self)
        except Exception:
            logger.exception("Chat unavailable: cannot reach the channel layer")
            # A refused handshake (HTTP 403; browsers report 1006), not accept-then-close: the
            # page backs off exponentially after failed handshakes, but starts again from its
            # first delay after every successful open.
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        await self.accept()
        self.accepted = True
        messages, has_more, users, first = await database_sync_to_async(services.join)(
            course, user, self.channel_name
        )
        await self.send_json({"type": "history", "messages": messages, "has_more": has_more})
        await self.send_json({"type": "presence", "users": users})
        await self.release_held_frames()
        if first:
            joined = {"type": "presence", "joined": services.member(user, course)}
            await self.publish(joined, sender=self.channel_name)

    async def refuse_connection(self, code):
        """Close with ``code`` so that the browser sees it: closing before the handshake is
        accepted makes the server answer HTTP 403, and the browser reports only 1006. Nothing is
        sent in between."""
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code):
        if self.course is None:
            return
        left = await database_sync_to_async(services.leave)(self.channel_name)
        try:
            await fanout.hub().leave(self.course.pk, self)
            await self.channel_layer.group_discard(room_group(self.course.pk), self.channel_name)
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
            if left is not None:
                await fanout.hub().publish(
                    self.course.pk, json.dumps({"type": "presence", "left": left})
                )
        except Exception:
            logger.warning("Could not leave the chat groups cleanly", exc_info=True)

    # --- frames from the browser ---------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self.refuse("invalid", "Send JSON text frames.")
            return
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.refuse("too_large", "That frame is too large.")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.refuse("invalid", "That frame is not valid JSON.")
            return
        kind = frame.get("type") if isinstance(frame, dict) else None
        if not isinstance(kind, str):  # a list or an object cannot name a handler
            kind = None
        handler = {
            "message": self.on_message,
            "history": self.on_history,
            "delete": self.on_delete,
            "ping": self.on_ping,
        }.get(kind)
        if handler is None:
            await self.refuse("invalid", "Unknown frame type.")
            return
        await handler(frame)

    async def on_message(self, frame):
        text = frame.get("text")
        if not isinstance(text, str):
            await self.refuse("invalid", "A message needs a text.")
            return
        text = text.strip()
        if not text:
            await self.refuse("empty", "Write something first.")
            return
        if len(text) > MAX_LENGTH:
            await self.refuse("too_long", f"Messages are at most {MAX_LENGTH} characters.")
            return
        # Stored first: a message that reached anyone is in the database.
        message = await database_sync_to_async(services.post)(self.course, self.user, text)
        if message is None:
            await self.refuse("rate_limited", "You are sending too fast: wait a few seconds.")
            return
        payload = services.serialize(message, self.course)
        if not await self.publish({"type": "message", "message": payload}):
            await self.send_json(
                {
                    "type": "error",
                    "code": "unavailable",
                    "message": "The chat is unavailable right now; your message was saved.",
                }
            )

    async def on_history(self, frame):
        before = frame.get("before")
        if not is_message_id(before):
            await self.refuse("invalid", "“before” must be a message id.")
            return
        messages, has_more = await database_sync_to_async(services.history)(self.course, before)
        await self.send_json(
            {"type": "history", "messages": messages, "has_more": has_more, "before": before}
        )

    async def on_delete(self, frame):
        message_id = frame.get("id")
        if not self.can_moderate:
            await self.refuse("forbidden", "Only the instructor and editors can delete messages.")
            return
        if not is_message_id(message_id):
            await self.refuse("invalid", "“id” must be a message id.")
            return
        if not await database_sync_to_async(services.delete)(self.course, message_id):
            await self.send_json(
                {"type": "error", "code": "not_found", "message": "No such message."}
            )
        # The post_delete signal (chat.signals) tells the room.

    async def on_ping(self, frame):
        # The list too: it corrects what a lost "left" (a server that died) left behind.
        users = await database_sync_to_async(services.seen)(self.channel_name, self.course)
        await self.send_json({"type": "pong"})
        await self.send_json({"type": "presence", "users": users})

    # --- events from the channel layer -----------------------------------------------------------
    async def dispatch(self, message):
        # Channels hops to a thread to close stale database connections before every handler.
        # Room events only forward a frame, so they skip that hop: with hundreds of members it
        # was most of the cost of a message. Whatever uses the database goes through
        # database_sync_to_async, which closes stale connections itself.
        if message["type"] in ROOM_EVENTS:
            await self.forward(message)
        else:
            await super().dispatch(message)

    async def forward(self, event):
        """A room event: its frame was encoded once by the sender (room_event)."""
        await self.send(text_data=event["frame"])

    chat_deleted = forward

    async def room_frame(self, frame):
        """A frame from the room (chat.fanout), sent after the history and presence list."""
        if self.held is None:
            await self.send(text_data=frame)
        else:
            self.held.append(frame)

    async def release_held_frames(self):
        while self.held:
            await self.send(text_data=self.held.pop(0))
        self.held = None

    async def membership_ended(self, event):
        """The user left the course (or was removed) while connected: stop serving them."""
        if self.course is not None and event["course_id"] == self.course.pk:
            still_allowed = await database_sync_to_async(services.may_join)(self.user, self.course)
            if not still_allowed:
                await self.send_json(
                    {
                        "type": "error",
                        "code": "not_member",
                        "message": "You are no longer enrolled in this course.",
                    }
                )
                await self.close(code=CLOSE_FORBIDDEN)

    # --- helpers ------------------------------------------------------------------------------
    async def send_json(self, content):
        await self.send(text_data=json.dumps(content))

    async def refuse(self, code, message):
        """An error frame; too many of them from one connection and it is closed."""
        self.refused += 1
        if self.refused > FLOOD_LIMIT:
            await self.close(code=CLOSE_FLOOD)
            return
        await self.send_json({"type": "error", "code": code, "message": message})

    async def publish(self, frame, sender=""):
        """Send ``frame`` to the room (but ``sender``); False when Redis cannot be reached."""
        try:
            await fanout.hub().publish(self.course.pk, json.dumps(frame), sender)
        except Exception:
            logger.exception("Chat unavailable: cannot publish to the room")
            return False
        return True
