"""Courses that must be completed before another: ``CoursePage.prerequisites``.

A student has completed a course when they hold its certificate (issued once every live module
was complete; it stays when they leave the course). Only live prerequisites count: a course
that was unpublished cannot be completed, so it bars nobody.
"""

from django.db.models import Exists, OuterRef

from learning.models import Certificate, CoursePage


def required_courses(course):
    """The live courses ``course`` requires, by title (one query)."""
    return list(
        CoursePage.objects.live()
        .filter(required_by=course)
        .order_by("title")
        .only("id", "title", "url_path", "path", "depth")
    )


def missing_prerequisites(user, course):
    """The live courses ``course`` requires that ``user`` has not completed (one query)."""
    held = Certificate.objects.filter(user_id=user.pk, course=OuterRef("pk"))
    return list(
        CoursePage.objects.live()
        .filter(required_by=course)
        .exclude(Exists(held))
        .order_by("title")
        .only("id", "title", "url_path", "path", "depth")
    )


def as_links(courses, request=None):
    """``[{"id", "title", "url"}]`` for templates and the API (``url``: site-relative)."""
    return [
        {"id": course.pk, "title": course.title, "url": course.get_url(request)}
        for course in courses
    ]
