"""Which documents the API's documents endpoint lists to whom.

The download view refuses a module's document to anyone who may not read the module
(learning/wagtail_hooks.py); the listing follows the same rule, so the titles and file names of a
course's handouts are not shown to people outside the course either. A document no module uses
is listed to everyone, as it downloads for everyone.
"""

from collections import defaultdict
from functools import reduce
from operator import or_
from types import SimpleNamespace

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from wagtail.documents import get_document_model
from wagtail.models import ReferenceIndex

from learning import access, schedule
from learning.models import CoursePage, Enrollment, ModuleCompletion, ModulePage
from learning.schedule import ModuleTimes


def readable_module_ids(user):
    """Ids, as text like the reference index keeps them, of the modules of the courses this
    user studies or teaches, but those that have not opened for them yet (learning.schedule):
    four queries whatever the number of courses."""
    enrollments = {e.course_id: e for e in Enrollment.objects.for_user(user)}
    courses = list(CoursePage.objects.filter(Q(owner=user) | Q(pk__in=list(enrollments))))
    if not courses:
        return []
    by_path = {course.path: course for course in courses}
    found = []  # every module of those courses, as before
    modules = defaultdict(list)  # course id -> its live modules, in order (what locks count)
    for pk, path, live, *times in (
        ModulePage.objects.filter(
            reduce(or_, (Q(path__startswith=c.path, depth=c.depth + 1) for c in courses))
        )
        .order_by("path")
        .values_list("pk", "path", "live", *ModuleTimes.FIELDS)
    ):
        found.append(pk)
        if live:
            course = by_path[path[: -ModulePage.steplen]]
            modules[course.pk].append(SimpleNamespace(pk=pk, times=ModuleTimes(*times)))
    # A student's locks: only where something can lock (a sequence, an opening), and never for
    # the course's staff.
    studied = [
        course
        for course in courses
        if course.owner_id != user.pk
        and (course.sequential or any(m.times.has_opening for m in modules[course.pk]))
        and not access.is_course_staff(user, course)
    ]
    locked = set()
    if studied:
        done = set(
            ModuleCompletion.objects.filter(
                user=user, module_id__in=[m.pk for c in studied for m in modules[c.pk]]
            ).values_list("module_id", flat=True)
        )
        for course in studied:
            states = schedule.module_states(
                course, modules[course.pk], enrollments.get(course.pk), done
            )
            locked |= {pk for pk, state in states.items() if state.locked}
    return [str(pk) for pk in found if pk not in locked]


def listable_documents(queryset, user):
    """``queryset`` without the documents only the people of some other course may download."""
    if user.is_authenticated and access.sees_all_courses(user):
        return queryset
    references = ReferenceIndex.objects.filter(
        content_type=ContentType.objects.get_for_model(ModulePage),
        to_content_type=ContentType.objects.get_for_model(get_document_model()),
    )
    used_by_modules = references.values("to_object_id")
    if user.is_authenticated:
        readable = references.filter(object_id__in=readable_module_ids(user))
        used_by_modules = used_by_modules.exclude(to_object_id__in=readable.values("to_object_id"))
    return queryset.exclude(pk__in=_as_ids(used_by_modules))


def _as_ids(to_object_ids):
    return [int(value) for value in to_object_ids.values_list("to_object_id", flat=True)]
