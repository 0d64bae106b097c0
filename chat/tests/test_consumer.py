"""The chat consumer, driven in-process through the real ASGI application (config.asgi):
origin check, session auth, who may join, the JSON protocol, its limits and the broadcasts.

The consumer reads the database from worker threads, so these tests commit their data
(transaction=True). serialized_rollback puts the migrations' data (default Site, HomePage,
groups) back before each test; the ``migrated_data`` fixture makes sure that works after
transactional tests of other modules.
Each of these tests costs a flush of every table, so a behaviour checked over several inputs
(roles, bad frames) is one test looping over them, with the input named in its assertions.
"""

import asyncio
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from chat import consumers, fanout, services
from chat.models import MAX_LENGTH, Message, Presence
from chat.tests.sockets import ChatSocket, joined, login_cookie
from conftest import make_user
from learning.models import Enrollment
from learning.tests import factories

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("migrated_data"),  # chat/tests/conftest.py
]

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters live in the cache. Only ours are removed: with REDIS_URL the cache is
    the machine's shared Redis, where ``cache.clear()`` would empty the whole database."""
    if hasattr(cache, "delete_pattern"):  # django-redis: our key prefix is applied
        cache.delete_pattern("chat-rate:*")
    else:
        cache.clear()
    yield
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("chat-rate:*")


@pytest.fixture
def frozen_clock(monkeypatch):
    """The consumer's clock, stopped inside one rate-limit window; move it with ``.now``."""
    clock = SimpleNamespace(now=1_000_002.0)
    clock.time = lambda: clock.now
    monkeypatch.setattr(services, "time", clock)
    return clock


@pytest.fixture
def layer():
    """The channel layer the consumers use (one instance per process)."""
    return get_channel_layer()


@pytest.fixture
def outsider(other_course):
    """A student enrolled in ``other_course`` only."""
    user = make_user("other-student")
    Enrollment.objects.create(user=user, course=other_course)
    return user


def count(**filters):
    return database_sync_to_async(Message.objects.filter(**filters).count)()


def post(course, author, text):
    return database_sync_to_async(Message.objects.create)(course=course, author=author, text=text)


async def close_code_on_join(user, course_id):
    """The code the socket of ``user`` (None: anonymous) is closed with as it joins.

    A refused member is accepted and closed at once, with nothing sent in between: a close
    before the accept would reach browsers as a bare HTTP 403, without the code.
    """
    socket = ChatSocket(course_id, await login_cookie(user) if user else None)
    try:
        accepted, code = await socket.connect()
        if not accepted:
            return ("handshake refused", code)
        return await socket.close_code()
    finally:
        await socket.disconnect()


# --- who may join --------------------------------------------------------------------------------
async def test_students_instructor_editors_and_superusers_join_and_get_history_then_presence(
    course, enrolled_student, instructor, editor, superuser
):
    for user in (enrolled_student, instructor, editor, superuser):
        async with joined(user, course.pk) as socket:  # asserts "history", then "presence"
            assert [u["id"] for u in socket.presence["users"]] == [user.pk], user


async def test_non_enrolled_users_and_other_instructors_are_refused_with_4403(
    course, other_course, student, other_instructor
):
    for user in (student, other_instructor):
        assert await close_code_on_join(user, course.pk) == consumers.CLOSE_FORBIDDEN, user


async def test_anonymous_visitor_is_refused_with_4401(course):
    assert await close_code_on_join(None, course.pk) == consumers.CLOSE_UNAUTHENTICATED


@pytest.fixture
def hidden_courses(home, course, instructor):
    """An unpublished course, and a live course under an unpublished subject (Wagtail leaves
    children live when a parent is unpublished)."""
    course.unpublish()
    subject = factories.SubjectPageFactory(parent=home, title="Physics", slug="physics")
    orphan = factories.CoursePageFactory(
        parent=subject, title="Optics", slug="optics", owner=instructor
    )
    subject.unpublish()
    return [course, orphan]


