"""The site root page and the custom user model."""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from core import kept as page_cache
from learning.permissions import CoursePermissionsMixin
from learning.routing import RoutedPageMixin


class UserManager(BaseUserManager):
    """Django's own (its migration names this class)."""


class User(AbstractUser):
    """The site's user. Custom from the first migration so it can grow without pain."""

    #: What pages show of a user (``display_name``): changing it retires the kept pages
    #: (learning.signals.user_saved).
    SHOWN_FIELDS = ("username", "first_name", "last_name")

    objects = UserManager()

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user.shown_as_saved = user.shown_values()
        return user

    def shown_values(self):
        return tuple(self.__dict__.get(name) for name in self.SHOWN_FIELDS)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="home_user_email_ci_unique",
                violation_error_message="A user with that e-mail address already exists.",
            )
        ]

    @property
    def display_name(self):
        return self.get_full_name() or self.username


class HomePage(RoutedPageMixin, CoursePermissionsMixin, Page):
    """The root of a site: lists the subjects and the most recently published courses.

    Routes to its subjects in one query, as subjects and courses route to their children
    (learning.routing).
    """

    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["learning.SubjectPage"]

    recent_course_count = 6
    continue_count = 3  # courses in progress shown to a logged-in reader
    keep_children = True  # the subjects, while the generation lasts (learning.routing)

    def get_context(self, request, *args, **kwargs):
        from learning.models import (
            CoursePage,
            SubjectPage,
            annotate_module_counts,
            with_live_parent,
        )
        from learning.models.pages import private_pages_q

        def listings():
            private = private_pages_q()  # the view restrictions, read once for the listings
            subjects = list(SubjectPage.objects.child_of(self).live().exclude(private))
            course_counts = CoursePage.live_counts_by_subject(subjects, private)
            for subject in subjects:
                subject.course_count = course_counts.get(subject.path, 0)
            recent = list(
                with_live_parent(CoursePage.objects.descendant_of(self))
                .live()
                .exclude(private)
                .select_related("owner", "image")
                .prefetch_related("image__renditions")
                .order_by("-first_published_at")[: self.recent_course_count]
            )
            annotate_module_counts(recent)
            return {"subjects": subjects, "recent_courses": recent}

        context = super().get_context(request, *args, **kwargs)
        # Lazy: a reader whose page reuses the kept listings ({% kept %}) runs no query.
        context.update(page_cache.lazy_values(listings, ("subjects", "recent_courses")))
        if request.user.is_authenticated:
            from learning.progress import continue_learning

            # The reader's own: never inside a kept fragment (home_page.html).
            context["continue_learning"] = continue_learning(
                request.user, request, self.continue_count
            )
        return context
