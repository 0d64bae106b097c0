"""Database side of the chat, shared by the consumer, the room page and the admin."""

from datetime import timedelta

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


def store(course, user, text):
    return Message.objects.create(course=course, author=user, text=text)


def delete(course, message_id):
    return Message.objects.filter(course=course, pk=message_id).delete()[0] > 0


def enter(course, user, channel_name):
    Presence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"course": course, "user": user, "last_seen": timezone.now()},
    )


def leave(channel_name):
    Presence.objects.filter(channel_name=channel_name).delete()


def seen(channel_name):
    Presence.objects.filter(channel_name=channel_name).update(last_seen=timezone.now())


def online(course):
    cutoff = timezone.now() - PRESENCE_TIMEOUT
    users = {}
    for presence in (
        Presence.objects.filter(course=course, last_seen__gte=cutoff)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    ):
        user = presence.user
        users[user.pk] = {
            "id": user.pk,
            "name": user.display_name,
            "role": "instructor" if user.pk == course.owner_id else "member",
        }
    return list(users.values())
