"""A logged-in WebSocket client for the chat consumer tests (in-process, no server)."""

import json
from contextlib import asynccontextmanager

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application

ORIGIN = b"http://testserver"
# Generous: with REDIS_URL set, every frame goes through the real Redis channel layer.
TIMEOUT = 3
QUIET = 0.3  # how long "nothing arrives" is watched for
# A consumer that closed or refused its socket is given this long to end once the client has
# gone before it is cancelled (as daphne would): with redis-py 8 the cancellation of a
# channel-layer receive that has just started is sometimes lost, and the consumer would linger
# until the 5-s BZPOPMIN timeout.
CLOSED_TIMEOUT = 0.5


async def login_cookie(user, client=None):
    """The Cookie header of a fresh session of ``user`` (and the test client holding it)."""
    client = client or Client()
    await database_sync_to_async(client.force_login)(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


class ChatSocket:
    """A WebsocketCommunicator speaking the chat's JSON frames."""

    def __init__(self, course_id, cookie=None, origin=ORIGIN):
        headers = [(b"host", b"testserver")]
        if origin is not None:
            headers.append((b"origin", origin))
        if cookie is not None:
            headers.append((b"cookie", cookie))
        self.communicator = WebsocketCommunicator(
            application, f"/ws/chat/room/{course_id}/", headers=headers
        )
        self.open = False

    async def connect(self):
        """(accepted, close code) as the handshake ended."""
        self.open, code = await self.communicator.connect(timeout=TIMEOUT)
        return self.open, code

    async def disconnect(self):
        await self.communicator.disconnect(timeout=TIMEOUT if self.open else CLOSED_TIMEOUT)

    async def close_code(self):
        """The code of the close that must be the very next thing the server sends."""
        output = await self.communicator.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.close", output
        self.open = False
        return output.get("code")

    async def send(self, frame):
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def send_text(self, text):
        await self.communicator.send_to(text_data=text)

    async def receive(self):
        return await self.communicator.receive_json_from(timeout=TIMEOUT)

    async def receive_raw(self):
        """The text of the next frame that is not a presence update, as sent."""
        while True:
            text = await self.communicator.receive_from(timeout=TIMEOUT)
            if json.loads(text)["type"] != "presence":
                return text

    async def expect(self, kind):
        """The next frame that is not a presence update, which must be of this ``kind``.

        Presence frames arrive whenever someone joins or leaves; tests about other frames skip
        them, tests about presence ask for ``"presence"`` and get the next one.
        """
        while True:
            frame = await self.receive()
            if frame["type"] == "presence" and kind != "presence":
                continue
            assert frame["type"] == kind, frame
            return frame

    async def expect_nothing(self, but_presence=True):
        """Nothing (but presence updates, unless told otherwise) arrives for a moment."""
        while not await self.communicator.receive_nothing(timeout=QUIET):
            frame = await self.receive()
            assert but_presence and frame["type"] == "presence", frame

    async def expect_close(self):
        """The code the server closes the socket with (the next output must be the close)."""
        while True:
            output = await self.communicator.receive_output(timeout=TIMEOUT)
            if output["type"] == "websocket.send":
                frame = json.loads(output["text"])
                assert frame["type"] == "presence", frame
                continue
            assert output["type"] == "websocket.close", output
            self.open = False
            return output.get("code")

    async def still_open(self):
        """The connection answers a ping: it was not closed."""
        await self.send({"type": "ping"})
        await self.expect("pong")
        return True


@asynccontextmanager
async def joined(user, course_id):
    """``user`` in the room of ``course_id``, past the "history" and "presence" frames sent on
    connect (kept as ``socket.history`` and ``socket.presence``); disconnected afterwards."""
    socket = ChatSocket(course_id, await login_cookie(user))
    connected, code = await socket.connect()
    assert connected, f"{user} was refused with {code}"
    try:
        socket.history = await socket.receive()
        assert socket.history["type"] == "history", socket.history
        socket.presence = await socket.receive()
        assert socket.presence["type"] == "presence", socket.presence
        yield socket
    finally:
        await socket.disconnect()
