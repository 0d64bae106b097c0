"""The per-course report for instructors: enrollment, completion and quiz figures.

Every figure comes from an aggregate query, so the number of queries does not depend on the
number of students.
"""

import csv
from dataclasses import dataclass

from django.db.models import Avg, Count, Q
from django.http import HttpResponse
from django.utils.text import slugify

from learning.models import Enrollment, ModuleCompletion, QuizAttempt
from learning.progress import quizzes_of


@dataclass
class CourseReport:
    course: object
    enrolled: int
    completed: int
    modules: list  # [{"module", "completed"}]
    quizzes: list  # [{"module", "title", "students", "passed", "attempts", "average"}]

    @property
    def completion_rate(self):
        return round(100 * self.completed / self.enrolled) if self.enrolled else 0


def build_report(course):
    modules = course.live_modules_with_bodies()
    totals = Enrollment.objects.filter(course=course).aggregate(
        enrolled=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False))
    )
    student_ids = Enrollment.objects.filter(course=course).values("user_id")
    completions = dict(
        ModuleCompletion.objects.filter(module__in=modules, user_id__in=student_ids)
        .values_list("module_id")
        .annotate(count=Count("pk"))
    )
    quiz_rows = {
        (row["module_id"], row["block_id"]): row
        for row in QuizAttempt.objects.filter(module__in=modules, user_id__in=student_ids)
        .values("module_id", "block_id")
        .annotate(
            attempts=Count("pk"),
            students=Count("user_id", distinct=True),
            passed=Count("user_id", filter=Q(passed=True), distinct=True),
            average=Avg("score"),
        )
    }
    quizzes = []
    for module in modules:
        for block_id, quiz in quizzes_of(module):
            row = quiz_rows.get((module.pk, block_id), {})
            students = row.get("students", 0)
            quizzes.append(
                {
                    "module": module,
                    "title": quiz["title"],
                    "attempts": row.get("attempts", 0),
                    "students": students,
                    "passed": row.get("passed", 0),
                    "pass_rate": round(100 * row.get("passed", 0) / students) if students else 0,
                    "average": round(row["average"]) if row.get("average") is not None else None,
                }
            )
    return CourseReport(
        course=course,
        enrolled=totals["enrolled"],
        completed=totals["completed"],
        modules=[{"module": m, "completed": completions.get(m.pk, 0)} for m in modules],
        quizzes=quizzes,
    )


def report_csv(report):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"course-report-{slugify(report.course.title) or report.course.pk}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(["section", "item", "figure", "value"])
    title = csv_safe(report.course.title)
    writer.writerow(["course", title, "enrolled", report.enrolled])
    writer.writerow(["course", title, "completed", report.completed])
    writer.writerow(["course", title, "completion rate %", report.completion_rate])
    for row in report.modules:
        writer.writerow(["module", csv_safe(row["module"].title), "completed by", row["completed"]])
    for quiz in report.quizzes:
        item = csv_safe(f"{quiz['module'].title}: {quiz['title']}")
        average = "" if quiz["average"] is None else quiz["average"]  # 0% is a figure, not blank
        writer.writerow(["quiz", item, "students", quiz["students"]])
        writer.writerow(["quiz", item, "average score %", average])
        writer.writerow(["quiz", item, "pass rate %", quiz["pass_rate"]])
    return response


def csv_safe(text):
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
