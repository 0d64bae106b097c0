"""Posting an announcement: every student enrolled in its course is notified.

The notification (and the e-mail, for those who want it) is made by the task worker
(notifications.services.notify): the request that posts the announcement only enqueues it,
whatever the number of students.
"""

from urllib.parse import urlsplit

from django.utils import timezone

from learning.models import Announcement, Enrollment
from notifications.services import notify

#: How long "My learning" shows an announcement.
RECENT_DAYS = 30


def announce(announcement):
    """Notify the course's enrolled students of ``announcement`` (once: its key)."""
    course = announcement.course
    students = list(Enrollment.objects.filter(course=course).values_list("user_id", flat=True))
    url = urlsplit(course.get_url() or "/").path or "/"  # a path on the site
    return notify(
        students,
        kind="announcement",
        title=f"{course.title}: {announcement.title}"[:200],
        body=announcement.body,
        url=url,
        key=f"announcement:{announcement.pk}",
    )


def withdraw(announcement_id):
    """An announcement deleted: its notifications not read yet go, and no e-mail of it is
    sent any more (one already sent cannot be called back)."""
    from notifications.models import Notification

    told = Notification.objects.filter(key=f"announcement:{announcement_id}")
    told.filter(read_at__isnull=True).delete()
    told.update(email_due=False)


def latest_of(course, count=5):
    """The course's latest announcements, newest first."""
    return list(Announcement.objects.filter(course=course).select_related("author")[:count])


def recent_for(course_ids, count=5):
    """The latest announcements of these courses, of the last ``RECENT_DAYS`` days."""
    since = timezone.now() - timezone.timedelta(days=RECENT_DAYS)
    return list(
        Announcement.objects.filter(course_id__in=course_ids, created_at__gte=since).select_related(
            "author", "course"
        )[:count]
    )
