"""Progress rules: completing modules, grading quizzes, completing courses.

* Progress counts live modules only, so it stays right when an instructor adds, removes,
  reorders or unpublishes modules.
* A module with quizzes is complete only once the student has passed every one of them;
  passing the last one completes it.
* When every live module of a course is complete, the enrollment records its completion time
  once and a certificate is issued (also once, enforced by a unique constraint).
* Quizzes are graded on the server (learning.quizzes): the page never contains the correct
  answers, and the attempts a quiz allows are counted here.
"""

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from learning import quizzes, schedule
from learning.models import (
    Certificate,
    Enrollment,
    ModuleCompletion,
    ModulePage,
    QuizAttempt,
    live_modules_under,
)
from learning.schedule import ModuleTimes


class NotAllowed(Exception):
    pass


def module_state(user, module, enrollment, now=None):
    """The ``ModuleState`` (learning.schedule) of ``module`` for the student of ``enrollment``:
    two queries (the course's modules, the student's completions), none for modules that are
    kept."""
    course = module.course
    modules = course.live_modules(user)
    completed = {summary.pk for summary in modules if summary.completed}
    return schedule.state_of(course, module.pk, modules, enrollment, completed, now)


def closed_state(user, module, enrollment, now=None):
    """The ``ModuleState`` that keeps ``module`` closed to the student of ``enrollment``, or
    None when it is open to them (always to its staff; no query when nothing can lock it)."""
    from learning.access import is_course_staff

    if enrollment is None or not (module.course.sequential or ModuleTimes.of(module).has_opening):
        return None
    state = module_state(user, module, enrollment, now)
    if state.locked and not is_course_staff(user, module.course):
        return state
    return None


def refuse_if_locked(user, module, enrollment, now=None):
    """Raise NotAllowed when ``module`` has not opened for this student (its staff excepted)."""
    state = closed_state(user, module, enrollment, now)
    if state is not None:
        raise NotAllowed(schedule.closed_message(state))


@dataclass
class Progress:
    total: int = 0
    completed_ids: set = field(default_factory=set)

    @property
    def done(self):
        return len(self.completed_ids)

    @property
    def percent(self):
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def is_complete(self):
        return self.total > 0 and self.done >= self.total


def progress_for_courses(user, courses):
    """Map course id → Progress over its live modules, in two queries whatever the number."""
    courses = list(courses)
    result = {course.pk: Progress() for course in courses}
    if not courses or not user.is_authenticated:
        return result
    by_path = {course.path: course.pk for course in courses}
    module_course = {}
    for module_id, path in live_modules_under(courses).values_list("pk", "path"):
        course_id = by_path[path[: -ModulePage.steplen]]
        module_course[module_id] = course_id
        result[course_id].total += 1
    completed = ModuleCompletion.objects.filter(
        user=user, module_id__in=list(module_course)
    ).values_list("module_id", flat=True)
    for module_id in completed:
        result[module_course[module_id]].completed_ids.add(module_id)
    return result


def progress_of_modules(user, modules):
    """Progress over an already fetched list of live modules.

    No query for modules from ``CoursePage.live_modules(user)``, which says which this user
    completed; one query otherwise.
    """
    ids = [module.pk for module in modules]
    if not ids or not user.is_authenticated:
        return Progress(total=len(ids))
    if {getattr(module, "completed_by", None) for module in modules} == {user.pk}:
        completed = {module.pk for module in modules if module.completed}
    else:
        completed = set(
            ModuleCompletion.objects.filter(user=user, module_id__in=ids).values_list(
                "module_id", flat=True
            )
        )
    return Progress(total=len(ids), completed_ids=completed)


def enrollments_of(request):
    """The request's user's enrollments in the courses they may still open, most recently
    visited first, each with its ``progress``, ``resume_module`` (the last module visited, else
    the first) and ``certificate_record``; each course with its ``module_count``. Six queries
    whatever the number of courses (the enrollments, their images' renditions, which courses the
    request may open, the live modules, the completions, the certificates)."""
    user = request.user
    enrollments = list(
        Enrollment.objects.filter(user=user, course__live=True)
        .select_related("course", "course__owner", "course__image", "last_module")
        .prefetch_related("course__image__renditions")
        .order_by(F("last_visited_at").desc(nulls_last=True), "-created_at")
    )
    # Only the courses the student may still open (restricted since, subject unpublished).
    readable = readable_course_ids(request, {e.course_id for e in enrollments})
    enrollments = [e for e in enrollments if e.course_id in readable]
    courses = [enrollment.course for enrollment in enrollments]
    by_path = {course.path: course.pk for course in courses}
    modules = defaultdict(list)  # course id → its live modules, in order
    if courses:
        for module in live_modules_under(courses).only("id", "title", "url_path", "path", "depth"):
            modules[by_path[module.path[: -ModulePage.steplen]]].append(module)
    module_ids = [module.pk for course_modules in modules.values() for module in course_modules]
    completed = set()
    if module_ids:
        completed = set(
            ModuleCompletion.objects.filter(user=user, module_id__in=module_ids).values_list(
                "module_id", flat=True
            )
        )
    certificates = {}
    if courses:
        certificates = {c.course_id: c for c in Certificate.objects.filter(user=user)}
    for enrollment in enrollments:
        course_modules = modules.get(enrollment.course_id, [])
        enrollment.course.module_count = len(course_modules)
        last = enrollment.last_module
        enrollment.resume_module = (
            last if last is not None and last.live else next(iter(course_modules), None)
        )
        enrollment.progress = Progress(
            total=len(course_modules),
            completed_ids={m.pk for m in course_modules if m.pk in completed},
        )
        enrollment.certificate_record = certificates.get(enrollment.course_id)
    return enrollments


