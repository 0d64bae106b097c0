"""Who may read a course's modules.

Module bodies are for the people of a course: its enrolled students, its instructor (the course
page's owner), and editors and superusers (anyone who may edit the course in the admin). Other
instructors are students like anyone else here: they must enroll to read.
"""

from learning.models import Enrollment


def is_course_staff(user, course):
    """The course's instructor, editors and superusers: those who may edit it."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or course.owner_id == user.pk:
        return True
    return course.permissions_for_user(user).can_edit()


def is_enrolled(user, course):
    return Enrollment.objects.for_user(user).filter(course_id=course.pk).exists()


def can_study(user, course):
    return is_enrolled(user, course) or is_course_staff(user, course)


def sees_all_courses(user):
    """Editors and superusers see every course's students in the admin."""
    from learning.roles import EDITORS

    return user.is_active and (user.is_superuser or user.groups.filter(name=EDITORS).exists())


def may_see_learner_data(user):
    """Who gets the Learning menu in the admin: editors, superusers and instructors."""
    from learning.roles import EDITORS, INSTRUCTORS

    return user.is_active and (
        user.is_superuser or user.groups.filter(name__in=[EDITORS, INSTRUCTORS]).exists()
    )


def courses_in_admin_scope(user):
    """The courses whose students this user may see: their own, or every one for editors."""
    from learning.models import CoursePage

    courses = CoursePage.objects.all()
    if sees_all_courses(user):
        return courses
    return courses.filter(owner=user)


def modules_using_document(document):
    """Ids of the module pages whose body uses this document (Wagtail's reference index)."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ReferenceIndex

    from learning.models import ModulePage

    module_type = ContentType.objects.get_for_model(ModulePage)
    return [
        int(object_id)
        for object_id in ReferenceIndex.get_references_to(document)
        .filter(content_type=module_type)
        .values_list("object_id", flat=True)
        .distinct()
    ]


def locked_module_ids(user, course, enrollment, now=None):
    """Ids of ``course``'s live modules that have not opened for the student of ``enrollment``
    (learning.schedule); none for its staff, none without an enrollment."""
    from learning import schedule

    if enrollment is None:
        return set()
    modules = course.live_modules(user)
    completed = {module.pk for module in modules if module.completed}
    states = schedule.module_states(course, modules, enrollment, completed, now)
    locked = {pk for pk, state in states.items() if state.locked}
    if locked and is_course_staff(user, course):
        return set()
    return locked


def may_read_any_module(user, module_ids):
    """Whether ``user`` may read one of these modules: its course's staff, or a student of it
    for whom the module has opened."""
    from wagtail.models import Page

    from learning.models import CoursePage

    step = Page.steplen
    paths = dict(Page.objects.filter(pk__in=module_ids).values_list("path", "pk"))
    courses = CoursePage.objects.filter(path__in={path[:-step] for path in paths})
    for course in courses:
        if is_course_staff(user, course):
            return True
        enrollment = Enrollment.of(user, course)
        if enrollment is None:
            continue
        mine = {pk for path, pk in paths.items() if path[:-step] == course.path}
        if mine - locked_module_ids(user, course, enrollment):
            return True
    return False
