"""Announcements: what a course's instructor (or an editor) tells its students.

Posted from the Wagtail admin (Learning → Announcements, learning.admin_announcements); shown
on the course page and in "My learning" to the course's students and staff; each enrolled
student gets a notification, and an e-mail if they want one (notifications.services.notify:
queued, never sent inside the request).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Announcement(models.Model):
    course = models.ForeignKey(
        "learning.CoursePage", on_delete=models.CASCADE, related_name="announcements"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=5000, help_text="Plain text; line breaks are kept.")
    created_at = models.DateTimeField("posted", default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def author_name(self):
        if self.author is None:
            return "The course team"
        return self.author.get_full_name() or self.author.get_username()
