"""Tell connected rooms about deletions and ended enrollments, wherever they happen."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db.models.signals import post_delete

from chat.consumers import room_event, room_group, user_group
from chat.models import Message
from learning.models import Enrollment

logger = logging.getLogger(__name__)


def _send(group, event):
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.exception("Could not reach the channel layer")


def message_deleted(sender, instance, **kwargs):
    _send(
        room_group(instance.course_id),
        room_event("chat.deleted", {"type": "deleted", "id": instance.pk}),
    )


def enrollment_ended(sender, instance, **kwargs):
    _send(
        user_group(instance.user_id),
        {"type": "membership.ended", "course_id": instance.course_id},
    )


def connect():
    post_delete.connect(message_deleted, sender=Message, dispatch_uid="chat-message-deleted")
    post_delete.connect(enrollment_ended, sender=Enrollment, dispatch_uid="chat-enrollment-ended")
