"""Chat moderation in the Wagtail admin: messages listed per course, scoped to the instructor."""

from wagtail_modeladmin.options import ModelAdmin, modeladmin_register

from chat.models import Message
from learning import access
from learning.admin_listing import (
    CourseFilter,
    CourseScopedAdmin,
    LearnerDataIndexView,
    ReadOnlyLearnerDataPermissions,
)


class ModeratorPermissions(ReadOnlyLearnerDataPermissions):
    """Instructors and editors list messages of their courses and may delete them."""

    def user_can_delete_obj(self, user, obj):
        return access.courses_in_admin_scope(user).filter(pk=obj.course_id).exists()


class MessageAdmin(CourseScopedAdmin, ModelAdmin):
    model = Message
    related = ("course", "author")
    menu_label = "Chat messages"
    menu_icon = "comment"
    menu_order = 260
    permission_helper_class = ModeratorPermissions
    index_view_class = LearnerDataIndexView
    list_display = ("created_at", "course_title", "author_name", "text")
    list_export = ("created_at", "course_title", "author_name", "text")
    export_filename = "chat-messages"
    list_filter = (CourseFilter,)
    search_fields = ("text", "author__username", "author__first_name", "author__last_name")
    ordering = ("-created_at",)

    def author_name(self, obj):
        return obj.author.display_name

    author_name.short_description = "author"


modeladmin_register(MessageAdmin)
