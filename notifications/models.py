"""What a user was told (``Notification``), and which kinds they want by e-mail
(``EmailPreference``).

A notification is created once per user and *key* (an idempotency key chosen by the caller, e.g.
``module_open:42``): a job that runs twice creates nothing twice (``UniqueConstraint``).

E-mail state of a notification:

- ``email_due``: an e-mail is owed (the user had an address and that kind switched on when the
  notification was made; cleared when they switch it off before it is sent);
- ``email_sent_at``: when it was handed to the mail server (null: not yet);
- ``email_attempts`` and ``email_error``: the failed attempts and the last error. A notification
  whose e-mail failed stays due: it is retried with backoff, then by ``services.retry_unsent``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    """What a notification is about; e-mail is switched on or off per kind."""

    ANNOUNCEMENT = "announcement", "Announcements"
    MODULE_OPEN = "module_open", "A new module opens"
    DUE_SOON = "due_soon", "Something is due soon"
    ENROLL_REMINDER = "enroll_reminder", "Reminders to enroll"
    REPLY = "reply", "Replies to you"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Plain text.")
    url = models.CharField(max_length=500, blank=True, help_text="A path on this site.")
    key = models.CharField(max_length=200, help_text="Idempotency key: one per user.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_due = models.BooleanField(default=False)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)

    # Activity, not content: Wagtail's reference index need not track it (as chat and learning).
    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_latest"),
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_due=True, email_sent_at__isnull=True),
                name="notification_email_unsent",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self):
        return self.read_at is not None


class EmailPreference(models.Model):
    """A user's choice for one kind. No row means the default: e-mails on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    enabled = models.BooleanField(default=True)

    wagtail_reference_index_ignore = True

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_preference_once")
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}: {'on' if self.enabled else 'off'}"
