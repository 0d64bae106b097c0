"""Student-facing views: enroll, leave a course, "My learning" and the course catalogue."""

import hashlib
import logging
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import NotSupportedError, connection, transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods
from wagtail.search.query import Fuzzy

from core import kept as page_cache
from core.cache import mark_public
from core.search import search_text
from learning import announcements, calendar, prerequisites, progress, schedule
from learning.models import (
    CoursePage,
    Enrollment,
    ModulePage,
    SubjectPage,
    annotate_module_counts,
    with_live_parent,
)
from learning.models.pages import private_pages_q

logger = logging.getLogger(__name__)

CATALOG_PAGE_SIZE = 12


def _live_course(course_id):
    return get_object_or_404(with_live_parent(CoursePage.objects.live().public()), pk=course_id)


@login_required
@require_http_methods(["GET", "POST"])
def enroll(request, course_id):
    """GET: a confirmation page (where log-in sends an anonymous visitor back); POST: enroll."""
    course = _live_course(course_id)
    enrolled = Enrollment.objects.filter(user=request.user, course=course).exists()
    if request.method == "GET" and enrolled:
        return redirect(course.url)
    # A course's prerequisites must be completed first: listed here, refused (409) on POST.
    missing = [] if enrolled else prerequisites.missing_prerequisites(request.user, course)
    if request.method == "GET" or missing:
        context = {"course": course, "missing": prerequisites.as_links(missing, request)}
        status = 409 if missing and request.method == "POST" else 200
        return TemplateResponse(request, "learning/enroll_confirm.html", context, status=status)
    enrollment, created = Enrollment.start(request.user, course)
    if created:
        messages.success(request, f"You are enrolled in “{course.title}”. Enjoy the course!")
    # The first module open to them (one may open later, or after another: learning.schedule).
    modules = course.live_modules(request.user, request)
    completed = {module.pk for module in modules if module.completed}
    states = schedule.module_states(course, modules, enrollment, completed)
    first = next((module for module in modules if not states[module.pk].locked), None)
    return redirect(first.url if first else course.url)


@login_required
@require_http_methods(["GET", "POST"])
def leave(request, course_id):
    course = get_object_or_404(CoursePage, pk=course_id)
    enrollment = Enrollment.objects.filter(user=request.user, course=course).first()
    if request.method == "GET":
        if enrollment is None:
            return redirect(course.url if course.live else "learning:my_learning")
        return TemplateResponse(request, "learning/leave_confirm.html", {"course": course})
    if enrollment is not None:
        enrollment.delete()
        messages.info(request, f"You have left “{course.title}”.")
    return redirect("learning:my_learning")


#: How far ahead "My learning" lists due dates.
DUE_SOON_DAYS = 7


@login_required
def my_learning(request):
    enrollments = progress.enrollments_of(request)
    certificates = [e.certificate_record for e in enrollments if e.certificate_record]
    return TemplateResponse(
        request,
        "learning/my_learning.html",
        {
            "enrollments": enrollments,
            "in_progress": [e for e in enrollments if not e.completed_at],
            "completed": [e for e in enrollments if e.completed_at],
            "certificates": certificates,
            "due_soon": calendar.due_soon(
                calendar.student_dates(request.user, enrollments, request), days=DUE_SOON_DAYS
            ),
            "due_days": DUE_SOON_DAYS,
            "announcements": announcements.recent_for([e.course_id for e in enrollments]),
        },
    )


#: The query-string parameters the catalogue reads.
CATALOG_PARAMETERS = ("q", "subject", "level", "page")


def catalog(request):
    """Every live course, filtered by subject and level, with full-text search."""
    mark_public(request, CATALOG_PARAMETERS)  # the same for every anonymous visitor
    return _catalog(request)


CATALOG_CONTEXT = (
    "courses", "page_obj", "paginator", "query", "subjects", "selected_subject", "levels",
    "selected_level", "errors", "querystring",
)  # fmt: skip


def _catalog(request):
    """The catalogue page. Its listing is the same for everyone with the same URL: a logged-in
    visitor's page reuses it ({% kept %} in the template), so the context is lazy and a kept
    listing costs no query."""
    context = page_cache.lazy_values(lambda: _catalog_context(request), CATALOG_CONTEXT)
    context["query"] = request.GET.get("q", "").strip()[:200]  # the title, outside the listing
    return TemplateResponse(request, "learning/catalog.html", context)