async def test_unknown_or_unpublished_course_is_refused_with_4404(superuser, hidden_courses):
    unknown = max(c.pk for c in hidden_courses) + 1000
    for course_id in [unknown, *(c.pk for c in hidden_courses)]:
        code = await close_code_on_join(superuser, course_id)
        assert code == consumers.CLOSE_NOT_FOUND, course_id


async def test_member_is_refused_from_a_foreign_or_missing_origin(course, enrolled_student):
    cookie = await login_cookie(enrolled_student)
    for origin in (b"http://evil.example", None):
        socket = ChatSocket(course.pk, cookie, origin=origin)
        connected, _ = await socket.connect()
        await socket.disconnect()
        assert connected is False, origin
    async with joined(enrolled_student, course.pk):  # the same session, from the site itself
        pass


async def test_handshake_is_refused_with_4503_when_the_channel_layer_is_unreachable(
    course, enrolled_student, layer, monkeypatch
):
    async def unreachable(group, channel):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(layer, "group_add", unreachable)
    code = await close_code_on_join(enrolled_student, course.pk)
    assert code == ("handshake refused", consumers.CLOSE_UNAVAILABLE)


# --- history -------------------------------------------------------------------------------------
@pytest.fixture
def fifty_five_messages(course, instructor):
    Message.objects.bulk_create(
        Message(course=course, author=instructor, text=f"message {n}") for n in range(55)
    )
    return list(Message.objects.filter(course=course).order_by("pk").values_list("pk", flat=True))


async def test_history_on_join_is_the_last_50_messages_oldest_first_with_more_to_come(
    course, enrolled_student, fifty_five_messages
):
    async with joined(enrolled_student, course.pk) as socket:
        history = socket.history
    assert [m["id"] for m in history["messages"]] == fifty_five_messages[5:]
    assert history["messages"][0]["text"] == "message 5"
    assert history["has_more"] is True


async def test_history_before_an_id_pages_back_to_the_older_messages(
    course, enrolled_student, fifty_five_messages
):
    oldest_shown = fifty_five_messages[5]
    async with joined(enrolled_student, course.pk) as socket:
        await socket.send({"type": "history", "before": oldest_shown})
        page = await socket.expect("history")
    assert [m["id"] for m in page["messages"]] == fifty_five_messages[:5]
    assert page["has_more"] is False
    assert page["before"] == oldest_shown


async def test_history_holds_only_this_courses_messages(
    course, other_course, enrolled_student, instructor, other_instructor
):
    await post(other_course, other_instructor, "algebra only")
    await post(course, instructor, "welcome")
    async with joined(enrolled_student, course.pk) as socket:
        await socket.send({"type": "history", "before": 10**9})
        page = await socket.expect("history")
    for history in (socket.history, page):
        assert [m["text"] for m in history["messages"]] == ["welcome"]
        assert history["has_more"] is False


# --- sending -------------------------------------------------------------------------------------
async def test_message_is_broadcast_to_everyone_in_the_room_with_its_author(
    course, enrolled_student, instructor
):
    async with (
        joined(enrolled_student, course.pk) as student_socket,
        joined(instructor, course.pk) as instructor_socket,
    ):
        await student_socket.send({"type": "message", "text": "  Is the exam open-book?  "})
        for socket in (student_socket, instructor_socket):
            message = (await socket.expect("message"))["message"]
            assert message["text"] == "Is the exam open-book?"
            assert message["author"] == {
                "id": enrolled_student.pk,
                "name": enrolled_student.display_name,
                "role": "member",
            }
        await instructor_socket.send({"type": "message", "text": "Yes."})
        for socket in (student_socket, instructor_socket):
            author = (await socket.expect("message"))["message"]["author"]
            assert (author["id"], author["role"]) == (instructor.pk, "instructor")
    assert await count(course=course, author=enrolled_student, text="Is the exam open-book?") == 1


