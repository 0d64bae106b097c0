"""Serializer fields of the API's courses and subjects endpoints (the page models' ``api_fields``),
and what they show of other rows (``related_data_for``).

Fields that need other rows (a course's subject, its modules) read them from maps that the
listing view builds once per page of results (``view.related``), so a listing makes the same
number of queries whatever the number of courses.
"""

from rest_framework.fields import Field
from wagtail.images.api.fields import ImageRenditionField
from wagtail.models import Page

#: A module's release and due settings, listed with its title (learning.schedule).
SCHEDULE_FIELDS = ("opens_at", "opens_after_days", "due_at", "due_after_days")


class RelatedDataField(Field):
    """Reads ``view.related[key][obj.pk]``, computing it for this one object when missing."""

    key = None

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj):
        view = self.context.get("view")
        related = getattr(view, "related", None) or {}
        values = related.get(self.key)
        if values is None or obj.pk not in values:
            values = related_data_for([obj])[self.key]
        return values.get(obj.pk)


class SubjectField(RelatedDataField):
    key = "subject"


class ModuleTitlesField(RelatedDataField):
    key = "modules"


class CourseCountField(RelatedDataField):
    key = "course_count"


class PrerequisitesField(RelatedDataField):
    key = "prerequisites"


class InstructorField(Field):
    """The instructor's display name only: no username, no e-mail."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(source="owner", **kwargs)

    def to_representation(self, owner):
        return {"name": owner.display_name} if owner else None


class CourseImageField(Field):
    """Rendition URLs of the course image (images are public by Wagtail's design)."""

    SPECS = {"thumbnail": "fill-480x270", "large": "fill-960x540"}

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, image):
        if image is None:
            return None
        return {
            name: ImageRenditionField(spec).to_representation(image)
            for name, spec in self.SPECS.items()
        }


def related_data_for(courses_or_subjects):
    """Subjects, module titles and course counts for a page of results, in a few queries."""
    from learning.models.pages import CoursePage, SubjectPage, live_modules_under

    objects = list(courses_or_subjects)
    courses = [obj for obj in objects if isinstance(obj, CoursePage)]
    subjects = [obj for obj in objects if isinstance(obj, SubjectPage)]
    step = Page.steplen
    related = {"subject": {}, "modules": {}, "course_count": {}, "prerequisites": {}}
    if courses:
        parent_paths = {course.path[:-step] for course in courses}
        parents = {
            subject.path: subject
            for subject in SubjectPage.objects.filter(path__in=parent_paths).only(
                "id", "title", "slug", "path"
            )
        }
        titles = {course.pk: [] for course in courses}
        by_path = {course.path: course.pk for course in courses}
        # Not even the title of a view-restricted module.
        modules = live_modules_under(courses).public()
        for module in modules.only("id", "title", "slug", "path", *SCHEDULE_FIELDS):
            titles[by_path[module.path[:-step]]].append(
                {"id": module.pk, "title": module.title, "slug": module.slug}
                | {name: getattr(module, name) for name in SCHEDULE_FIELDS}
            )
        # The live courses each requires (one query for the page of results).
        required = {course.pk: [] for course in courses}
        through = CoursePage.prerequisites.through
        rows = through.objects.filter(
            from_coursepage__in=list(required), to_coursepage__live=True
        ).order_by("to_coursepage__title")
        for course_id, pk, title in rows.values_list(
            "from_coursepage", "to_coursepage", "to_coursepage__title"
        ):
            required[course_id].append({"id": pk, "title": title})
        for course in courses:
            parent = parents.get(course.path[:-step])
            related["subject"][course.pk] = (
                {"id": parent.pk, "title": parent.title, "slug": parent.slug} if parent else None
            )
            related["modules"][course.pk] = titles[course.pk]
            related["prerequisites"][course.pk] = required[course.pk]
    if subjects:
        counts = CoursePage.live_counts_by_subject(subjects)
        related["course_count"] = {s.pk: counts.get(s.path, 0) for s in subjects}
    return related
