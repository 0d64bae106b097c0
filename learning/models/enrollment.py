"""Who is enrolled in which course, where they left off, and their calendar feed."""

import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone


class EnrollmentQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class Enrollment(models.Model):
    # Activity, not content: kept out of Wagtail's reference index ("Usage"), which would
    # otherwise be rewritten on every save.
    wagtail_reference_index_ignore = True
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(
        "learning.CoursePage", on_delete=models.CASCADE, related_name="enrollments"
    )
    created_at = models.DateTimeField("enrolled", default=timezone.now, db_index=True)
    last_module = models.ForeignKey(
        "learning.ModulePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The module the student opened most recently.",
    )
    last_visited_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When every live module was first complete."
    )

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A double click, two tabs or two app processes can never enroll someone twice.
            models.UniqueConstraint(fields=["user", "course"], name="learning_enrollment_once")
        ]

    def __str__(self):
        return f"{self.user} in {self.course_id}"

    @classmethod
    def start(cls, user, course):
        """Enroll ``user`` in ``course``: ``(enrollment, created)``, once whatever the races.

        A student who left the course and comes back is enrolled as of the day they first
        enrolled (``CourseStart``): their module openings and due dates count from it, so that
        leaving and coming back never moves a due date or locks again what they studied.
        """
        try:
            with transaction.atomic():
                first, _ = CourseStart.objects.get_or_create(user=user, course=course)
        except IntegrityError:  # the same click raced itself
            first = CourseStart.objects.get(user=user, course=course)
        try:
            with transaction.atomic():
                return cls.objects.get_or_create(
                    user=user, course=course, defaults={"created_at": first.started_at}
                )
        except IntegrityError:
            return cls.objects.get(user=user, course=course), False

    @classmethod
    def of(cls, user, course):
        """``user``'s enrollment in ``course``, or None."""
        if not user.is_authenticated:
            return None
        return cls.objects.filter(user=user, course=course).first()


class CourseStart(models.Model):
    """When a user first enrolled in a course: kept when they leave (``Enrollment.start``)."""

    wagtail_reference_index_ignore = True  # activity, not content
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("learning.CoursePage", on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="learning_course_start_once")
        ]

    def __str__(self):
        return f"{self.user} started {self.course_id} on {self.started_at:%Y-%m-%d}"


class EnrollmentReminder(models.Model):
    """Records that a user was reminded to enroll, so the reminder goes out once."""

    # Activity, not content: kept out of Wagtail's reference index ("Usage"), which would
    # otherwise be rewritten on every save.
    wagtail_reference_index_ignore = True

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enroll_reminder"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Reminder to {self.user} at {self.sent_at:%Y-%m-%d}"


def new_feed_token():
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A student's private calendar (iCalendar) of due dates and openings, at a secret URL.

    The token is the only credential: resetting it makes the old URL answer 404.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Calendar of {self.user}"

    def reset(self):
        self.token = new_feed_token()
        self.created_at = timezone.now()
        self.save(update_fields=["token", "created_at"])