async def test_message_and_presence_are_not_sent_to_the_room_of_another_course(
    course, other_course, enrolled_student, outsider
):
    async with joined(outsider, other_course.pk) as other_room:
        async with joined(enrolled_student, course.pk) as socket:
            await socket.send({"type": "message", "text": "only for calculus"})
            await socket.expect("message")
            await other_room.expect_nothing(but_presence=False)
        await other_room.expect_nothing(but_presence=False)


async def test_message_is_stored_before_it_is_broadcast(course, enrolled_student, monkeypatch):
    stored_when_sent = []
    hub = fanout.hub()
    publish = hub.publish

    async def spy(room, frame, sender=""):
        if json.loads(frame)["type"] == "message":
            message_id = json.loads(frame)["message"]["id"]
            exists = Message.objects.filter(pk=message_id, text="first!").exists
            stored_when_sent.append(await database_sync_to_async(exists)())
        await publish(room, frame, sender)

    monkeypatch.setattr(hub, "publish", spy)
    async with joined(enrolled_student, course.pk) as socket:
        await socket.send({"type": "message", "text": "first!"})
        await socket.expect("message")
    assert stored_when_sent == [True]


async def test_message_is_kept_and_sender_told_unavailable_when_the_broadcast_fails(
    course, enrolled_student, monkeypatch
):
    hub = fanout.hub()
    publish = hub.publish

    async def failing(room, frame, sender=""):
        if json.loads(frame)["type"] == "message":
            raise ConnectionError("Redis is down")
        await publish(room, frame, sender)

    monkeypatch.setattr(hub, "publish", failing)
    async with joined(enrolled_student, course.pk) as socket:
        await socket.send({"type": "message", "text": "anyone there?"})
        error = await socket.expect("error")
        assert error["code"] == "unavailable"
        assert await socket.still_open()
    assert await count(course=course, text="anyone there?") == 1


async def test_a_failed_presence_broadcast_does_not_send_an_error_frame(
    course, enrolled_student, monkeypatch
):
    async def failing(room, frame, sender=""):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(fanout.hub(), "publish", failing)
    socket = ChatSocket(course.pk, await login_cookie(enrolled_student))
    try:
        assert (await socket.connect())[0]
        assert (await socket.receive())["type"] == "history"
        assert (await socket.receive())["type"] == "presence"  # to the joiner, not broadcast
        await socket.expect_nothing(but_presence=False)
    finally:
        await socket.disconnect()


async def test_hostile_text_is_stored_and_sent_as_the_same_plain_string(course, enrolled_student):
    async with joined(enrolled_student, course.pk) as socket:
        await socket.send({"type": "message", "text": HOSTILE})
        raw = await socket.receive_raw()
    assert json.dumps(HOSTILE) in raw  # a plain JSON string: not HTML-escaped, not marked up
    assert json.loads(raw)["message"]["text"] == HOSTILE
    assert await count(course=course, text=HOSTILE) == 1


async def test_message_of_exactly_the_maximum_length_is_accepted(course, enrolled_student):
    async with joined(enrolled_student, course.pk) as socket:
        await socket.send({"type": "message", "text": "x" * MAX_LENGTH})
        assert len((await socket.expect("message"))["message"]["text"]) == MAX_LENGTH


BAD_FRAMES = {
    "invalid JSON": ('{"type": "message", "text": ', "invalid"),
    "a JSON array": ('["message", "hi"]', "invalid"),
    "a JSON string": ('"hi"', "invalid"),
    "an unknown type": ('{"type": "shout", "text": "hi"}', "invalid"),
    "no type": ('{"text": "hi"}', "invalid"),
    "a text that is not a string": ('{"type": "message", "text": 42}', "invalid"),
    "an empty text": ('{"type": "message", "text": ""}', "empty"),
    "a whitespace text": ('{"type": "message", "text": " \\n\\t "}', "empty"),
    "a text over 2,000 characters": (
        json.dumps({"type": "message", "text": "x" * (MAX_LENGTH + 1)}),
        "too_long",
    ),
    # A valid message padded past 8 KB: only the frame size check can refuse it.
    "a frame over 8 KB": (
        json.dumps({"type": "message", "text": "hi", "pad": "x" * 8200}),
        "too_large",
    ),
    "a history request without an id": ('{"type": "history", "before": "latest"}', "invalid"),
    "a binary frame": (b'{"type": "message", "text": "hi"}', "invalid"),
}


