"""Which documents the API's documents endpoint lists to whom.

The download view refuses a module's document to anyone who may not read the module
(learning/wagtail_hooks.py); the listing follows the same rule, so the titles and file names of a
course's handouts are not shown to people outside the course either. A document no module uses
is listed to everyone, as it downloads for everyone.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from wagtail.documents import get_document_model
from wagtail.models import ReferenceIndex

from learning import access
from learning.models import CoursePage, Enrollment, ModulePage


def readable_module_ids(user):
    """Ids, as text like the reference index keeps them, of the modules of the courses this
    user studies or teaches, but those that have not opened for them yet."""
    enrollments = {e.course_id: e for e in Enrollment.objects.for_user(user)}
    courses = CoursePage.objects.filter(Q(owner=user) | Q(pk__in=list(enrollments)))
    under_any = Q(pk__in=[])
    locked = set()  # a student's modules that have not opened yet (learning.schedule)
    for course in courses:
        under_any |= Q(path__startswith=course.path, depth=course.depth + 1)
        if course.owner_id != user.pk:
            locked |= access.locked_module_ids(user, course, enrollments.get(course.pk))
    modules = ModulePage.objects.filter(under_any).exclude(pk__in=locked)
    return [str(pk) for pk in modules.values_list("pk", flat=True)]


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