def readable_course_ids(request, course_ids):
    """Of these courses, the ones ``request`` may open: live, under a live subject, and passing
    every view restriction on them or above them (a password entered, a group joined). Two
    queries whatever the number of courses."""
    from wagtail.models import Page, PageViewRestriction

    from learning.models import CoursePage, with_live_parent

    paths = dict(
        with_live_parent(CoursePage.objects.live().filter(pk__in=list(course_ids))).values_list(
            "pk", "path"
        )
    )
    step = Page.steplen
    prefixes = {path[:end] for path in paths.values() for end in range(step, len(path) + 1, step)}
    restrictions = list(
        PageViewRestriction.objects.filter(page__path__in=prefixes).select_related("page")
    )
    return {
        pk
        for pk, path in paths.items()
        if all(
            restriction.accept_request(request)
            for restriction in restrictions
            if path.startswith(restriction.page.path)
        )
    }


@dataclass
class Continuing:
    """A course in progress, as the home page offers to continue it."""

    course: object
    progress: Progress
    resume: object  # the module to open: the last one visited, else the first (ModuleSummary)


def continue_learning(user, request, limit=3):
    """The user's courses in progress that they may still open, the ones visited last first (at
    most ``limit``): five small queries (the enrollments, which of their courses the request may
    open, their courses, the completions), the modules of each course from the list kept per
    process (CoursePage.module_list)."""
    from learning.models import CoursePage

    rows = list(
        Enrollment.objects.filter(user=user, completed_at__isnull=True, course__live=True)
        .order_by(F("last_visited_at").desc(nulls_last=True), "-created_at")
        .values_list("course_id", "last_module_id")[: limit * 3]
    )
    if not rows:
        return []
    # A course the student can no longer open (restricted since, its subject unpublished) is
    # not offered, nor is its title shown.
    readable = readable_course_ids(request, [course_id for course_id, _ in rows])
    rows = [row for row in rows if row[0] in readable][:limit]
    if not rows:
        return []
    courses = CoursePage.objects.only(
        "id", "title", "slug", "url_path", "path", "depth", "live", "locale_id"
    ).in_bulk([course_id for course_id, _ in rows])
    modules = {pk: course.module_list(request) for pk, course in courses.items()}
    done = set(
        ModuleCompletion.objects.filter(
            user=user, module_id__in=[m.pk for ms in modules.values() for m in ms]
        ).values_list("module_id", flat=True)
    )
    found = []
    for course_id, last_module_id in rows:
        if course_id not in courses:
            continue
        course_modules = modules[course_id]
        resume = next((m for m in course_modules if m.pk == last_module_id), None)
        found.append(
            Continuing(
                courses[course_id],
                Progress(len(course_modules), {m.pk for m in course_modules if m.pk in done}),
                resume or next(iter(course_modules), None),
            )
        )
    return found


def course_progress(user, course):
    return progress_for_courses(user, [course])[course.pk]


def quizzes_of(module):
    """The quiz blocks of a module's (live) body: ``[(block_id, value), ...]``.

    Only the quiz blocks are converted: the images and documents of the body are not loaded.
    """
    return [(block.id, block.value) for block in module.body.blocks_by_name("quiz")]


def _passed_quizzes(user, module, select):
    """A SELECT of ``select`` over the attempts at ``module``'s quizzes that ``user`` passed,
    with its parameters."""
    column = {name: QuizAttempt._meta.get_field(name).column for name in ("user", "module")}
    sql = (
        f"SELECT {select} FROM {QuizAttempt._meta.db_table}"  # noqa: S608 (names from the model)
        f" WHERE {column['user']} = %s AND {column['module']} = %s AND passed = %s"
    )
    return sql, [user.pk, module.pk, True]