async def test_each_bad_frame_gets_an_error_frame_stores_nothing_and_keeps_the_connection(
    course, enrolled_student
):
    async with joined(enrolled_student, course.pk) as socket:
        for case, (frame, code) in BAD_FRAMES.items():
            if isinstance(frame, bytes):
                await socket.communicator.send_to(bytes_data=frame)
            else:
                await socket.send_text(frame)
            error = await socket.expect("error")
            assert (error["code"], bool(error["message"])) == (code, True), case
            assert await socket.still_open(), case
    assert await count() == 0


async def test_more_than_the_rate_limit_from_one_user_in_a_window_are_refused_until_the_next_window(
    course, enrolled_student, frozen_clock
):
    async with (
        joined(enrolled_student, course.pk) as tab,
        joined(enrolled_student, course.pk) as other_tab,  # the limit is per user, not per tab
    ):
        for n in range(settings.CHAT_RATE_LIMIT):
            await (tab if n % 2 else other_tab).send({"type": "message", "text": f"quick {n}"})
            await tab.expect("message")
            await other_tab.expect("message")
        await tab.send({"type": "message", "text": "one too many"})
        assert (await tab.expect("error"))["code"] == "rate_limited"
        assert await tab.still_open()
        assert await count(text="one too many") == 0

        frozen_clock.now += settings.CHAT_RATE_WINDOW_SECONDS
        await tab.send({"type": "message", "text": "later"})
        assert (await tab.expect("message"))["message"]["text"] == "later"
    assert await count() == settings.CHAT_RATE_LIMIT + 1


async def test_more_than_20_refused_frames_close_the_connection_with_4429(course, enrolled_student):
    async with joined(enrolled_student, course.pk) as socket:
        for n in range(consumers.FLOOD_LIMIT):
            await socket.send_text("not json")
            assert (await socket.expect("error"))["code"] == "invalid", n
        await socket.send_text("not json")
        assert await socket.expect_close() == consumers.CLOSE_FLOOD


async def test_messages_still_go_through_when_the_rate_limit_cache_is_unreachable(
    course, enrolled_student, monkeypatch
):
    # What django-redis answers when Redis is down: it ignores the errors (IGNORE_EXCEPTIONS).
    unreachable = SimpleNamespace(add=lambda *a, **k: None, incr=lambda *a, **k: None)
    monkeypatch.setattr(services, "cache", unreachable)
    async with joined(enrolled_student, course.pk) as socket:
        await socket.send({"type": "message", "text": "still here"})
        assert (await socket.expect("message"))["message"]["text"] == "still here"


async def test_losing_the_channel_layer_tells_the_client_and_closes_with_4503(
    course, enrolled_student, layer, monkeypatch
):
    redis_gone = asyncio.Event()
    layer_receive = layer.receive

    async def receive(channel):
        """The layer's receive, until Redis goes away."""
        waits = [
            asyncio.ensure_future(layer_receive(channel)),
            asyncio.ensure_future(redis_gone.wait()),
        ]
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if waits[0] in done:
            return waits[0].result()
        raise RedisConnectionError("Connection closed by server.")

    monkeypatch.setattr(layer, "receive", receive)
    async with joined(enrolled_student, course.pk) as socket:
        redis_gone.set()
        assert (await socket.expect("error"))["code"] == "unavailable"
        assert await socket.expect_close() == consumers.CLOSE_UNAVAILABLE
    assert await database_sync_to_async(Presence.objects.count)() == 0


