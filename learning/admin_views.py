"""Course reports and gradebooks in the Wagtail admin (menu "Learning" → "Course reports")."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.timezone import make_naive
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.reports import ReportView

from learning import access, gradebook, progress, quizzes
from learning.models import Enrollment, QuizAttempt, annotate_module_counts
from learning.reports import build_report, csv_safe, report_csv
from learning.schedule import ModuleTimes


def report_index(request):
    if not access.may_see_learner_data(request.user):
        raise PermissionDenied
    courses = list(
        access.courses_in_admin_scope(request.user).select_related("owner").order_by("title")
    )
    annotate_module_counts(courses)
    return TemplateResponse(request, "learning/admin/report_index.html", {"courses": courses})


def course_report(request, course_id):
    if not access.may_see_learner_data(request.user):
        raise PermissionDenied
    course = get_object_or_404(access.courses_in_admin_scope(request.user), pk=course_id)
    report = build_report(course)
    if request.GET.get("format") == "csv":
        return report_csv(report)
    return TemplateResponse(request, "learning/admin/course_report.html", {"report": report})


# --- the gradebook --------------------------------------------------------------------------------
class GradebookFilterSet(WagtailFilterSet):
    completion = django_filters.ChoiceFilter(
        label="Completion",
        empty_label="Any",
        choices=[
            ("completed", "Completed the course"),
            ("in_progress", "In progress"),
            ("not_started", "Not started"),
        ],
        method="filter_completion",
    )
    inactive_days = django_filters.NumberFilter(
        label="Not seen for (days)",
        min_value=1,
        max_value=3650,
        method="filter_inactive",
        help_text="Students who have not opened a module of the course for this many days.",
    )

    def filter_completion(self, queryset, name, value):
        return gradebook.by_completion(queryset, value)

    def filter_inactive(self, queryset, name, value):
        return gradebook.inactive_for(queryset, int(value)) if value else queryset

    class Meta:
        model = Enrollment
        fields = []


class ModuleColumn(Column):
    """A module's cell: done, best score and attempts, linked to the student's page."""

    def __init__(self, module, number):
        super().__init__(
            f"module_{module.pk}",
            label=f"{number}. {module.title}{schedule_label(module)}",
            accessor=lambda row: row.cell(module).summary(),
        )


def schedule_label(module):
    """A module's release and due settings, for its column's heading ("" without any)."""
    times = ModuleTimes.of(module)
    parts = []
    if times.opens_at:
        parts.append(f"opens {times.opens_at:%Y-%m-%d}")
    if times.opens_after_days is not None:
        parts.append(f"opens day {times.opens_after_days}")
    if times.due_at:
        parts.append(f"due {times.due_at:%Y-%m-%d}")
    if times.due_after_days is not None:
        parts.append(f"due day {times.due_after_days}")
    return f" ({', '.join(parts)})" if parts else ""


class GradebookView(ReportView):
    """A course's students × its live modules (learning.gradebook), sortable, filterable and
    exported as CSV or XLSX: for the course's instructor, editors and superusers."""

    template_name = "learning/admin/gradebook.html"
    results_template_name = "learning/admin/gradebook_results.html"
    header_icon = "table"
    filterset_class = GradebookFilterSet
    is_searchable = True
    search_backend_name = None  # the ORM's icontains over the fields below
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    default_ordering = "user__last_name"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if not access.may_see_learner_data(request.user):
            raise PermissionDenied
        self.course = get_object_or_404(
            access.courses_in_admin_scope(request.user), pk=kwargs["course_id"]
        )
        self.modules = gradebook.modules_of(self.course)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"Gradebook: {self.course.title}"

    def get_filename(self):
        return f"gradebook-{slugify(self.course.title) or self.course.pk}"

    def get_index_url(self):
        return reverse("learning_gradebook", args=(self.course.pk,))

    def get_index_results_url(self):
        return reverse("learning_gradebook_results", args=(self.course.pk,))

    def get_base_queryset(self):
        return gradebook.enrollments(self.course, [module.pk for module in self.modules])

    @cached_property
    def columns(self):
        student = TitleColumn(
            "student",
            label="Student",
            accessor=lambda row: gradebook.student_name(row.enrollment.user),
            get_url=lambda row: reverse(
                "learning_gradebook_student", args=(self.course.pk, row.enrollment.user_id)
            ),
            sort_key="user__last_name",
        )
        return [
            student,
            Column("username", label="Username", accessor="enrollment.user.username",
                   sort_key="user__username"),
            Column("done", label="Progress", accessor=self.progress, sort_key="done"),
            DateColumn("last_activity", label="Last activity",
                       accessor="enrollment.last_activity", sort_key="last_activity"),
            DateColumn("enrolled", label="Enrolled", accessor="enrollment.created_at",
                       sort_key="created_at"),
            *(ModuleColumn(module, n) for n, module in enumerate(self.modules, start=1)),
        ]  # fmt: skip

    def progress(self, row):
        done, total = row.enrollment.done, len(self.modules)
        return f"{done} of {total} ({gradebook.percent(done, total)}%)"

    def get_table(self, object_list):
        self.rows = gradebook.rows(object_list, self.modules)
        return super().get_table(self.rows)

    def decorate_paginated_queryset(self, object_list):
        return self.rows  # the table's (ReportView builds the table first)

    # Exports: one row per student, one column per module.
    @property
    def list_export(self):
        return [
            "student", "username", "email", "enrolled", "last_activity", "completed",
            "modules_done", "percent",
            *(f"module_{module.pk}" for module in self.modules),
        ]  # fmt: skip

    @property
    def export_headings(self):
        headings = {
            "student": "Student", "username": "Username", "email": "E-mail",
            "enrolled": "Enrolled", "last_activity": "Last activity",
            "completed": "Completed the course", "modules_done": "Modules done",
            "percent": "Progress %",
        }  # fmt: skip
        for number, module in enumerate(self.modules, start=1):
            headings[f"module_{module.pk}"] = f"{number}. {module.title}"
        return headings

    def to_row_dict(self, row):
        enrollment, total = row.enrollment, len(self.modules)
        values = {
            "student": gradebook.student_name(enrollment.user),
            "username": enrollment.user.get_username(),
            "email": enrollment.user.email,
            "enrolled": in_viewers_zone(enrollment.created_at),
            "last_activity": in_viewers_zone(enrollment.last_activity),
            "completed": in_viewers_zone(enrollment.completed_at),
            "modules_done": enrollment.done,
            "percent": gradebook.percent(enrollment.done, total),
        }
        for module in self.modules:
            values[f"module_{module.pk}"] = row.cell(module).summary()
        return {name: values[name] for name in self.list_export}

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        # A name typed as "=HYPERLINK(...)" stays text in a spreadsheet.
        return csv_safe(value) if isinstance(value, str) else value

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context.update(course=self.course, modules=self.modules)
        return context


