"""The learning page tree: SubjectPage → CoursePage → ModulePage.

Listing pages fetch their children in a fixed number of queries, whatever their number: module
counts come from one grouped query over the tree's materialised paths, not one query per course.
"""

from collections import Counter
from functools import cached_property

from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Length, Substr
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from learning.api import fields as api_fields
from learning.blocks import ModuleBodyBlock
from learning.models.enrollment import Enrollment
from learning.permissions import CoursePermissionsMixin

OVERVIEW_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link"]


def with_live_parent(queryset):
    """Drop pages whose parent is not live.

    Wagtail does not unpublish a page's children with it, so a live course can sit under an
    unpublished subject: listings and routing must not show it.
    """
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Page.steplen)
    return queryset.exclude(Exists(Page.objects.filter(path=parent_path, live=False)))


def has_unpublished_ancestor(page):
    step = Page.steplen
    paths = [page.path[: depth * step] for depth in range(3, page.depth)]  # below the home page
    return bool(paths) and Page.objects.filter(path__in=paths, live=False).exists()


def live_modules_under(courses):
    """A queryset of the live modules of all these courses (ordered by tree position)."""
    prefixes = models.Q()
    for course in courses:
        prefixes |= models.Q(path__startswith=course.path, depth=course.depth + 1)
    return ModulePage.objects.live().filter(prefixes).order_by("path")


def annotate_module_counts(courses):
    """Set ``module_count`` (live modules) on each course, in one query."""
    courses = list(courses)
    if not courses:
        return courses
    step = Page.steplen
    counts = Counter(
        path[:-step] for path in live_modules_under(courses).values_list("path", flat=True)
    )
    for course in courses:
        course.module_count = counts.get(course.path, 0)
    return courses


class SubjectPage(CoursePermissionsMixin, Page):
    """A subject groups courses, e.g. "Mathematics"."""

    intro = RichTextField(blank=True, features=OVERVIEW_FEATURES)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["learning.CoursePage"]

    api_fields = [
        APIField("intro"),
        APIField("course_count", serializer=api_fields.CourseCountField()),
    ]

    class Meta:
        verbose_name = "subject"

    def live_courses(self):
        courses = (
            CoursePage.objects.child_of(self)
            .live()
            .public()
            .select_related("owner", "image")
            .prefetch_related("image__renditions")
            .order_by("path")
        )
        return annotate_module_counts(courses)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["courses"] = self.live_courses()
        return context


