"""The learning endpoints of the Wagtail API v2: subjects, courses, enroll, contents, me.

Module bodies are served by ``courses/<id>/contents/`` only, behind the same rule as the
module pages (learning.access.can_study); no other endpoint exposes them (ModulePage has no
``body`` API field, and Wagtail's API never calls a page's ``serve()``).
"""

import hashlib
from collections import defaultdict

from django.urls import path
from rest_framework import permissions, status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.api.utils import get_full_url
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.models import PageViewRestriction

from core import kept as page_cache
from learning import access, calendar, gradebook, prerequisites, schedule
from learning.api.authentication import AUTHENTICATION_CLASSES
from learning.api.caching import CachedReadMixin
from learning.api.filters import with_safe_search
from learning.api.pagination import MAX_OFFSET, Pagination
from learning.api.patterns import BoundedIdPatterns
from learning.api.serializers import PageSerializer, absolute_page_url
from learning.blocks import load_bodies
from learning.models import (
    CoursePage,
    Enrollment,
    ModuleCompletion,
    ModulePage,
    SubjectPage,
    with_live_parent,
)
from learning.models.api_fields import related_data_for
from learning.progress import progress_for_courses


class PrefetchedListingMixin(CachedReadMixin):
    """Computes ``self.related`` for the page of results before serializing it; keeps the
    responses (CachedReadMixin)."""

    related = None
    _base_queryset = None

    def get_base_queryset(self):
        # Wagtail asks for it three times a request (for the queryset, the serializer class and
        # its context), and each time reads every view restriction: once is enough. A viewset
        # instance serves one request.
        if self._base_queryset is None:
            self._base_queryset = super().get_base_queryset()
        return self._base_queryset

    def listing_view(self, request):
        return self.cached(request, self.render_listing)

    def detail_view(self, request, pk):
        return self.cached(request, self.render_detail)

    def render_listing(self):
        queryset = self.get_queryset()
        self.check_query_parameters(queryset)
        queryset = self.filter_queryset(queryset)
        page = list(self.paginate_queryset(queryset))
        self.related = related_data_for(page)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def render_detail(self):
        instance = self.get_object()
        self.related = related_data_for([instance])
        return Response(self.get_serializer(instance).data)


class SubjectsAPIViewSet(BoundedIdPatterns, PrefetchedListingMixin, PagesAPIViewSet):
    name = "subjects"
    model = SubjectPage
    authentication_classes = AUTHENTICATION_CLASSES
    filter_backends = with_safe_search(PagesAPIViewSet.filter_backends)
    pagination_class = Pagination
    base_serializer_class = PageSerializer
    listing_default_fields = PagesAPIViewSet.listing_default_fields + ["course_count"]
    nested_default_fields = PagesAPIViewSet.nested_default_fields + ["slug"]

    def get_queryset(self):
        return (
            SubjectPage.objects.filter(pk__in=self.get_base_queryset().values_list("pk", flat=True))
            .select_related("locale")  # the "locale" meta field of ?fields=*
            .order_by("path")
        )


class CourseFilter:
    """``?subject=<id or slug>`` and ``?level=<level>``; a value that matches nothing is a 400."""

    def filter_queryset(self, request, queryset, view):
        subject = request.GET.get("subject")
        if subject:
            subjects = SubjectPage.objects.live().public()  # a private one "does not exist"
            if not (subject.isascii() and subject.isdigit()):  # "²".isdigit() is true
                subjects = subjects.filter(slug=subject)
            elif len(subject) <= 9:  # larger numbers overflow the database's integer
                subjects = subjects.filter(pk=int(subject))
            else:
                subjects = subjects.none()
            found = subjects.first()
            if found is None:
                raise BadRequestError(f"subject {subject!r} does not exist")
            queryset = queryset.child_of(found)
        level = request.GET.get("level")
        if level:
            if level not in CoursePage.Level.values:
                allowed = ", ".join(CoursePage.Level.values)
                raise BadRequestError(f"level must be one of: {allowed}")
            queryset = queryset.filter(level=level)
        return queryset