def in_viewers_zone(moment):
    """A date and time as the viewer reads it (the admin activates their time zone), to the
    second: a spreadsheet cell shows it as it is."""
    if moment is None:
        return ""
    return make_naive(moment).replace(microsecond=0)


def gradebook_student(request, course_id, user_id):
    """One student of a course: each module, done or not, and every quiz attempt with the
    answers given (the right answers shown: staff only)."""
    if not access.may_see_learner_data(request.user):
        raise PermissionDenied
    course = get_object_or_404(access.courses_in_admin_scope(request.user), pk=course_id)
    enrollment = get_object_or_404(gradebook.enrollments(course, []), user_id=user_id)
    modules = gradebook.modules_of(course)
    [row] = gradebook.rows([enrollment], modules)
    attempts = {}
    for attempt in QuizAttempt.objects.filter(user_id=user_id, module__in=modules).order_by(
        "created_at"
    ):
        attempts.setdefault(attempt.module_id, []).append(attempt)
    sections = []
    for number, module in enumerate(modules, start=1):
        quizzes_here = dict(progress.quizzes_of(module))
        module_attempts = []
        for attempt in attempts.get(module.pk, []):
            quiz = quizzes_here.get(attempt.block_id)
            module_attempts.append(
                {
                    "attempt": attempt,
                    "questions": quizzes.review(quiz, attempt.answers, attempt.results, True)
                    if quiz is not None
                    else [],
                }
            )
        sections.append(
            {"number": number, "module": module, "cell": row.cell(module),
             "attempts": module_attempts}
        )  # fmt: skip
    return TemplateResponse(
        request,
        "learning/admin/gradebook_student.html",
        {
            "course": course,
            "enrollment": enrollment,
            "student": enrollment.user,
            "student_name": gradebook.student_name(enrollment.user),
            "done": sum(1 for module in modules if row.cell(module).done),
            "modules": modules,
            "sections": sections,
        },
    )