class CoursePage(CoursePermissionsMixin, Page):
    """A course: its instructor is the page owner; its modules are its children, in tree order."""

    class Level(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"

    overview = RichTextField(features=OVERVIEW_FEATURES)
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown on the course page and in course listings.",
    )
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.BEGINNER)
    duration_hours = models.PositiveSmallIntegerField(
        "estimated duration (hours)",
        default=1,
        help_text="How many hours a student needs, roughly, to finish the course.",
    )

    content_panels = Page.content_panels + [
        HelpPanel(
            content="You are this course's instructor: it is shown on the course page, and only "
            "you (and editors) can change it and its modules."
        ),
        FieldPanel("overview"),
        FieldPanel("image"),
        FieldPanel("level"),
        FieldPanel("duration_hours"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("overview"),
        index.FilterField("level"),
    ]

    parent_page_types = ["learning.SubjectPage"]
    subpage_types = ["learning.ModulePage"]

    api_fields = [
        APIField("subject", serializer=api_fields.SubjectField()),
        APIField("instructor", serializer=api_fields.InstructorField()),
        APIField("level"),
        APIField("duration_hours"),
        APIField("overview"),
        APIField("image", serializer=api_fields.CourseImageField()),
        APIField("modules", serializer=api_fields.ModuleTitlesField()),
    ]

    class Meta:
        verbose_name = "course"

    @property
    def instructor(self):
        return self.owner

    @classmethod
    def live_counts_by_subject(cls, subjects):
        """Map each subject's path to its number of live, public courses (one query)."""
        if not subjects:
            return {}
        filters = models.Q()
        for subject in subjects:
            filters |= models.Q(path__startswith=subject.path, depth=subject.depth + 1)
        paths = cls.objects.live().public().filter(filters).values_list("path", flat=True)
        return Counter(path[: -cls.steplen] for path in paths)

    def live_modules(self):
        return list(
            ModulePage.objects.child_of(self)
            .live()
            .order_by("path")
            .only("id", "title", "slug", "url_path", "path", "depth", "description")
        )

    def serve(self, request, *args, **kwargs):
        if has_unpublished_ancestor(self):
            raise Http404
        return super().serve(request, *args, **kwargs)

    def live_modules_with_bodies(self):
        return list(ModulePage.objects.child_of(self).live().order_by("path"))

    def get_context(self, request, *args, **kwargs):
        from learning.access import is_course_staff

        context = super().get_context(request, *args, **kwargs)
        modules = self.live_modules()
        enrollment = (
            Enrollment.objects.for_user(request.user)
            .filter(course=self)
            .select_related("last_module")
            .first()
        )
        resume = enrollment.last_module if enrollment else None
        if resume is None or not resume.live or resume.pk not in {m.pk for m in modules}:
            resume = modules[0] if modules else None
        context.update(
            subject=self.get_parent(),
            modules=modules,
            enrollment=enrollment,
            is_course_staff=is_course_staff(request.user, self),
            resume_module=resume,
        )
        if enrollment is not None:
            from learning.models.progress import Certificate
            from learning.progress import progress_of_modules

            context["progress"] = progress_of_modules(request.user, modules)
            if enrollment.completed_at:
                context["certificate"] = Certificate.objects.filter(
                    user=request.user, course=self
                ).first()
        return context


class ModulePage(CoursePermissionsMixin, Page):
    """A module of a course: a description and a body of text, file, image and video blocks."""

    description = models.TextField(
        blank=True, max_length=1000, help_text="One or two sentences shown in the module list."
    )
    body = StreamField(ModuleBodyBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("description"), FieldPanel("body")]
    search_fields = Page.search_fields + [
        index.SearchField("description"),
        index.SearchField("body"),
    ]

    parent_page_types = ["learning.CoursePage"]
    subpage_types = []

    # The body is deliberately not an API field: it is only served by courses/<id>/contents/,
    # behind the enrollment check.
    api_fields = [APIField("description")]

    class Meta:
        verbose_name = "module"

    @cached_property
    def course(self):
        return self.get_parent().specific

    def serve(self, request, *args, **kwargs):
        """Modules are for the course's people only (see learning.access)."""
        from learning.access import is_course_staff

        if has_unpublished_ancestor(self):
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # Recording the visit doubles as the enrollment check: one query, not two.
        enrolled = Enrollment.objects.filter(user=request.user, course=self.course).update(
            last_module=self, last_visited_at=timezone.now()
        )
        if not enrolled and not is_course_staff(request.user, self.course):
            return TemplateResponse(
                request,
                "learning/module_locked.html",
                {
                    "page": self.course,
                    "module": self,
                    "course": self.course,
                    "modules": self.course.live_modules(),
                },
                status=403,
            )
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        course = self.course
        modules = course.live_modules()
        # A draft being previewed is not among the live modules: show it in its place.
        ids = [module.pk for module in modules]
        position = ids.index(self.pk) if self.pk in ids else None
        enrollment = Enrollment.objects.for_user(request.user).filter(course=course).first()
        if enrollment is not None:
            from learning import progress

            context["progress"] = course_progress = progress.progress_of_modules(
                request.user, modules
            )
            quiz_ids = {block_id for block_id, _ in progress.quizzes_of(self)}
            passed = progress.passed_quiz_ids(request.user, self) if quiz_ids else set()
            context.update(
                enrollment=enrollment,
                module_completed=self.pk in course_progress.completed_ids,
                passed_quiz_ids=passed,
                quizzes_to_pass=quiz_ids - passed,
            )
        context.update(
            course=course,
            subject=course.get_parent(),
            modules=modules,
            module_number=position + 1 if position is not None else None,
            previous_module=modules[position - 1] if position else None,
            next_module=(
                modules[position + 1]
                if position is not None and position + 1 < len(modules)
                else None
            ),
        )
        return context