class CoursesAPIViewSet(BoundedIdPatterns, PrefetchedListingMixin, PagesAPIViewSet):
    name = "courses"
    model = CoursePage
    authentication_classes = AUTHENTICATION_CLASSES
    filter_backends = [CourseFilter, *with_safe_search(PagesAPIViewSet.filter_backends)]
    pagination_class = Pagination
    base_serializer_class = PageSerializer
    known_query_parameters = PagesAPIViewSet.known_query_parameters.union(["subject", "level"])
    listing_default_fields = PagesAPIViewSet.listing_default_fields + [
        "subject",
        "instructor",
        "level",
        "duration_hours",
        "overview",
        "image",
        "modules",
        "prerequisites",
        "sequential",
    ]
    nested_default_fields = PagesAPIViewSet.nested_default_fields + ["slug"]

    def get_queryset(self):
        public = self.get_base_queryset().values_list("pk", flat=True)
        # As a subquery: the search backends cannot filter on with_live_parent's Exists().
        visible = with_live_parent(CoursePage.objects.filter(pk__in=public)).values("pk")
        queryset = CoursePage.objects.filter(pk__in=visible)
        if self.action == "enroll" and self.request.method == "POST":
            # As the site's enroll view: no course under a view restriction of any kind (a
            # student may still leave one, with DELETE).
            return queryset.public()
        if self.action not in ("listing_view", "detail_view"):
            return queryset  # enroll, contents: the course itself is not serialized
        return queryset.select_related("owner", "image", "locale").prefetch_related(
            "image__renditions"
        )

    def get_object(self):
        # Wagtail's lookup would fall back to any page type: keep to the courses.
        return super().get_object().specific

    @classmethod
    def get_urlpatterns(cls):
        return super().get_urlpatterns() + [
            path(
                "<id:pk>/enroll/",
                cls.as_view({"post": "enroll", "delete": "unenroll"}),
                name="enroll",
            ),
            path("<id:pk>/contents/", cls.as_view({"get": "contents"}), name="contents"),
            path("<id:pk>/gradebook/", cls.as_view({"get": "gradebook"}), name="gradebook"),
        ]

    def _require_user(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated("Log in (basic auth, a token or a session) to do this.")

    def enroll(self, request, pk):
        self._require_user(request)
        course = self.get_object()
        enrolled = Enrollment.objects.filter(user=request.user, course=course).exists()
        missing = [] if enrolled else prerequisites.missing_prerequisites(request.user, course)
        if missing:
            return Response(
                {
                    "detail": "Complete the courses this one requires first.",
                    "missing_prerequisites": [
                        {
                            "id": required.pk,
                            "title": required.title,
                            "html_url": absolute_page_url(required, request),
                        }
                        for required in missing
                    ],
                },
                status=status.HTTP_409_CONFLICT,
            )
        _, created = Enrollment.start(request.user, course)
        return Response(
            {"enrolled": True, "course": {"id": course.pk, "title": course.title}},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def unenroll(self, request, pk):
        self._require_user(request)
        course = self.get_object()
        Enrollment.objects.filter(user=request.user, course=course).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def contents(self, request, pk):
        self._require_user(request)
        course = self.get_object()
        user = request.user
        enrollment = Enrollment.of(user, course)
        staff = enrollment is None and access.is_course_staff(user, course)
        if enrollment is None and not staff:
            raise PermissionDenied("Enroll in this course to read its contents.")
        modules = course.module_summaries(course.get_url(request) or "")
        summaries = {module.pk: module for module in modules}
        ids = list(summaries)
        # A module's own view restriction (say, to a group) holds here as on the site.
        restrictions = PageViewRestriction.objects.filter(page_id__in=ids)
        refused = {r.page_id for r in restrictions if not r.accept_request(request)}
        visible = [pk for pk in ids if pk not in refused]
        # A student's modules that have not opened yet are listed, with when they open, and
        # without their bodies (learning.schedule).
        completed = set()
        if enrollment is not None and course.sequential:
            completed = set(
                ModuleCompletion.objects.filter(user=user, module_id__in=ids).values_list(
                    "module_id", flat=True
                )
            )
        states = schedule.module_states(course, list(summaries.values()), enrollment, completed)
        locked = {pk for pk, state in states.items() if state.locked}
        if locked and access.is_course_staff(user, course):
            locked = set()
        readable = [pk for pk in visible if pk not in locked]

        def serialize():
            modules = list(ModulePage.objects.filter(pk__in=readable).order_by("path"))
            load_bodies(modules)  # every module's images and documents in a fixed number of queries
            return [
                {
                    "id": module.pk,
                    "title": module.title,
                    "slug": module.slug,
                    "description": module.description,
                    "html_url": absolute_page_url(module, request),
                    "body": module.body.stream_block.get_api_representation(
                        module.body, context={"request": request}
                    ),
                }
                for module in modules
            ]

        # The same for every reader allowed the same modules (the answers of quizzes are never
        # in it): kept until content changes, per host, as the URLs in it are absolute.
        digest = hashlib.sha256(",".join(map(str, readable)).encode()).hexdigest()[:16]
        key = f"api-contents:{course.pk}:{request.scheme}://{request.get_host()}:{digest}"
        bodies = {module["id"]: module for module in page_cache.shared_value(key, serialize)}
        modules = []
        for pk in visible:
            state = states.get(pk, schedule.OPEN)
            summary = summaries.get(pk)
            if pk in bodies:
                module = {**bodies[pk], "locked": False}
            elif summary is None:  # published or unpublished this very moment
                continue
            else:
                module = {
                    "id": pk,
                    "title": summary.title,
                    "slug": summary.slug,
                    "description": summary.description,
                    "html_url": get_full_url(request, summary.url) if summary.url else None,
                    "locked": True,
                    "body": None,
                }
            module.update(schedule_fields(state, pk in locked))
            modules.append(module)
        return Response({"id": course.pk, "title": course.title, "modules": modules})

    GRADEBOOK_PARAMETERS = {"limit", "offset", "completion", "inactive_days", "format"}

    def gradebook(self, request, pk):
        """The course's students × live modules (learning.gradebook), for its staff only:
        ``limit`` (1–500, default 100) and ``offset`` page through the students by name;
        ``completion`` (completed, in_progress, not_started) and ``inactive_days`` filter."""
        self._require_user(request)
        # Who sees it, as in the admin's gradebook: those who see learner data, for the courses
        # in their scope (drafts included); 403 for a course anyone may see, else 404.
        user = request.user
        scope = (
            access.courses_in_admin_scope(user)
            if access.may_see_learner_data(user)
            else CoursePage.objects.none()
        )
        course = scope.filter(pk=pk).first()
        if course is None:
            self.get_object()  # 404 unless the course is public
            raise PermissionDenied("Only this course's instructor and editors see its gradebook.")
        unknown = set(request.GET) - self.GRADEBOOK_PARAMETERS
        if unknown:
            raise BadRequestError(f"unknown query parameters: {', '.join(sorted(unknown))}")
        limit = bounded_integer(request, "limit", 100, 1, 500)
        offset = bounded_integer(request, "offset", 0, 0, MAX_OFFSET)
        inactive = bounded_integer(request, "inactive_days", None, 1, 3650)
        completion = request.GET.get("completion")
        if completion not in (None, "completed", "in_progress", "not_started"):
            raise BadRequestError("completion must be completed, in_progress or not_started")
        modules = gradebook.modules_of(course)
        queryset = gradebook.enrollments(course, [module.pk for module in modules])
        queryset = gradebook.by_completion(queryset, completion)
        if inactive is not None:
            queryset = gradebook.inactive_for(queryset, inactive)
        queryset = queryset.order_by("user__last_name", "user__first_name", "user__username")
        total = queryset.count()
        page = list(queryset[offset : offset + limit])
        return Response(
            {
                "meta": {"total_count": total},
                "course": {"id": course.pk, "title": course.title},
                "modules": [
                    {"id": module.pk, "number": number, "title": module.title}
                    for number, module in enumerate(modules, start=1)
                ],
                "students": gradebook.api_rows(course, page, modules),
            }
        )


def schedule_fields(state, locked):
    """A module's opening and due date in the API, for one reader: ``opens_at`` (a future
    opening), ``opens_after`` (the module to complete first) and ``due_at``."""
    after = state.after if locked else None
    return {
        "opens_at": state.opens_at if locked else None,
        "opens_after": {"id": after.pk, "title": after.title} if after is not None else None,
        "due_at": state.due_at,
    }


def bounded_integer(request, name, default, lowest, highest):
    """A query parameter that must be a whole number within bounds: a 400 otherwise."""
    value = request.GET.get(name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not lowest <= int(value) <= highest:
        raise BadRequestError(f"{name} must be a whole number from {lowest} to {highest}")
    return int(value)


class MyEnrollmentsView(APIView):
    """The authenticated user's courses, with progress over their live modules."""

    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request):
        enrollments = list(
            Enrollment.objects.filter(user=request.user, course__live=True)
            .select_related("course")
            .order_by("-created_at")
        )
        courses = [enrollment.course for enrollment in enrollments]
        progress = progress_for_courses(request.user, courses)
        dates = defaultdict(list)  # the openings and due dates of each course's modules
        for date in calendar.student_dates(request.user, enrollments, request):
            dates[date.course.pk].append(calendar.as_api(date))
        return Response(
            {
                "meta": {"total_count": len(enrollments)},
                "items": [
                    {
                        "course": {
                            "id": e.course.pk,
                            "title": e.course.title,
                            "html_url": absolute_page_url(e.course, request),
                        },
                        "enrolled_at": e.created_at,
                        "completed_at": e.completed_at,
                        "progress": {
                            "completed_modules": progress[e.course_id].done,
                            "total_modules": progress[e.course_id].total,
                            "percent": progress[e.course_id].percent,
                        },
                        "dates": dates[e.course_id],
                    }
                    for e in enrollments
                ],
            }
        )
