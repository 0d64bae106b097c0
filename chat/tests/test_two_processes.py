"""Two server processes on different ports share rooms: a client on one receives messages sent
through the other. And if Redis goes away, connected clients are told the chat is unavailable,
HTTP pages keep working, and chat resumes when Redis returns, without restarting the servers.

These start real daphne processes (config.asgi, test settings) and talk to them over TCP with a
minimal WebSocket client. The servers read this test's database: on PostgreSQL the test
database itself (committed data: transaction=True), on SQLite a file copy of the in-memory test
database taken once the users, course and sessions exist. They share a Redis key prefix of
their own: REDIS_URL's server when it is set, otherwise a throwaway redis-server; the outage
test always uses a throwaway one, never the machine's shared server.
"""

import asyncio
import sqlite3
import uuid

import pytest
import redis
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import connection
from django.test import Client

from chat.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED
from chat.tests.live_servers import (
    REDIS_SERVER,
    HandshakeRefused,
    WebSocket,
    daphne_servers,
    http_get,
    message_with,
    read_log,
    server_env,
    until,
)
from conftest import make_user

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("migrated_data"),  # chat/tests/conftest.py
]

needs_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed"
)


@pytest.fixture
def cookies(enrolled_student, instructor):
    """Session cookies of the enrolled student and of the course's instructor."""
    found = {}
    for name, user in (("student", enrolled_student), ("instructor", instructor)):
        client = Client()
        client.force_login(user)
        found[name] = f"sessionid={client.cookies['sessionid'].value}"
    return found


@pytest.fixture
def outsider_cookie(course):
    client = Client()
    client.force_login(make_user("outsider"))
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
def database_url(cookies, outsider_cookie, course, tmp_path):
    """A DATABASE_URL for the server processes that shows them this test's data."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"
    assert connection.vendor == "sqlite", connection.vendor
    copy = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return f"sqlite:///{copy}"


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own, removed from the Redis server afterwards."""
    prefix = f"learning-test-2p-{uuid.uuid4().hex[:12]}"
    yield prefix
    if settings.REDIS_URL:
        shared = redis.Redis.from_url(settings.REDIS_URL)
        try:
            for key in shared.scan_iter(match=f"{prefix}*", count=500):
                shared.delete(key)
        finally:
            shared.close()


@pytest.fixture
def redis_url(request):
    """REDIS_URL when the suite runs on the shared Redis, otherwise a throwaway server."""
    if settings.REDIS_URL:
        return settings.REDIS_URL
    return request.getfixturevalue("throwaway_redis").url


@pytest.fixture
def course_path(course):
    return course.url  # computed here: async code may not query the database directly


def logs(tmp_path):
    return "\n".join(f"--- {p.name}\n{read_log(p)}" for p in sorted(tmp_path.glob("*.log")))


def room(course):
    return f"/ws/chat/room/{course.pk}/"


