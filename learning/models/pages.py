"""The learning page tree: SubjectPage → CoursePage → ModulePage.

Listing pages fetch their children in a fixed number of queries, whatever their number: module
counts come from one grouped query over the tree's materialised paths, not one query per course.

Serving a page reuses what routing fetched: a subject finds its course, and a course its module,
as their specific page in one query (Wagtail makes two), and each routed page keeps its parent,
so that the checks on its ancestors (published, view restrictions) read no page again.
"""

from collections import Counter
from datetime import timedelta
from functools import cache, cached_property, partial

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import connection, models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Length, Substr
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from core import kept as page_cache
from core.admin_forms import AdminImageChooser
from core.sites import site_for
from core.templatetags import site_tags
from learning import rows, schedule, shells
from learning.blocks import ModuleBodyBlock, load_bodies
from learning.forms_admin import CoursePageForm
from learning.models import api_fields
from learning.models.body_parts import PERSONAL_BLOCKS, BodyPart, lazy_child, with_reader_quizzes
from learning.models.enrollment import Enrollment
from learning.permissions import CoursePermissionsMixin
from learning.routing import RoutedPageMixin, parent_of, routed_ancestors
from learning.schedule import NO_TIMES, ModuleTimes
from learning.shells import Fact

OVERVIEW_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link"]


def with_live_parent(queryset):
    """Drop pages whose parent is not live.

    Wagtail does not unpublish a page's children with it, so a live course can sit under an
    unpublished subject: listings and routing must not show it.
    """
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Page.steplen)
    return queryset.exclude(Exists(Page.objects.filter(path=parent_path, live=False)))


def has_unpublished_ancestor(page):
    ancestors = routed_ancestors(page)
    if ancestors is not None:
        return any(not ancestor.live for ancestor in ancestors if ancestor.depth >= 3)
    step = Page.steplen
    paths = [page.path[: depth * step] for depth in range(3, page.depth)]  # below the home page
    return bool(paths) and Page.objects.filter(path__in=paths, live=False).exists()


def private_pages_q():
    """Wagtail's ``PageQuerySet.private_q()``: exclude it from several querysets of one view.

    ``.public()`` reads every view restriction each time it is called; this reads them once.
    """
    return Page.objects.all().private_q()


def child_url(parent_url, slug):
    """The URL of a child page from its parent's (as Wagtail builds it from the URL paths)."""
    if parent_url is None:
        return None
    if parent_url.endswith("/"):
        return f"{parent_url}{slug}/"
    return f"{parent_url}/{slug}"


#: How often a reader's visits to the same module are written down: the resume link follows
#: every change of module at once, the visit time to this precision (a write per page view
#: otherwise, for every reload).
VISIT_PRECISION = timedelta(minutes=1)


def record_visit(enrollment, module):
    """Note that the enrolled reader opened ``module`` (the course page's "Continue" link and
    the order of "My learning"): at once for another module, once a minute for the same one."""
    now = timezone.now()
    last = enrollment.last_visited_at
    if enrollment.last_module_id == module.pk and last is not None and now - last < VISIT_PRECISION:
        return
    Enrollment.objects.filter(pk=enrollment.pk).update(last_module=module, last_visited_at=now)
    enrollment.last_module_id, enrollment.last_visited_at = module.pk, now


class ModuleSummary:
    """A live module as course and module pages list it: its id, title, description and URL.

    Not a page object: building twenty ``ModulePage`` objects (Wagtail's and modelcluster's
    set-up of each) and asking each for its URL cost more than the rest of a course page.
    """

    __slots__ = ("pk", "title", "slug", "description", "completed", "url", "completed_by", "times")

    def __init__(
        self, pk, title, slug, description, completed=False, *, url, completed_by=None, times=None
    ):
        self.pk = pk
        self.title = title
        self.slug = slug
        self.description = description
        self.completed = completed
        self.url = url
        self.completed_by = completed_by
        self.times = times or NO_TIMES  # its release and due settings (learning.schedule)

    @property
    def id(self):
        return self.pk

    def shared(self):
        """The same module without the reader's completion (for a shell, learning.shells)."""
        return ModuleSummary(
            self.pk, self.title, self.slug, self.description, url=self.url, times=self.times
        )

    def __repr__(self):
        return f"<ModuleSummary {self.pk}: {self.title}>"


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


