"""The admin's Learning → Announcements: a course's instructor, and editors, post to a course.

Scoping as the rest of the Learning menu (learning.access): an instructor lists, posts to,
edits and deletes the announcements of their own courses only; editors and superusers all.
Posting one notifies the course's students (learning.announcements.announce), from the task
worker.
"""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import CreateView

from learning import access
from learning.admin_listing import CourseFilter, CourseScopedAdmin, LearnerDataIndexView
from learning.announcements import announce
from learning.models import Announcement


class AnnouncementForm(WagtailAdminModelForm):
    """Only the courses the user may post to are offered, in a list."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        field = self.fields["course"]
        if for_user is None:
            field.queryset = field.queryset.none()
        else:
            field.queryset = access.courses_in_admin_scope(for_user).order_by("title")
        # A list of those courses, not Wagtail's page chooser: the chooser offers every page,
        # and fails on a posted value that is not a page id.
        field.widget = forms.Select(choices=field.choices)


class AnnouncementPermissions(PermissionHelper):
    def user_can_list(self, user):
        return access.may_see_learner_data(user)

    def user_can_create(self, user):
        return access.may_see_learner_data(user)

    def user_can_edit_obj(self, user, obj):
        return (
            access.may_see_learner_data(user)
            and access.courses_in_admin_scope(user).filter(pk=obj.course_id).exists()
        )

    def user_can_delete_obj(self, user, obj):
        return self.user_can_edit_obj(user, obj)


class AnnouncementCreateView(CreateView):
    def form_valid(self, form):
        form.instance.author = self.request.user
        response = super().form_valid(form)
        announce(self.instance)
        return response

    def get_success_message(self, instance):
        return f"“{instance.title}” is posted: the course's students are being notified."


class AnnouncementAdmin(CourseScopedAdmin, ModelAdmin):
    model = Announcement
    related = ("course", "author")
    menu_label = "Announcements"
    menu_icon = "info-circle"
    menu_order = 50
    permission_helper_class = AnnouncementPermissions
    index_view_class = LearnerDataIndexView
    create_view_class = AnnouncementCreateView
    list_display = ("title", "course_title", "author_name", "created_at")
    list_filter = (CourseFilter,)
    search_fields = ("title", "body")
    ordering = ("-created_at",)
    edit_handler = ObjectList(
        [FieldPanel("course"), FieldPanel("title"), FieldPanel("body")],
        base_form_class=AnnouncementForm,
    )

    def author_name(self, obj):
        return obj.author_name

    author_name.short_description = "posted by"
