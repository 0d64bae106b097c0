"""The gradebook of a course: its students × its live modules, for the course's staff.

Each cell says whether the student completed the module (and when), their best score at its
quizzes, how many attempts they made and when they last submitted one. Each row adds the
student's progress and their last activity (the last time they opened a module of the course,
or their enrollment if they never did).

The admin's gradebook (learning.admin_views.GradebookView), its exports and the API's
``courses/<id>/gradebook/`` read the same rows, in a fixed number of queries whatever the
number of students and modules: the enrollments (annotated with what the listing sorts and
filters by), the modules, then the completions and the attempts of the students listed.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, F, Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from learning import schedule
from learning.models import Enrollment, ModuleCompletion, QuizAttempt, live_modules_under
from learning.schedule import ModuleTimes


@dataclass
class Cell:
    """One student at one module."""

    completed_at: object = None
    best_score: int | None = None
    attempts: int = 0
    passed: bool = False
    late: bool = False  # passed, but only after the due date
    last_attempt_at: object = None
    due_at: object = None  # this student's due date (learning.schedule)
    opens_at: object = None  # this student's opening, when the module has one

    @property
    def done(self):
        return self.completed_at is not None

    @property
    def overdue(self):
        return self.due_at is not None and not self.passed and schedule.current_time() > self.due_at

    @property
    def not_open(self):
        return self.opens_at is not None and schedule.current_time() < self.opens_at

    def summary(self):
        """The cell in a few characters, for the table and the exports: "✓ 80% (2) late"."""
        parts = ["✓" if self.done else ""]
        if self.attempts:
            parts.append(f"{self.best_score}% ({self.attempts})")
        if self.late:
            parts.append("late")
        elif self.overdue:
            parts.append("overdue")
        if self.not_open and not parts[0] and not self.attempts:
            parts.append(f"opens {self.opens_at:%Y-%m-%d}")
        return " ".join(part for part in parts if part) or "–"


@dataclass
class Row:
    enrollment: object
    cells: dict = field(default_factory=dict)  # module id → Cell

    def cell(self, module):
        """The student's cell at ``module``, with their own opening and due date."""
        found = self.cells.get(module.pk)
        if found is None:
            found = self.cells[module.pk] = Cell()
        times = ModuleTimes.of(module)
        found.due_at = times.due_for(self.enrollment.created_at)
        found.opens_at = times.opening_for(self.enrollment.created_at)
        return found


def modules_of(course):
    return list(live_modules_under([course]).defer("body"))


def enrollments(course, module_ids):
    """The course's enrollments with their students, their number of completed live modules
    (``done``) and their last activity (``last_activity``)."""
    return (
        Enrollment.objects.filter(course=course)
        .select_related("user")
        .annotate(
            done=Count(
                "user__module_completions",
                filter=Q(user__module_completions__module_id__in=module_ids),
                distinct=True,
            ),
            last_activity=Coalesce(F("last_visited_at"), F("created_at")),
        )
    )


def inactive_for(queryset, days):
    """The enrollments whose student has not opened the course for ``days`` days or more."""
    return queryset.filter(last_activity__lt=timezone.now() - timedelta(days=days))


def by_completion(queryset, state):
    if state == "completed":
        return queryset.filter(completed_at__isnull=False)
    if state == "in_progress":
        return queryset.filter(completed_at__isnull=True, done__gt=0)
    if state == "not_started":
        return queryset.filter(done=0)
    return queryset


def rows(enrollment_list, modules):
    """A Row per enrollment, its cells filled: two queries."""
    enrollment_list = list(enrollment_list)
    user_ids = [enrollment.user_id for enrollment in enrollment_list]
    module_ids = [module.pk for module in modules]
    cells = {}
    for user_id, module_id, completed_at in ModuleCompletion.objects.filter(
        user_id__in=user_ids, module_id__in=module_ids
    ).values_list("user_id", "module_id", "completed_at"):
        cells[user_id, module_id] = Cell(completed_at=completed_at)
    for row in (
        QuizAttempt.objects.filter(user_id__in=user_ids, module_id__in=module_ids)
        .values("user_id", "module_id")
        .annotate(
            best=Max("score"),
            count=Count("pk"),
            last=Max("created_at"),
            passes=Count("pk", filter=Q(passed=True)),
            on_time=Count("pk", filter=Q(passed=True, late=False)),
        )
    ):
        cell = cells.setdefault((row["user_id"], row["module_id"]), Cell())
        cell.best_score, cell.attempts = row["best"], row["count"]
        cell.last_attempt_at, cell.passed = row["last"], row["passes"] > 0
        cell.late = cell.passed and row["on_time"] == 0
    return [
        Row(
            enrollment,
            {
                module_id: cells[enrollment.user_id, module_id]
                for module_id in module_ids
                if (enrollment.user_id, module_id) in cells
            },
        )
        for enrollment in enrollment_list
    ]


def percent(done, total):
    return round(100 * done / total) if total else 0


def student_name(user):
    return user.get_full_name() or user.get_username()


def api_rows(course, enrollment_list, modules):
    """The rows as the API gives them."""
    return [
        {
            "student": {
                "id": row.enrollment.user_id,
                "username": row.enrollment.user.get_username(),
                "name": student_name(row.enrollment.user),
            },
            "enrolled_at": row.enrollment.created_at,
            "completed_at": row.enrollment.completed_at,
            "last_activity": row.enrollment.last_activity,
            "modules_done": row.enrollment.done,
            "percent": percent(row.enrollment.done, len(modules)),
            "modules": [
                {
                    "id": module.pk,
                    "done": row.cell(module).done,
                    "completed_at": row.cell(module).completed_at,
                    "best_score": row.cell(module).best_score,
                    "attempts": row.cell(module).attempts,
                    "last_attempt_at": row.cell(module).last_attempt_at,
                    "late": row.cell(module).late,
                    "due_at": row.cell(module).due_at,
                    "opens_at": row.cell(module).opens_at,
                }
                for module in modules
            ],
        }
        for row in rows(enrollment_list, modules)
    ]
