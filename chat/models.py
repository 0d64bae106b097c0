"""Chat messages and who is in a room right now."""

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_LENGTH = 2000


class Message(models.Model):
    # Activity, not content: kept out of Wagtail's reference index ("Usage"), which would
    # otherwise be rewritten on every save.
    wagtail_reference_index_ignore = True
    course = models.ForeignKey(
        "learning.CoursePage", on_delete=models.CASCADE, related_name="chat_messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages"
    )
    text = models.TextField(max_length=MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["course", "-id"], name="chat_message_course_recent")]

    def __str__(self):
        return f"{self.author} in {self.course_id}: {self.text[:40]}"


class Presence(models.Model):
    """One row per open WebSocket connection; rows not seen for a while are stale."""

    # Activity, not content: kept out of Wagtail's reference index ("Usage"), which would
    # otherwise be rewritten on every save.
    wagtail_reference_index_ignore = True

    course = models.ForeignKey("learning.CoursePage", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.user} in {self.course_id}"