def _catalog_context(request):
    private = private_pages_q()  # the view restrictions, read once for every queryset below
    subjects = list(
        SubjectPage.objects.live()
        .exclude(private)
        .order_by("title")
        .only("id", "title", "slug", "path", "depth")
    )
    query = request.GET.get("q", "").strip()[:200]
    subject_slug = request.GET.get("subject", "").strip()
    level = request.GET.get("level", "").strip()
    errors = []

    courses = with_live_parent(CoursePage.objects.live().exclude(private))
    subject = next((s for s in subjects if s.slug == subject_slug), None)
    if subject_slug and subject is None:
        errors.append("There is no subject with that name: showing every subject.")
    if subject is not None:
        courses = courses.child_of(subject)
    if level and level not in CoursePage.Level.values:
        errors.append("There is no such level: showing every level.")
        level = ""
    if level:
        courses = courses.filter(level=level)

    if query:
        # The same for everyone (only public pages are searched): kept until content changes.
        digest = hashlib.sha256(query.encode()).hexdigest()
        ranked_ids = page_cache.shared_value(
            f"catalog-search:{digest}",
            lambda: _search_course_ids(query, private),
            page_cache.request_generation(request),
        )
        rank = {pk: position for position, pk in enumerate(ranked_ids)}
        ids = list(courses.filter(pk__in=ranked_ids).values_list("pk", flat=True))
        ids.sort(key=rank.__getitem__)
    else:
        ids = list(courses.order_by("title").values_list("pk", flat=True))

    paginator = Paginator(ids, CATALOG_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    page_courses = (
        CoursePage.objects.filter(pk__in=page_obj.object_list)
        .select_related("owner", "image")
        .prefetch_related("image__renditions")
    )
    by_id = {course.pk: course for course in page_courses}
    results = [by_id[pk] for pk in page_obj.object_list if pk in by_id]
    annotate_module_counts(results)

    params = request.GET.copy()
    params.pop("page", None)
    return {
        "courses": results,
        "page_obj": page_obj,
        "paginator": paginator,
        "query": query,
        "subjects": subjects,
        "selected_subject": subject,
        "levels": CoursePage.Level.choices,
        "selected_level": level,
        "errors": errors,
        "querystring": params.urlencode(),
    }


def _search_course_ids(query, private):
    """Course ids matching the query in their own text, their instructor's name or one of their
    live modules; then courses whose title or instructor's name begins with the query's last
    word ("calc" finds Calculus); and, on PostgreSQL, when nothing matched, courses whose words
    are close to it ("calculs": modelsearch's trigram search, with pg_trgm).

    Only ids leave this function: module text is searched, never shown. A search tells no more
    than that some module of a course holds the words (of a module not open to the reader yet,
    or of a course they are not enrolled in), never what the module says.
    """
    ranked = []
    seen = set()

    def add(pks):
        for pk in pks:
            if pk not in seen:
                seen.add(pk)
                ranked.append(pk)

    courses = CoursePage.objects.live().exclude(private)
    add(course.pk for course in courses.search(query, operator="and")[:500])
    module_paths = defaultdict(int)
    step = ModulePage.steplen
    modules = ModulePage.objects.live().exclude(private).defer_streamfields()
    for module in modules.search(query, operator="and")[:2000]:
        module_paths[module.path[:-step]] += 1
    if module_paths:
        add(CoursePage.objects.filter(path__in=list(module_paths)).values_list("pk", flat=True))
    add(course.pk for course in courses.autocomplete(query, operator="and")[:500])
    if not ranked:
        add(fuzzy_course_ids(courses, query))
    return ranked


def fuzzy_course_ids(courses, query):
    """Courses with a word close to each of the query's, on PostgreSQL with pg_trgm (migration
    learning 0010); none elsewhere, or where the extension could not be created."""
    text = search_text(query)
    if connection.vendor != "postgresql" or text is None:
        return []
    # Every word close to one of the course's: a word each (up to five), their courses in common.
    words = [word for word in text.split() if any(c.isalnum() for c in word)][:5]
    try:
        with transaction.atomic():  # a failed query must not break the request's transaction
            found = None
            for word in words:
                pks = [course.pk for course in courses.search(Fuzzy(word))[:100]]
                found = pks if found is None else [pk for pk in found if pk in set(pks)]
            return found or []
    except NotSupportedError:
        logger.warning("Typo-tolerant search is off: PostgreSQL's pg_trgm extension is missing.")
        return []
