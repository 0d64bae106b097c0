"""Room fan-out: each process receives a room's frame once and writes it to its own sockets.

Channels' groups deliver a group message to every member connection through that connection's
own receive loop (two tasks, a queue and a dispatch per connection and message). In a room of
hundreds that machinery, not the network, was the cost of a chat message (docs/performance.md).
Room frames (messages, joins and leaves) go instead through one Redis pub/sub channel per room:
each app process subscribes once for every room that has connections in it, and writes every
frame it hears to those sockets, in order. Without Redis (one process, the development
default) frames go straight to the sockets of the process.

Rare room events (a moderator's deletion, from the admin too) and per-user events still travel
through the channel layer groups, whose receive loop also notices a lost Redis first.

A hub belongs to one event loop (``hub()``). It hands each frame to the consumer's
``room_frame`` coroutine, which holds frames back until the consumer has sent its history.
"""

import asyncio
import contextlib
import logging
import weakref
from collections import defaultdict

from django.conf import settings
from redis import asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

SEPARATOR = "\x00"  # between the sender's channel name and the frame, in a published payload


class LocalHub:
    """Frames to the sockets of this process only."""

    def __init__(self):
        self.rooms = defaultdict(dict)  # room (str) -> {channel name: consumer}

    async def join(self, room, consumer):
        self.rooms[str(room)][consumer.channel_name] = consumer

    async def leave(self, room, consumer):
        room = str(room)
        members = self.rooms.get(room)
        if members is not None:
            members.pop(consumer.channel_name, None)
            if not members:
                del self.rooms[room]
                await self.unsubscribe(room)

    async def unsubscribe(self, room):
        """Nothing to do without Redis."""

    async def publish(self, room, frame, sender=""):
        """Send ``frame`` (JSON text) to every connection in ``room`` but ``sender``."""
        await self.deliver(room, frame, sender)

    async def deliver(self, room, frame, sender):
        for channel_name, consumer in list(self.rooms.get(str(room), {}).items()):
            if channel_name == sender:
                continue
            try:
                await consumer.room_frame(frame)
            except Exception:  # a socket closing under us: its own disconnect cleans up
                logger.debug("Could not deliver a room frame", exc_info=True)


class RedisHub(LocalHub):
    """Frames through one Redis pub/sub channel per room, shared by every app process."""

    def __init__(self, url, prefix, **options):
        super().__init__()
        self.url = url
        self.prefix = prefix
        self.options = options  # the channel layer's socket time-outs: a paused Redis
        # fails a publish after them, instead of holding the sender's frames for ever
        self.client = None
        self.pubsub = None
        self.reader = None

    def channel(self, room):
        return f"{self.prefix}:{room}"

    async def connection(self):
        if self.client is None:
            self.client = aioredis.Redis.from_url(self.url, **self.options)
        return self.client

    async def join(self, room, consumer):
        """Raises the connection's error when Redis cannot be reached; nothing is left behind."""
        if str(room) not in self.rooms:
            if self.pubsub is None:
                self.pubsub = (await self.connection()).pubsub(ignore_subscribe_messages=True)
            await self.pubsub.subscribe(self.channel(room))
            if self.reader is None or self.reader.done():
                self.reader = asyncio.ensure_future(self.read(self.pubsub))
        await super().join(room, consumer)

    async def unsubscribe(self, room):
        if self.pubsub is not None:
            try:
                await self.pubsub.unsubscribe(self.channel(room))
            except (RedisError, OSError):
                logger.debug("Could not unsubscribe from a room", exc_info=True)

    async def publish(self, room, frame, sender=""):
        client = await self.connection()
        await client.publish(self.channel(room), f"{sender}{SEPARATOR}{frame}")

    async def read(self, pubsub):
        """Deliver what the subscriptions hear, until Redis goes away: then every connection of
        this process is told the chat is unavailable (its page reconnects and catches up)."""
        start = len(self.prefix) + 1
        try:
            while True:
                if not pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await pubsub.get_message(timeout=1.0)
                if message is None or message["type"] != "message":
                    continue
                sender, _, frame = message["data"].decode().partition(SEPARATOR)
                await self.deliver(message["channel"].decode()[start:], frame, sender)
        except (RedisError, OSError):
            logger.warning("Chat unavailable: lost the room subscriptions", exc_info=True)
        except asyncio.CancelledError:
            raise
        if self.pubsub is pubsub:
            self.pubsub = None
        rooms, self.rooms = self.rooms, defaultdict(dict)
        for members in rooms.values():
            for consumer in members.values():
                await consumer.lost_channel_layer()
        with contextlib.suppress(RedisError, OSError):
            await pubsub.aclose()


_hubs = weakref.WeakKeyDictionary()  # event loop -> hub


def hub():
    """The hub of the running event loop."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        layer = settings.CHANNEL_LAYERS.get("default", {})
        config = layer.get("CONFIG", {})
        if layer.get("BACKEND", "").startswith("channels_redis") and config.get("hosts"):
            host = config["hosts"][0]
            if not isinstance(host, dict):
                host = {"address": host}
            options = {k: v for k, v in host.items() if k.startswith("socket_")}
            found = RedisHub(host["address"], f"{config.get('prefix', 'asgi')}:room", **options)
        else:
            found = LocalHub()
        _hubs[loop] = found
    return found


def reset():
    """Forget every hub (tests: each test has a fresh channel layer and event loop)."""
    _hubs.clear()