# --- moderation ----------------------------------------------------------------------------------
async def test_instructor_and_editor_deletes_remove_the_message_and_tell_everyone(
    course, enrolled_student, instructor, editor
):
    spam = await post(course, enrolled_student, "spam")
    more_spam = await post(course, enrolled_student, "more spam")
    async with (
        joined(enrolled_student, course.pk) as student_socket,
        joined(instructor, course.pk) as instructor_socket,
        joined(editor, course.pk) as editor_socket,
    ):
        sockets = (student_socket, instructor_socket, editor_socket)
        for moderator, message in ((instructor_socket, spam), (editor_socket, more_spam)):
            await moderator.send({"type": "delete", "id": message.pk})
            for socket in sockets:
                assert await socket.expect("deleted") == {"type": "deleted", "id": message.pk}
    assert await count(course=course) == 0


async def test_student_delete_is_refused_and_the_message_stays(
    course, enrolled_student, instructor
):
    message = await post(course, enrolled_student, "my own words")
    async with (
        joined(instructor, course.pk) as instructor_socket,
        joined(enrolled_student, course.pk) as socket,
    ):
        await socket.send({"type": "delete", "id": message.pk})
        assert (await socket.expect("error"))["code"] == "forbidden"
        await instructor_socket.expect_nothing()
    assert await count(pk=message.pk) == 1


async def test_moderator_cannot_delete_a_message_of_another_course_through_this_room(
    course, other_course, instructor, other_instructor
):
    elsewhere = await post(other_course, other_instructor, "algebra notes")
    async with joined(instructor, course.pk) as socket:
        await socket.send({"type": "delete", "id": elsewhere.pk})
        assert (await socket.expect("error"))["code"] == "not_found"
    assert await count(pk=elsewhere.pk) == 1


# --- membership ----------------------------------------------------------------------------------
async def test_student_who_leaves_a_course_is_told_and_cut_off_from_its_room_only(
    course, other_course, enrolled_student
):
    await database_sync_to_async(Enrollment.objects.create)(
        user=enrolled_student, course=other_course
    )
    browser = Client()
    async with (
        joined(enrolled_student, other_course.pk) as other_room,
        joined(enrolled_student, course.pk) as room,
    ):
        await login_cookie(enrolled_student, browser)
        leave = database_sync_to_async(browser.post)
        assert (await leave(reverse("learning:leave", args=[course.pk]))).status_code == 302

        assert (await room.expect("error"))["code"] == "not_member"
        assert await room.expect_close() == consumers.CLOSE_FORBIDDEN
        await other_room.expect_nothing()
        assert await other_room.still_open()


async def test_instructor_whose_enrollment_ends_stays_in_their_own_room(course, instructor):
    enrollment = await database_sync_to_async(Enrollment.objects.create)(
        user=instructor, course=course
    )
    async with joined(instructor, course.pk) as socket:
        await database_sync_to_async(enrollment.delete)()
        await socket.expect_nothing()
        assert await socket.still_open()


# --- presence ------------------------------------------------------------------------------------
async def test_presence_lists_who_is_connected_and_follows_joins_and_disconnects(
    course, enrolled_student, instructor
):
    async with joined(enrolled_student, course.pk) as socket:
        assert socket.presence["users"] == [
            {"id": enrolled_student.pk, "name": enrolled_student.display_name, "role": "member"}
        ]
        async with joined(instructor, course.pk) as instructor_socket:
            # The newcomer gets the whole list; the others only hear of the newcomer.
            assert sorted(
                (u["id"], u["name"], u["role"]) for u in instructor_socket.presence["users"]
            ) == sorted(
                [
                    (enrolled_student.pk, enrolled_student.display_name, "member"),
                    (instructor.pk, instructor.display_name, "instructor"),
                ]
            )
            change = await socket.expect("presence")
            assert change == {
                "type": "presence",
                "joined": {
                    "id": instructor.pk,
                    "name": instructor.display_name,
                    "role": "instructor",
                },
            }
            await instructor_socket.expect_nothing(but_presence=False)  # not its own join
        assert await socket.expect("presence") == {"type": "presence", "left": instructor.pk}


