"""Admin listings of students' data (wagtail-modeladmin), shared by the learning and chat apps.

Scoping: an instructor sees only rows of their own courses, editors and superusers all
(learning.access.courses_in_admin_scope).
"""

from django.contrib.admin import SimpleListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.shortcuts import redirect
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.views import IndexView

from learning import access
from learning.reports import csv_safe


class ReadOnlyLearnerDataPermissions(PermissionHelper):
    """Listings of students' records: instructors and editors may look, nobody edits here."""

    def user_can_list(self, user):
        return access.may_see_learner_data(user)

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class LearnerDataIndexView(IndexView):
    """The listing and its exports, taking no query parameter but its own filters.

    wagtail-modeladmin, unlike Django's admin (``lookup_allowed``), applies any other parameter
    as an ORM lookup: ``?user__password__startswith=...`` would be a password-hash oracle and
    ``?user__enrollments__course=...`` would tell an instructor who studies other courses. Such
    a request, like a malformed filter value, is sent to the unfiltered listing (not a 500).
    """

    def get_filters(self, request):
        filter_specs, has_filters, remaining, use_distinct = super().get_filters(request)
        if remaining:
            raise IncorrectLookupParameters(f"Not a filter: {', '.join(sorted(remaining))}")
        return filter_specs, has_filters, remaining, use_distinct

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except IncorrectLookupParameters:
            return redirect(request.path)

    def preprocess_field_value(self, field, value, export_format):
        # Students choose their own names: keep a spreadsheet from running one as a formula.
        value = super().preprocess_field_value(field, value, export_format)
        empty = self.model_admin.get_empty_value_display(field)
        if export_format == self.FORMAT_CSV and isinstance(value, str) and value != empty:
            return csv_safe(value)
        return value


class CourseFilter(SimpleListFilter):
    """Filter by course, offering only the courses the user may see."""

    title = "course"
    parameter_name = "course"
    field = "course_id"
    MAX_ID = 2**31 - 1  # page ids are 32-bit; a larger number overflows the database's integer

    def lookups(self, request, model_admin):
        courses = access.courses_in_admin_scope(request.user).order_by("title")
        return [(str(pk), title) for pk, title in courses.values_list("pk", "title")]

    def course_id(self):
        """The chosen course's id, or None for a value that cannot be one ("abc", "²", 10**30)."""
        value = self.value()
        if value.isascii() and value.isdigit() and int(value) <= self.MAX_ID:
            return int(value)
        return None

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        course_id = self.course_id()
        if course_id is None:
            return queryset.none()
        return queryset.filter(**{self.field: course_id})


class CourseScopedAdmin:
    """A ModelAdmin mixin for rows that belong to a course (``course``): only the rows of the
    courses in the user's scope, with the ``select_related`` the listing reads, and a "course"
    column (``course_title``)."""

    related = ("course",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(course__in=access.courses_in_admin_scope(request.user))
            .select_related(*self.related)
        )

    def course_title(self, obj):
        return obj.course.title

    course_title.short_description = "course"