def _first_segments(patterns):
    """The literal first path segments of these URL patterns (route patterns only).

    An include at the empty prefix (``path("", include(...))``) is looked into; regular
    expressions (Wagtail's catch-all page route) and converters reserve nothing.
    """
    for pattern in patterns:
        route = pattern.pattern
        if not isinstance(route, RoutePattern):
            continue
        text = str(route)
        if not text and isinstance(pattern, URLResolver):
            yield from _first_segments(pattern.url_patterns)
            continue
        segment = text.split("/", 1)[0]
        if segment and "<" not in segment:
            yield segment


def reserved_subject_slugs():
    """Slugs a subject cannot take: the site's own top-level routes would shadow its URL.

    Subjects sit right under the home page, so a subject ``/<slug>/`` is reached only when no
    route of config/urls.py matches first. Static and media files are served under their own
    prefixes (by the web server in production), so these are reserved too.
    """
    reserved = set(_first_segments(get_resolver().url_patterns))
    for url in (settings.STATIC_URL, settings.MEDIA_URL):
        segment = (url or "").strip("/").split("/", 1)[0]
        if segment and "://" not in (url or ""):
            reserved.add(segment)
    return reserved


def reserved_slug_error(slug):
    """The message for a subject slug the site's routes would shadow, or None."""
    if slug and slug.lower() in reserved_subject_slugs():
        return (
            f"The slug “{slug}” is reserved: the site's own /{slug.lower()}/ pages would hide "
            "this subject. Choose another slug."
        )
    return None


class SubjectPage(RoutedPageMixin, CoursePermissionsMixin, Page):
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

    child_select_related = ("owner", "image")  # shown on the course page
    child_prefetch_related = ("image__renditions",)  # kept with the course (keep_children)
    keep_children = True

    def clean(self):
        super().clean()
        error = reserved_slug_error(self.slug)
        if error:
            raise ValidationError({"slug": error})

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
        # Lazy: a reader whose page reuses the kept course list ({% kept %}) runs no query.
        context["courses"] = SimpleLazyObject(self.live_courses)
        return context


def reader_state(user, course, module_ids, module=None):
    """``(user's enrollment in course or None, the ids of ``module_ids`` they completed, the ids
    of ``module``'s quizzes they passed)``: one query, plain SQL (docs/performance.md measures
    it against the ORM's three)."""
    from learning.models.progress import ModuleCompletion
    from learning.progress import passed_quiz_ids_sql

    joined = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    passed_sql, passed_params = "NULL", []
    if module is not None:
        passed_sql, passed_params = passed_quiz_ids_sql(user, module)
    done_sql, done_params = "NULL", []
    if module_ids:
        completion = ModuleCompletion._meta
        user_column, module_column = (
            completion.get_field(name).column for name in ("user", "module")
        )
        marks = ", ".join(["%s"] * len(module_ids))
        done_sql = (
            f"SELECT {joined}(CAST({module_column} AS TEXT), ',') FROM {completion.db_table}"  # noqa: S608
            f" WHERE {user_column} = %s AND {module_column} IN ({marks})"
        )
        done_params = [user.pk, *module_ids]
    enrollment_columns, enrollment_join = _enrollment_sql()
    sql = f"""
        SELECT {enrollment_columns}, ({passed_sql}) AS passed, ({done_sql}) AS done
        FROM (SELECT 1 AS one) o
        {enrollment_join}
    """  # noqa: S608 (names from the models, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*passed_params, *done_params, user.pk, course.pk])
        row = cursor.fetchone()
    width = len(Enrollment._meta.concrete_fields)
    reader = rows.build(Enrollment, row[:width]) if row[0] is not None else None
    passed = set(row[width].split(",")) if row[width] else set()
    done = {int(pk) for pk in row[width + 1].split(",")} if row[width + 1] else set()
    return reader, done, passed


