"""Wagtail hooks of the learning app: the admin's Learning menu."""

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from rest_framework.exceptions import AuthenticationFailed
from wagtail import hooks
from wagtail.admin.forms.pages import CopyForm
from wagtail.admin.menu import MenuItem
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register

from learning import access, admin_views
from learning.admin_announcements import AnnouncementAdmin
from learning.admin_listing import (
    CourseFilter,
    CourseScopedAdmin,
    LearnerDataIndexView,
    ReadOnlyLearnerDataPermissions,
)
from learning.api.authentication import credentials_user
from learning.models import Enrollment, QuizAttempt, SubjectPage
from learning.models.pages import reserved_slug_error


class SubjectCopyForm(CopyForm):
    """Wagtail's copy form, refusing a slug the site's routes would shadow (the copy is saved
    without the page's own clean(), so SubjectPage.clean() cannot catch it)."""

    def clean(self):
        cleaned_data = super().clean()
        error = reserved_slug_error(cleaned_data.get("new_slug"))
        if error:
            self.add_error("new_slug", error)
        return cleaned_data


# Read by Wagtail's copy view; set here, once the admin's forms can be imported.
SubjectPage.copy_form_class = SubjectCopyForm


# --- the Learning menu: enrollments, quiz attempts and course reports ---------------------------


class QuizCourseFilter(CourseFilter):
    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        course_id = self.course_id()
        if course_id is None:
            return queryset.none()
        course = access.courses_in_admin_scope(request.user).filter(pk=course_id)
        path = course.values_list("path", flat=True).first()
        return queryset.filter(module__path__startswith=path) if path else queryset.none()


class EnrollmentAdmin(CourseScopedAdmin, ModelAdmin):
    model = Enrollment
    related = ("user", "course")
    menu_label = "Enrollments"
    menu_icon = "group"
    permission_helper_class = ReadOnlyLearnerDataPermissions
    index_view_class = LearnerDataIndexView
    list_display = ("student", "course_title", "created_at", "last_visited_at", "completed_at")
    list_filter = (CourseFilter,)
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    list_export = ("student", "course_title", "created_at", "last_visited_at", "completed_at")
    export_filename = "enrollments"
    ordering = ("-created_at",)

    def student(self, obj):
        return f"{obj.user.display_name} ({obj.user.username})"


ATTEMPT_COLUMNS = (
    "student",
    "module_title",
    "quiz_title",
    "number",
    "score",
    "passed",
    "created_at",
)


class QuizAttemptAdmin(ModelAdmin):
    model = QuizAttempt
    menu_label = "Quiz attempts"
    menu_icon = "list-ul"
    permission_helper_class = ReadOnlyLearnerDataPermissions
    index_view_class = LearnerDataIndexView
    list_display = ATTEMPT_COLUMNS
    list_filter = (QuizCourseFilter, "passed")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    list_export = ATTEMPT_COLUMNS
    export_filename = "quiz-attempts"
    ordering = ("-created_at",)

    def get_queryset(self, request):
        paths = list(access.courses_in_admin_scope(request.user).values_list("path", flat=True))
        queryset = super().get_queryset(request).select_related("user", "module")
        if access.sees_all_courses(request.user):
            return queryset
        scope = Q()
        for course_path in paths:
            scope |= Q(module__path__startswith=course_path)
        return queryset.filter(scope) if paths else queryset.none()

    def student(self, obj):
        return f"{obj.user.display_name} ({obj.user.username})"

    def module_title(self, obj):
        return obj.module.title

    module_title.short_description = "module"


class ReportsMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_see_learner_data(request.user)


class LearningGroup(ModelAdminGroup):
    menu_label = "Learning"
    menu_icon = "snippet"
    menu_order = 250
    items = (AnnouncementAdmin, EnrollmentAdmin, QuizAttemptAdmin)

    def get_submenu_items(self):
        items = super().get_submenu_items()
        items.append(
            ReportsMenuItem(
                "Course reports", reverse("learning_reports"), icon_name="table", order=300
            )
        )
        return items


modeladmin_register(LearningGroup)


@hooks.register("register_admin_urls")
def register_report_urls():
    return [
        path("learning/reports/", admin_views.report_index, name="learning_reports"),
        path(
            "learning/reports/<id:course_id>/",
            admin_views.course_report,
            name="learning_course_report",
        ),
        path(
            "learning/gradebook/<id:course_id>/",
            admin_views.GradebookView.as_view(),
            name="learning_gradebook",
        ),
        path(
            "learning/gradebook/<id:course_id>/results/",
            admin_views.GradebookView.as_view(results_only=True),
            name="learning_gradebook_results",
        ),
        path(
            "learning/gradebook/<id:course_id>/students/<id:user_id>/",
            admin_views.gradebook_student,
            name="learning_gradebook_student",
        ),
    ]


@hooks.register("before_serve_document")
def module_documents_are_for_the_course(document, request):
    """A document used in a module body downloads only for people who may read that module.

    Wagtail's reference index says which pages use the document. A document no module uses
    (say, one linked from a course overview) stays public, like the page that links it.
    """
    module_ids = access.modules_using_document(document)
    if not module_ids:
        return None
    user = request.user
    if "HTTP_AUTHORIZATION" in request.META:  # an API client: a token or basic auth
        try:
            user = credentials_user(request)
        except AuthenticationFailed as refused:
            response = HttpResponse(f"{refused.detail}\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if access.may_read_any_module(user, module_ids):
        return None
    return TemplateResponse(
        request, "learning/document_locked.html", {"document": document}, status=403
    )