async def test_presence_lists_a_user_once_and_keeps_them_while_a_tab_is_open(
    course, enrolled_student
):
    async with joined(enrolled_student, course.pk) as socket:
        async with joined(enrolled_student, course.pk) as second_tab:
            assert [u["id"] for u in second_tab.presence["users"]] == [enrolled_student.pk]
            # Already online: the room is not told again, nor when one of the tabs closes.
            await socket.expect_nothing(but_presence=False)
        await socket.expect_nothing(but_presence=False)
        await socket.send({"type": "ping"})
        assert await socket.expect("pong") == {"type": "pong"}
        users = (await socket.expect("presence"))["users"]
    assert [u["id"] for u in users] == [enrolled_student.pk]


async def test_a_ping_answers_the_current_list_without_connections_not_seen_for_90_s(
    course, enrolled_student, instructor
):
    # A server that died never said "left": its connections' rows go stale instead, and the
    # next ping's list corrects the room.
    await database_sync_to_async(Presence.objects.create)(
        course=course, user=instructor, channel_name="dead-server!x"
    )
    async with joined(enrolled_student, course.pk) as socket:
        listed = {u["id"] for u in socket.presence["users"]}
        assert listed == {enrolled_student.pk, instructor.pk}
        stale = timezone.now() - services.PRESENCE_TIMEOUT - timedelta(seconds=1)
        await database_sync_to_async(Presence.objects.filter(channel_name="dead-server!x").update)(
            last_seen=stale
        )
        await socket.send({"type": "ping"})
        await socket.expect("pong")
        users = (await socket.expect("presence"))["users"]
    assert [u["id"] for u in users] == [enrolled_student.pk]


# --- the fuzzer (issue 16): hostile frames never break the room ---------------------------------
def _fuzz_frames():
    from hypothesis import strategies as st

    from home.tests.test_fuzz import HOSTILE as HOSTILE_TEXT

    value = st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
        HOSTILE_TEXT, st.lists(st.integers(), max_size=3),
    )  # fmt: skip
    frame = st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(["message", "history", "delete", "ping"]), value)},
        optional={"text": value, "before": value, "id": value, "extra": value},
    )
    return st.lists(
        # Never empty: the test communicator cannot send an empty frame (a browser can't either).
        st.one_of(
            frame.map(json.dumps), HOSTILE_TEXT.filter(bool), st.binary(min_size=1, max_size=50)
        ),
        min_size=1,
        max_size=12,  # under the 20 refused frames that close a connection
    )


async def _answers_until_pong(socket):
    """The frames the server sends until it answers a ping; fails if it closes instead."""
    await socket.send({"type": "ping"})
    frames = []
    while True:
        output = await socket.communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.send", f"the server closed the socket: {output}"
        frame = json.loads(output["text"])
        if frame["type"] == "pong":
            return frames
        frames.append(frame)


def test_hostile_frames_get_answers_and_never_break_the_connection(course, enrolled_student):
    from hypothesis import HealthCheck, example, given, settings

    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(frames=_fuzz_frames())
    # What the fuzzer found: a type that is a list, ids beyond 64 bits (each crashed the room).
    @example(frames=[json.dumps({"type": [1, 2]}), json.dumps({"type": {"a": 1}})])
    @example(frames=[json.dumps({"type": "history", "before": 10**30})])
    @example(frames=[json.dumps({"type": "delete", "id": 10**30})])
    def run(frames):
        async def session():
            if hasattr(cache, "delete_pattern"):
                cache.delete_pattern("chat-rate:*")
            else:
                cache.clear()
            async with joined(enrolled_student, course.pk) as socket:
                for frame in frames:
                    if isinstance(frame, bytes):
                        await socket.communicator.send_to(bytes_data=frame)
                    else:
                        await socket.send_text(frame)
                answers = await _answers_until_pong(socket)
                kinds = {answer["type"] for answer in answers}
                assert kinds <= {"error", "message", "history", "deleted", "pong", "presence"}

        asyncio.run(session())

    run()
