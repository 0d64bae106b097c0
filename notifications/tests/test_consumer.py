"""The live socket /ws/notifications/: anonymous refused, a user hears their own group only,
the deliver task's push reaches the open socket."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from notifications import consumers, live
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3
PATH = "/ws/notifications/"


async def socket_of(user=None, origin=b"http://testserver"):
    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        client = Client()
        await database_sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, PATH, headers=headers)


def notification(user_id, pk=1):
    return Notification(pk=pk, user_id=user_id, kind=Kind.REPLY, title="Hi", url="/learn/")


async def test_anonymous_visitor_is_refused_with_4401():
    communicator = await socket_of()
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected  # accepted, then closed at once, so that the browser sees the code
    output = await communicator.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": consumers.CLOSE_UNAUTHENTICATED}
    await communicator.disconnect()


async def test_a_foreign_origin_is_refused(student):
    communicator = await socket_of(student, origin=b"http://evil.example")
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected is False
    await communicator.disconnect()


async def test_user_receives_a_notification_pushed_to_their_group(student):
    communicator = await socket_of(student)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await database_sync_to_async(live.push)([notification(student.pk, 7)], {student.pk: 3})
    frame = await communicator.receive_json_from(timeout=TIMEOUT)
    assert frame == {
        "type": "notification",
        "id": 7,
        "kind": "reply",
        "title": "Hi",
        "url": "/learn/",
        "unread": 3,
    }
    await communicator.disconnect()


async def test_another_users_notification_is_not_received(student, instructor):
    communicator = await socket_of(student)
    assert (await communicator.connect(timeout=TIMEOUT))[0]
    await database_sync_to_async(live.push)([notification(instructor.pk)], {instructor.pk: 1})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_frames_from_the_client_are_ignored(student):
    communicator = await socket_of(student)
    assert (await communicator.connect(timeout=TIMEOUT))[0]
    await communicator.send_json_to({"type": "notification", "id": 1})
    await communicator.send_to(text_data="not json {")
    await communicator.send_to(bytes_data=b"\x00\xff")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_the_deliver_task_pushes_to_the_open_socket_with_the_unread_count(student):
    from notifications import tasks

    communicator = await socket_of(student)
    assert (await communicator.connect(timeout=TIMEOUT))[0]
    deliver = database_sync_to_async(tasks.deliver.call)
    await deliver([student.pk], Kind.ANNOUNCEMENT, "Welcome", "", "/learn/", "welcome")
    frame = await communicator.receive_json_from(timeout=TIMEOUT)
    stored = await Notification.objects.aget(user=student)
    assert (frame["id"], frame["title"], frame["unread"]) == (stored.pk, "Welcome", 1)
    await communicator.disconnect()


async def test_handshake_is_refused_with_4503_when_the_channel_layer_is_unreachable(
    student, monkeypatch
):
    async def unreachable(group, channel):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(get_channel_layer(), "group_add", unreachable)
    communicator = await socket_of(student)
    connected, code = await communicator.connect(timeout=TIMEOUT)
    assert (connected, code) == (False, consumers.CLOSE_UNAVAILABLE)
    await communicator.disconnect()


def test_a_push_that_cannot_reach_the_channel_layer_is_logged_not_raised(
    student, monkeypatch, caplog
):
    async def unreachable(group, message):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(get_channel_layer(), "group_send", unreachable)
    live.push([notification(student.pk, 1), notification(student.pk, 2)], {})
    assert "Could not push" in caplog.text


async def test_logging_out_closes_the_users_open_sockets_and_no_one_elses(student, instructor):
    mine, theirs = await socket_of(student), await socket_of(instructor)
    assert (await mine.connect(timeout=TIMEOUT))[0] and (await theirs.connect(timeout=TIMEOUT))[0]
    client = Client()
    await database_sync_to_async(client.force_login)(student)
    await database_sync_to_async(client.post)("/accounts/logout/")
    closed = await mine.receive_output(timeout=TIMEOUT)
    assert closed == {"type": "websocket.close", "code": consumers.CLOSE_SESSION_ENDED}
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()
