"""Courses that must be completed before another: ``CoursePage.prerequisites``.

A student has completed a course when they hold its certificate (issued once every live module
was complete; it stays when they leave the course). Only the prerequisites a student can enroll
in count, and only they are shown: a course unpublished, under an unpublished subject or behind
a view restriction could bar everyone, and its title is not for every visitor.
"""

from django.db.models import Exists, OuterRef

from learning.models import Certificate, CoursePage, with_live_parent


def enrollable_courses():
    """The courses a student can enroll in (as the enroll views find them)."""
    return with_live_parent(CoursePage.objects.live().public())


def _enrollable(courses):
    """Of ``courses`` (a queryset), those a student can enroll in, by title: one query, and
    two more (the view restrictions) only when there are some."""
    found = list(
        with_live_parent(courses.live())
        .order_by("title")
        .only("id", "title", "url_path", "path", "depth")
    )
    if not found:
        return []
    public = set(
        CoursePage.objects.filter(pk__in=[course.pk for course in found])
        .public()
        .values_list("pk", flat=True)
    )
    return [course for course in found if course.pk in public]


def required_courses(course):
    """The courses ``course`` requires that a student can enroll in, by title."""
    return _enrollable(CoursePage.objects.filter(required_by=course))


def missing_prerequisites(user, course):
    """The courses ``course`` requires (that a student can enroll in) that ``user`` has not
    completed."""
    held = Certificate.objects.filter(user_id=user.pk, course=OuterRef("pk"))
    return _enrollable(CoursePage.objects.filter(required_by=course).exclude(Exists(held)))


def as_links(courses, request=None):
    """``[{"id", "title", "url"}]`` for templates and the API (``url``: site-relative)."""
    return [
        {"id": course.pk, "title": course.title, "url": course.get_url(request)}
        for course in courses
    ]