def passed_quiz_ids_sql(user, module):
    """A scalar SELECT of the ids of ``module``'s quizzes ``user`` passed, joined by commas
    (block ids are UUIDs), with its parameters: for CoursePage.reader_modules."""
    joined = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    return _passed_quizzes(user, module, f"{joined}(block_id, ',')")


def passed_quiz_ids(user, module):
    """The ids of the module's quiz blocks the user passed: one plain query (the ORM's building
    of it cost more than the answer)."""
    if not user.is_authenticated:
        return set()
    sql, params = _passed_quizzes(user, module, "block_id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {block_id for (block_id,) in cursor.fetchall()}


def complete_module(user, module):
    """Mark a module complete for an enrolled student. Returns (created, course_completed)."""
    course = module.course
    enrollment = Enrollment.of(user, course)
    if enrollment is None:
        raise NotAllowed("Enroll in the course to track your progress.")
    refuse_if_locked(user, module, enrollment)
    missing = {block_id for block_id, _ in quizzes_of(module)} - passed_quiz_ids(user, module)
    if missing:
        raise NotAllowed("Pass this module's quiz to complete it.")
    try:
        with transaction.atomic():
            _, created = ModuleCompletion.objects.get_or_create(user=user, module=module)
    except IntegrityError:  # a double click raced itself
        created = False
    return created, record_course_completion(enrollment)


def uncomplete_module(user, module):
    return ModuleCompletion.objects.filter(user=user, module=module).delete()[0] > 0


def record_course_completion(enrollment):
    """Record the course as complete (once) when every live module is; issue the certificate."""
    course = enrollment.course
    if not course_progress(enrollment.user, course).is_complete:
        return False
    now = timezone.now()
    Enrollment.objects.filter(pk=enrollment.pk, completed_at__isnull=True).update(completed_at=now)
    enrollment.refresh_from_db(fields=["completed_at"])
    user = enrollment.user
    try:
        with transaction.atomic():
            Certificate.objects.get_or_create(
                user=user,
                course=course,
                defaults={
                    "enrollment": enrollment,
                    "student_name": user.get_full_name() or user.get_username(),
                    "course_title": course.title,
                    "instructor_name": course.owner.display_name if course.owner else "",
                    "completed_at": enrollment.completed_at,
                },
            )
    except IntegrityError:
        pass
    return True


def standing(user, module, block_id, quiz):
    """Where ``user`` stands with this quiz (learning.quizzes.Standing): one query."""
    attempts = list(
        QuizAttempt.objects.filter(user=user, module=module, block_id=block_id).only(
            "pk", "number", "score", "passed", "pass_mark", "created_at"
        )
    )
    return quizzes.Standing(quiz, attempts)


def submit_quiz(user, module, block_id, data):
    """Grade and store one attempt; passing the module's last quiz completes the module.

    Refused (NotAllowed) when the student is not enrolled or has no attempt left; a submission
    of the quiz as it was before an edit is a QuizChanged; a submission naming another attempt
    than the next (a shuffled quiz's must name one) is a StaleAttempt, as is the second of two
    simultaneous submissions.
    """
    quiz = dict(quizzes_of(module)).get(block_id)
    if quiz is None:
        raise LookupError(block_id)
    enrollment = Enrollment.of(user, module.course)
    if enrollment is None:
        raise NotAllowed("Enroll in the course to take its quizzes.")
    refuse_if_locked(user, module, enrollment)
    current = standing(user, module, block_id, quiz)
    if current.closed_reason:
        raise NotAllowed(current.closed_reason)
    if data.get("quiz") not in (None, quizzes.fingerprint(quiz)):
        raise quizzes.QuizChanged()
    number = current.next_number
    # A form drawn for an attempt names it (the quiz's own page always does): a second
    # submission of the same page is refused, whatever the quiz's rules.
    if data.get("attempt", "" if quiz.get("shuffle") else None) not in (None, str(number)):
        raise quizzes.StaleAttempt()
    order = quizzes.order_for(quiz, user.pk, module.pk, block_id, number)
    answers, results, score = quizzes.grade(quiz, data, order)
    try:
        with transaction.atomic():
            attempt = QuizAttempt.objects.create(
                user=user,
                module=module,
                block_id=block_id,
                number=number,
                quiz_title=quiz["title"],
                answers=answers,
                order=order.as_data() if quiz.get("shuffle") else None,
                results=results,
                score=score,
                pass_mark=quiz["pass_mark"],
                passed=score >= quiz["pass_mark"],
                late=schedule.is_late(ModuleTimes.of(module), enrollment),
            )
    except IntegrityError:
        raise quizzes.StaleAttempt() from None
    if attempt.passed:
        with contextlib.suppress(NotAllowed):  # another quiz of this module is still to pass
            complete_module(user, module)
    return attempt