@cache
def _enrollment_sql():
    """The reader's enrollment: its columns, and its join on the user and the course (for
    ``reader_state``)."""
    user, course = (Enrollment._meta.get_field(name).column for name in ("user", "course"))
    table = Enrollment._meta.db_table
    join = f"LEFT JOIN {table} e ON e.{user} = %s AND e.{course} = %s"
    return rows.columns(Enrollment, lambda model: "e"), join


def serve_shell(page, request, *args, **kwargs):
    """``Page.serve``, its response rendered from a kept shell where it can be
    (``page.shell_context``, learning.shells)."""
    request.is_preview = False
    context = page.get_context(request, *args, **kwargs)
    return shells.ShellResponse(
        request,
        page.get_template(request, *args, **kwargs),
        context,
        partial(page.shell_context, request, context),
    )


class CoursePage(RoutedPageMixin, CoursePermissionsMixin, Page):
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
    prerequisites = ParentalManyToManyField(
        "learning.CoursePage",
        blank=True,
        related_name="required_by",
        help_text="Courses a student must have completed before enrolling in this one.",
    )
    sequential = models.BooleanField(
        "modules open in order",
        default=False,
        help_text="A module opens for a student once they completed the one before it.",
    )

    content_panels = Page.content_panels + [
        HelpPanel(
            content="You are this course's instructor: it is shown on the course page, and only "
            "you (and editors) can change it and its modules."
        ),
        FieldPanel("overview"),
        FieldPanel("image", widget=AdminImageChooser),
        FieldPanel("level"),
        FieldPanel("duration_hours"),
        MultiFieldPanel(
            [FieldPanel("prerequisites"), FieldPanel("sequential")],
            heading="Course structure",
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("overview"),
        index.FilterField("level"),
        # Found by its instructor's name too ("newton"), and by its beginning ("new").
        index.RelatedFields(
            "owner",
            [
                index.SearchField("first_name"),
                index.SearchField("last_name"),
                index.AutocompleteField("first_name"),
                index.AutocompleteField("last_name"),
            ],
        ),
    ]

    parent_page_types = ["learning.SubjectPage"]
    subpage_types = ["learning.ModulePage"]
    base_form_class = CoursePageForm

    keep_children = True  # the modules routing finds, while the generation lasts (learning.routing)
    child_defer = ("body",)  # without their bodies: ModulePage.body_parts keeps those

    api_fields = [
        APIField("subject", serializer=api_fields.SubjectField()),
        APIField("instructor", serializer=api_fields.InstructorField()),
        APIField("level"),
        APIField("duration_hours"),
        APIField("overview"),
        APIField("image", serializer=api_fields.CourseImageField()),
        APIField("modules", serializer=api_fields.ModuleTitlesField()),
        APIField("prerequisites", serializer=api_fields.PrerequisitesField()),
        APIField("sequential"),
    ]

    class Meta:
        verbose_name = "course"

    @property
    def instructor(self):
        return self.owner

    @classmethod
    def live_counts_by_subject(cls, subjects, private_q=None):
        """Map each subject's path to its number of live, public courses (one query).

        ``private_q``: the view's ``private_pages_q()``, if it has it already.
        """
        if not subjects:
            return {}
        filters = models.Q()
        for subject in subjects:
            filters |= models.Q(path__startswith=subject.path, depth=subject.depth + 1)
        courses = cls.objects.live().filter(filters)
        courses = courses.public() if private_q is None else courses.exclude(private_q)
        paths = courses.values_list("path", flat=True)
        return Counter(path[: -cls.steplen] for path in paths)

    def live_modules(self, user=None, request=None):
        """The live modules, in order, as ``ModuleSummary`` rows.

        The list is the same for every reader: kept in each process while the generation lasts
        (``module_list``). For a logged-in ``user``, each row says whether they completed it
        (``completed``, with ``completed_by`` the user's id: see progress_of_modules): one
        query. The URLs follow this course's URL for ``request``.
        """
        if user is None or not user.is_authenticated:
            return self.module_list(request)
        return self.reader_modules(user, request)[0]

    def module_list(self, request=None):
        """The live modules, in order, as ``ModuleSummary`` rows without anyone's completion
        (one query; none while the generation lasts, in a process that keeps the list). The
        rows are shared: read them, never change them."""

        def build():
            base = self.relative_url(site_for(request), request) if request else self.url
            return self.module_summaries(base)

        current = page_cache.request_generation(request) if request is not None else None
        if not current:
            return build()
        return list(
            page_cache.process_value(
                f"module-list:{site_tags.site_key(request)}:{self.pk}", build, current
            )
        )

    def module_summaries(self, base):
        """The live modules, in order, as new ``ModuleSummary`` rows with their URLs under
        ``base`` (this course's URL): one query."""
        found = (
            ModulePage.objects.child_of(self)
            .live()
            .order_by("path")
            .values_list("pk", "title", "slug", "description", *ModuleTimes.FIELDS)
        )
        return [
            ModuleSummary(
                pk, title, slug, description, url=child_url(base, slug), times=ModuleTimes(*t)
            )
            for pk, title, slug, description, *t in found
        ]

    def reader_modules(self, user, request=None, module=None):
        """``(live_modules(user, request), the user's enrollment or None, the ids of the quizzes
        of ``module`` the user passed)``, in one query beside the kept module list: the course
        and module pages need them for every logged-in reader. (The quiz ids are a set, empty
        without ``module``.)"""
        modules = self.module_list(request)
        if not user.is_authenticated:
            return modules, None, set()
        reader, done, passed = reader_state(user, self, [m.pk for m in modules], module)
        summaries = [
            ModuleSummary(
                m.pk,
                m.title,
                m.slug,
                m.description,
                m.pk in done,
                url=m.url,
                completed_by=user.pk,
                times=m.times,
            )
            for m in modules
        ]
        return summaries, reader, passed

    def serve(self, request, *args, **kwargs):
        if has_unpublished_ancestor(self):
            raise Http404
        return serve_shell(self, request, *args, **kwargs)

    def shell_context(self, request, context, shared):
        """The context of course_page.html's shell (learning.shells): the course's own values
        and facts about the reader, from which alone the shell is rendered."""
        if not request.user.is_authenticated:
            return None  # visitors: the page cache
        enrollment = context["enrollment"]
        return {
            "subject": context["subject"],
            "modules": self.module_list(shared),  # the same modules, nobody's completion
            "enrollment": Fact(
                enrollment,
                completed_at=Fact(enrollment and enrollment.completed_at),
                last_module_id=Fact(enrollment and enrollment.last_module_id),
            ),
            "progress": Fact(context.get("progress")),
            "certificate": Fact(context.get("certificate")),
            "resume_module": Fact(context["resume_module"]),
            "is_course_staff": Fact(enrollment is None and context["is_course_staff"]()),
            "prerequisites": context["prerequisites"],  # the course's own, the same for all
            "announcements": context["announcements"],  # shown to its students and staff
            "blocked": Fact(context["blocked"]),
        }

    def live_modules_with_bodies(self):
        return list(ModulePage.objects.child_of(self).live().order_by("path"))

    def get_context(self, request, *args, **kwargs):
        from learning.access import is_course_staff

        context = super().get_context(request, *args, **kwargs)
        modules, enrollment, _ = self.reader_modules(request.user, request)
        last_id = enrollment.last_module_id if enrollment else None
        resume = next((module for module in modules if module.pk == last_id), None)
        if resume is None:  # never opened, or gone since: the first module
            resume = modules[0] if modules else None
        context.update(
            subject=parent_of(self),
            modules=modules,
            enrollment=enrollment,
            # A callable, so that the template asks (a query) only when nobody is enrolled.
            is_course_staff=cache(partial(is_course_staff, request.user, self)),
            resume_module=resume,
        )
        progress, reader = None, {}
        if enrollment is not None:
            from learning.models.progress import Certificate
            from learning.progress import progress_of_modules

            context["progress"] = progress = progress_of_modules(request.user, modules)
            reader.update(
                enrolled_on=partial(site_tags.long_date_of, enrollment.created_at),
                completed_on=partial(site_tags.long_date_of, enrollment.completed_at),
                progress_bar=partial(site_tags.progress_bar, request, progress),
            )
            if enrollment.completed_at:
                context["certificate"] = certificate = Certificate.objects.filter(
                    user=request.user, course=self
                ).first()
                if certificate is not None:
                    reader["certificate_url"] = reverse(
                        "learning:certificate", args=[certificate.pk]
                    )
        if resume is not None:
            reader.update(resume_url=resume.url, resume_title=resume.title)
        template = "learning/includes/module_list_item.html"
        completed = progress.completed_ids if progress else ()
        states = None
        if enrollment is not None:  # a student's locks and due dates (learning.schedule)
            states = schedule.module_states(self, modules, enrollment, completed)
        reader["module_items"] = partial(
            site_tags.module_items, request, template, modules, completed, None, states
        )
        context.update(self.prerequisites_context(request, enrollment, reader))
        context["announcements"] = SimpleLazyObject(partial(self.latest_announcements, request))
        context["reader"] = shells.reader_values(request, **reader)
        return context

    def latest_announcements(self, request):
        """The latest announcements (for the course's students and staff only): kept in this
        process while the generation lasts (posting one bumps it)."""
        from learning.announcements import latest_of

        current = page_cache.request_generation(request)
        if not current:
            return latest_of(self)
        name = f"announcements:{self.pk}"
        return page_cache.process_value(name, partial(latest_of, self), current)

    def prerequisites_context(self, request, enrollment, reader):
        """The courses this one requires (its own values), and for a logged-in reader who is
        not enrolled, those they have not completed (``missing_prerequisites``: a slot)."""
        from learning import prerequisites

        def build():
            return prerequisites.as_links(prerequisites.required_courses(self), request)

        # The same for every reader: kept in this process while the generation lasts.
        current = page_cache.request_generation(request)
        name = f"prerequisites:{site_tags.site_key(request)}:{self.pk}"
        required = page_cache.process_value(name, build, current) if current else build()
        missing = []
        if required and enrollment is None and request.user.is_authenticated:
            missing = prerequisites.as_links(
                prerequisites.missing_prerequisites(request.user, self), request
            )
            reader["missing_prerequisites"] = partial(
                site_tags.kept_html,
                request,
                "missing:" + ",".join(str(course["id"]) for course in missing),
                "learning/includes/missing_prerequisites.html",
                {"missing": missing},
            )
        return {"prerequisites": required, "blocked": bool(missing)}


class ModulePage(RoutedPageMixin, CoursePermissionsMixin, Page):
    """A module of a course: a description and a body of text, file, image and video blocks."""

    description = models.TextField(
        blank=True, max_length=1000, help_text="One or two sentences shown in the module list."
    )
    body = StreamField(ModuleBodyBlock(), blank=True)
    opens_at = models.DateTimeField(
        "opens on",
        null=True,
        blank=True,
        help_text="Students cannot open the module before this moment (staff always can).",
    )
    opens_after_days = models.PositiveSmallIntegerField(
        "opens days after enrolling",
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text="Drip release: the module opens this many days after each student enrolled.",
    )
    due_at = models.DateTimeField(
        "due on",
        null=True,
        blank=True,
        help_text="When the module's quizzes must be passed; a later pass is recorded as late.",
    )
    due_after_days = models.PositiveSmallIntegerField(
        "due days after enrolling",
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text="The quizzes are due this many days after each student enrolled.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("description"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("opens_at"),
                FieldPanel("opens_after_days"),
                FieldPanel("due_at"),
                FieldPanel("due_after_days"),
            ],
            heading="Release and due date",
            help_text="Leave empty: the module is open as soon as it is published, with no due "
            "date. A date and a number of days may both be given: the later one counts.",
        ),
    ]
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
        return parent_of(self)

    def clean(self):
        super().clean()
        due = self.due_at is not None or self.due_after_days is not None
        if due and not any(block.block_type == "quiz" for block in self.body):
            message = "Only a module with a quiz can be due: add a quiz, or leave this empty."
            field = "due_at" if self.due_at is not None else "due_after_days"
            raise ValidationError({field: message})

    def serve(self, request, *args, **kwargs):
        """Modules are for the course's people only (see learning.access)."""
        from learning.access import is_course_staff

        if has_unpublished_ancestor(self):
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # The reader's modules, enrollment and passed quizzes, for get_context too.
        # On the request, not on the page: a shell is rendered with the page (learning.shells).
        request.module_reader = self.course.reader_modules(request.user, request, self)
        modules, enrollment, _ = request.module_reader
        if enrollment is not None:
            completed = {module.pk for module in modules if module.completed}
            state = schedule.state_of(self.course, self.pk, modules, enrollment, completed)
            if state.locked and not is_course_staff(request.user, self.course):
                return TemplateResponse(
                    request,
                    "learning/module_closed.html",
                    {"page": self.course, "module": self, "course": self.course, "state": state},
                    status=403,
                )
            record_visit(enrollment, self)
        elif not is_course_staff(request.user, self.course):
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
        return serve_shell(self, request, *args, **kwargs)

    def shell_context(self, request, context, shared):
        """The context of module_page.html's shell (learning.shells): the module's own values
        and facts about the reader, from which alone the shell is rendered. The quizzes are
        rendered for the facts (enrolled, and which of them the reader passed)."""
        enrolled = context.get("enrollment") is not None
        passed = context.get("passed_quiz_ids") or set()
        parts = self.body_parts(shared)
        quiz_ids = [part.id for part in parts if part.block_type == "quiz"]
        passed_here = {quiz_id for quiz_id in quiz_ids if quiz_id in passed}

        def shared_module(module):
            return module.shared() if module is not None else None

        return {
            "course": context["course"],
            "subject": context["subject"],
            "modules": context["course"].module_list(shared),
            "module_number": context["module_number"],
            "previous_module": shared_module(context["previous_module"]),
            "next_module": shared_module(context["next_module"]),
            "body_parts": with_reader_quizzes(self, parts, shared, enrolled, passed_here),
            "enrollment": Fact(enrolled),
            "progress": Fact(context.get("progress")),
            "module_completed": Fact(context.get("module_completed")),
            "quizzes_to_pass": Fact(context.get("quizzes_to_pass")),
            "quizzes_passed": Fact(True, **{i: Fact(i in passed_here) for i in quiz_ids}),
            "due_note": Fact(context.get("due_note")),
            "next_locked": Fact(context.get("next_locked")),
        }

    def following_module(self, modules):
        """The module after this one in ``modules``, or None."""
        ids = [module.pk for module in modules]
        if self.pk not in ids or ids.index(self.pk) + 1 >= len(ids):
            return None
        return modules[ids.index(self.pk) + 1]

    def body_parts(self, request):
        """The body's blocks for the template, each with its HTML when it is the same for all.

        Text, image, file and video blocks render the same for every reader: with the page
        cache on, their HTML (with the block's wrapper, the blocks between two quizzes as one
        part) is kept in the cache for this revision until content changes
        (``core.kept.shared_value``), and in each process for the modules it serves most
        (``recent_value``), so that a reader's request loads no image, rendition or
        document and renders only the quizzes (they show the reader's own result). A preview
        of a draft is always rendered afresh.
        """
        if getattr(request, "is_preview", False) or not page_cache.enabled():
            load_bodies([self])  # its images and documents in a fixed number of queries
            return [BodyPart(block.id, block.block_type, block=block) for block in self.body]

        def render():
            load_bodies([self])
            # [(block id, block type, HTML, or None and the raw value for a personal block)]
            parts = []
            for block in self.body:
                if block.block_type in PERSONAL_BLOCKS:
                    raw = block.block.get_prep_value(block.value)
                    parts.append((block.id, block.block_type, None, raw))
                    continue
                html = format_html(
                    '<div class="block block--{}">{}</div>',
                    block.block_type,
                    block.render_as_block({"page": self, "block_id": block.id}),
                )
                if parts and parts[-1][2] is not None:  # one part with the shared ones before
                    parts[-1] = (*parts[-1][:2], parts[-1][2] + html, None)
                else:
                    parts.append((block.id, block.block_type, html, None))
            return [(id_, kind, html and str(html), raw) for id_, kind, html, raw in parts]

        current = page_cache.request_generation(request)
        name = f"module-body-parts:{self.pk}:{self.live_revision_id}"
        if current:  # in this process, for the modules read most (else from the shared cache)
            kept = page_cache.recent_value(
                name, partial(page_cache.shared_value, name, render, current), current
            )
        else:
            kept = page_cache.shared_value(name, render)
        # The stored value of a personal block comes with the kept parts: a kept module
        # (learning.routing) was fetched without its body, and needs not load it.
        children = type(self)._meta.get_field("body").stream_block.child_blocks
        return [
            BodyPart(block_id, kind, html=mark_safe(html))  # noqa: S308 (block templates)
            if html is not None
            else BodyPart(block_id, kind, block=lazy_child(children[kind], block_id, raw))
            for block_id, kind, html, raw in kept
            if html is not None or kind in children
        ]

    def get_context(self, request, *args, **kwargs):
        from learning.access import is_course_staff

        context = super().get_context(request, *args, **kwargs)
        course = self.course
        state = getattr(request, "module_reader", None)
        if state is None:  # not served by serve() (a preview): ask
            state = course.reader_modules(request.user, request, self)
        modules, enrollment, passed = state
        if enrollment is None:
            passed = set()  # a quiz shows "Passed" to enrolled readers only (shell_context too)
        context["body_parts"] = parts = with_reader_quizzes(
            self, self.body_parts(request), request, enrollment is not None, passed
        )
        # A draft being previewed is not among the live modules: show it in its place.
        ids = [module.pk for module in modules]
        position = ids.index(self.pk) if self.pk in ids else None
        completed, reader = (), {}
        if enrollment is not None:
            from learning import progress

            context["progress"] = course_progress = progress.progress_of_modules(
                request.user, modules
            )
            completed = course_progress.completed_ids
            reader["progress_bar"] = partial(site_tags.progress_bar, request, course_progress)
            quiz_ids = {part.id for part in parts if part.block_type == "quiz"}
            context.update(
                enrollment=enrollment,
                module_completed=self.pk in completed,
                passed_quiz_ids=passed,
                quizzes_to_pass=quiz_ids - passed,
            )
        template = "learning/includes/module_nav_item.html"
        states = None
        if enrollment is not None:  # a student's locks (learning.schedule)
            states = schedule.module_states(course, modules, enrollment, completed)
            state = states.get(self.pk)
            following = self.following_module(modules)
            # "Next" leads back to the course while the next module is closed to the student.
            context["next_locked"] = (
                following is not None
                and states[following.pk].locked
                and not is_course_staff(request.user, course)
            )
            if state is not None and state.due_at is not None:
                context["due_note"] = True
                values = {
                    "due_at": state.due_at,
                    "done": self.pk in completed,
                    "past": schedule.current_time() > state.due_at,
                }
                name = "due:{due_at:%Y%m%d%H%M}:{done:d}{past:d}".format(**values)
                reader["due_note"] = partial(
                    site_tags.kept_html, request, name, "learning/includes/due_note.html", values
                )
        reader["module_items"] = partial(
            site_tags.module_items, request, template, modules, completed, self.pk, states
        )
        context["reader"] = shells.reader_values(request, **reader)
        context.update(
            course=course,
            subject=parent_of(course),
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
