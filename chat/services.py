"""Database side of the chat, shared by the consumer, the room page and the admin.

The consumer calls one function here per WebSocket event (``join``, ``post``, ``leave``...), so
that each event costs one hop to the database thread.
"""

import re
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from chat.models import Message, Presence
from learning.access import can_study, is_course_staff
from learning.models import CoursePage, with_live_parent

HISTORY_SIZE = 50
PRESENCE_TIMEOUT = timedelta(seconds=90)


def room_course(course_id):
    """The live course whose room this is, or None."""
    return (
        with_live_parent(CoursePage.objects.live().public())
        .select_related("owner")
        .filter(pk=course_id)
        .first()
    )


def may_join(user, course):
    return user.is_authenticated and user.is_active and can_study(user, course)


def may_moderate(user, course):
    return is_course_staff(user, course)


def admission(user, course_id):
    """``(course, may_join, may_moderate)`` for a connection; course is None when there is no
    such live course."""
    course = room_course(course_id)
    if course is None or not may_join(user, course):
        return course, False, False
    return course, True, may_moderate(user, course)


def serialize(message, course):
    author = message.author
    return {
        "id": message.pk,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "author": {
            "id": author.pk,
            "name": author.display_name,
            "role": "instructor" if author.pk == course.owner_id else "member",
        },
    }


def history(course, before_id=None, size=HISTORY_SIZE):
    """Up to ``size`` messages older than ``before_id`` (newest first in the query), oldest
    first in the result, and whether older ones remain."""
    messages = Message.objects.filter(course=course).select_related("author")
    if before_id is not None:
        messages = messages.filter(pk__lt=before_id)
    page = list(messages.order_by("-pk")[: size + 1])
    has_more = len(page) > size
    return [serialize(m, course) for m in reversed(page[:size])], has_more


#: ``@username`` in a message: Django's username characters, not ending with a full stop.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]*[\w+-])")


def store(course, user, text):
    message = Message.objects.create(course=course, author=user, text=text)
    if "@" in text:
        notify_mentioned(course, message)
    return message


def notify_mentioned(course, message):
    """Tell the course's people named ``@username`` in ``message`` (not its author) that they
    were addressed: a notification of kind ``reply``, made by the task worker."""
    from notifications.services import notify

    names = set(MENTION.findall(message.text)[:20])
    if not names:
        return
    people = [
        person
        for person in get_user_model().objects.filter(username__in=names, is_active=True)
        if person.pk != message.author_id and can_study(person, course)
    ]
    if people:
        author = message.author.display_name
        notify(
            [person.pk for person in people],
            kind="reply",
            title=f"{author} wrote to you in the chat of {course.title}"[:200],
            body=message.text,
            url=reverse("chat:room", args=[course.pk]),
            key=f"chat-mention:{message.pk}",
        )


def within_rate_limit(user):
    """At most ``CHAT_RATE_LIMIT`` messages per user in each fixed window of
    ``CHAT_RATE_WINDOW_SECONDS``, across connections and processes: a flood is refused, while
    someone answering at a message a second never is with the defaults (8 in 5 s)."""
    window = settings.CHAT_RATE_WINDOW_SECONDS
    key = f"chat-rate:{user.pk}:{window}:{int(time.time() // window)}"
    cache.add(key, 0, window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window * 2)
        count = 1
    # django-redis ignores the errors of an unreachable Redis (IGNORE_EXCEPTIONS) and returns
    # None: the limit cannot be counted then, and is not enforced.
    return count is None or count <= settings.CHAT_RATE_LIMIT


def post(course, user, text):
    """Store a message from ``user``, or return None when they are over the rate limit."""
    if not within_rate_limit(user):
        return None
    return store(course, user, text)


def delete(course, message_id):
    return Message.objects.filter(course=course, pk=message_id).delete()[0] > 0


def _connected(course_id, user_id):
    """The user's fresh connections to a room."""
    cutoff = timezone.now() - PRESENCE_TIMEOUT
    return Presence.objects.filter(course_id=course_id, user_id=user_id, last_seen__gte=cutoff)


def enter(course, user, channel_name):
    """Record a connection; True when the user had no other connection to the room.

    Checked before the row is written: two tabs opening at once may then both say True (the
    room hears "joined" twice, which is harmless), never both False.
    """
    first = not _connected(course.pk, user.pk).exclude(channel_name=channel_name).exists()
    Presence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"course": course, "user": user, "last_seen": timezone.now()},
    )
    return first


def join(course, user, channel_name):
    """Enter the room: ``(messages, has_more, online, first)`` for the new connection, where
    ``first`` says whether the room must hear that the user joined."""
    first = enter(course, user, channel_name)
    messages, has_more = history(course)
    return messages, has_more, online(course), first


def leave(channel_name):
    """Forget a connection; the user's id when it was their last one to the room, else None."""
    presence = Presence.objects.filter(channel_name=channel_name).first()
    if presence is None:
        return None
    Presence.objects.filter(pk=presence.pk).delete()
    if _connected(presence.course_id, presence.user_id).exists():
        return None
    return presence.user_id


def seen(channel_name, course):
    """Keep a connection fresh; who is online now (the answer to a ping)."""
    Presence.objects.filter(channel_name=channel_name).update(last_seen=timezone.now())
    return online(course)


def member(user, course):
    """How the room lists ``user``."""
    return {
        "id": user.pk,
        "name": user.display_name,
        "role": "instructor" if user.pk == course.owner_id else "member",
    }


def online(course):
    cutoff = timezone.now() - PRESENCE_TIMEOUT
    users = {}
    for presence in (
        Presence.objects.filter(course=course, last_seen__gte=cutoff)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    ):
        users[presence.user_id] = member(presence.user, course)
    return list(users.values())
