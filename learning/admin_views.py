"""Course reports in the Wagtail admin (menu "Learning" → "Course reports")."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from learning import access
from learning.models import annotate_module_counts
from learning.reports import build_report, report_csv


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