async def connect(port, course, cookie, attempts=1):
    """A socket past its "history" and "presence" frames, which end the server's side of the
    join; retried while the handshake is refused."""
    for attempt in range(attempts):
        try:
            socket = await WebSocket.connect(port, room(course), cookie)
            history = await until(socket, lambda frame: frame["type"] == "history")
            await until(socket, lambda frame: frame["type"] == "presence")
        except (HandshakeRefused, AssertionError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
        else:
            return socket, history


async def test_a_message_sent_through_one_server_process_reaches_clients_of_the_other(
    course, enrolled_student, instructor, cookies, database_url, redis_url, redis_prefix, tmp_path
):
    env = server_env(database_url, redis_url, redis_prefix, tmp_path)
    with daphne_servers(2, env, tmp_path) as (port_a, port_b):
        sockets = []
        try:
            student, _ = await connect(port_a, course, cookies["student"])
            sockets.append(student)
            teacher, _ = await connect(port_b, course, cookies["instructor"])
            sockets.append(teacher)

            # Presence is shared too: the student on A hears the instructor join on B.
            await until(
                student,
                lambda f: (
                    f["type"] == "presence" and f.get("joined", {}).get("id") == instructor.pk
                ),
            )
            await student.send({"type": "message", "text": "hello from A"})
            received = await until(teacher, message_with("hello from A"))
            assert received["message"]["author"]["id"] == enrolled_student.pk

            await teacher.send({"type": "message", "text": "hello from B"})
            received = await until(student, message_with("hello from B"))
            assert received["message"]["author"]["role"] == "instructor"
        except BaseException:
            print(logs(tmp_path))
            raise
        finally:
            for socket in sockets:
                await socket.close()


async def test_browsers_get_the_close_code_of_a_refused_join_from_a_real_server(
    course, outsider_cookie, database_url, redis_url, redis_prefix, tmp_path
):
    """Closing before the handshake is accepted would reach the browser as a bare HTTP 403."""
    env = server_env(database_url, redis_url, redis_prefix, tmp_path)
    with daphne_servers(1, env, tmp_path) as (port,):
        refusals = {
            "anonymous": (room(course), None, CLOSE_UNAUTHENTICATED),
            "not a member": (room(course), outsider_cookie, CLOSE_FORBIDDEN),
            "unknown course": (
                f"/ws/chat/room/{course.pk + 1000}/",
                outsider_cookie,
                CLOSE_NOT_FOUND,
            ),
        }
        for case, (path, cookie, code) in refusals.items():
            socket = await WebSocket.connect(port, path, cookie)
            try:
                assert await socket.receive() is None, case  # nothing is sent before the close
                assert socket.close_code == code, case
            finally:
                await socket.close()


@needs_redis_server
async def test_chat_is_unavailable_while_redis_is_down_and_resumes_when_it_returns(
    course, course_path, cookies, database_url, throwaway_redis, redis_prefix, tmp_path
):
    env = server_env(database_url, throwaway_redis.url, redis_prefix, tmp_path)
    with daphne_servers(2, env, tmp_path) as (port_a, port_b):
        sockets = []
        try:
            student, _ = await connect(port_a, course, cookies["student"])
            sockets.append(student)

            throwaway_redis.stop()
            # The connected client is told, without having to send anything first.
            error = await student.receive(timeout=20)
            assert (error["type"], error["code"]) == ("error", "unavailable"), error
            assert await student.receive() is None
            assert student.close_code == 4503

            status, body = await http_get(port_a, course_path)
            assert status == 200, body[:500]
            assert course.title in body
            with pytest.raises(HandshakeRefused):  # new joins are refused meanwhile
                await WebSocket.connect(port_a, room(course), cookies["student"])

            throwaway_redis.start()
            student, _ = await connect(port_a, course, cookies["student"], attempts=10)
            sockets.append(student)
            teacher, _ = await connect(port_b, course, cookies["instructor"], attempts=10)
            sockets.append(teacher)
            await student.send({"type": "message", "text": "back again"})
            await until(teacher, message_with("back again"))
        except BaseException:
            print(logs(tmp_path))
            raise
        finally:
            for socket in sockets:
                await socket.close()


async def test_a_quiet_room_stays_open_longer_than_the_channel_layers_blocking_read(
    course, cookies, database_url, redis_url, redis_prefix, tmp_path
):
    # channels-redis waits on Redis for 5 s at a time, and redis-py's default socket time-out
    # is 5 s too: every socket of a quiet room was closed with 4503 (config/settings/base.py).
    env = server_env(database_url, redis_url, redis_prefix, tmp_path)
    with daphne_servers(1, env, tmp_path) as (port,):
        student, _ = await connect(port, course, cookies["student"])
        try:
            await asyncio.sleep(RedisChannelLayer.brpop_timeout * 2)
            await student.send({"type": "ping"})
            assert await until(student, lambda frame: frame["type"] != "presence") == {
                "type": "pong"
            }
        except BaseException:
            print(logs(tmp_path))
            raise
        finally:
            await student.close()
