"""The page editor's form for courses: the prerequisites a course may require."""

from django import forms
from django.core.exceptions import ValidationError
from wagtail.admin.forms import WagtailAdminPageForm


class CoursePageForm(WagtailAdminPageForm):
    """Prerequisites are other courses, listed by title; none may lead back to this course
    (a student could never enroll in any course of such a loop)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("prerequisites")
        if field is not None:
            courses = type(self.instance).objects.order_by("title")
            if self.instance.pk:
                courses = courses.exclude(pk=self.instance.pk)
            field.queryset = courses
            field.widget = forms.CheckboxSelectMultiple(choices=field.choices)

    def clean_prerequisites(self):
        chosen = self.cleaned_data.get("prerequisites")
        if not chosen or not self.instance.pk:
            return chosen
        loop = courses_leading_to(self.instance, [course.pk for course in chosen])
        if loop:
            titles = ", ".join(f"“{course.title}”" for course in loop)
            raise ValidationError(
                f"{titles} already require this course (directly or through another course): "
                "a student could never start either."
            )
        return chosen


def courses_leading_to(course, prerequisite_ids):
    """Those of ``prerequisite_ids`` that require ``course``, directly or through others (one
    query per step of the longest chain)."""
    model = type(course)
    through = model.prerequisites.through  # a self-referential M2M: from_ and to_coursepage
    requires = {}  # course id -> the ids it requires
    frontier, asked = set(prerequisite_ids), set()
    while frontier:
        asked |= frontier
        rows = through.objects.filter(from_coursepage__in=frontier)
        for source, target in rows.values_list("from_coursepage", "to_coursepage"):
            requires.setdefault(source, set()).add(target)
        frontier = {t for pk in frontier for t in requires.get(pk, ())} - asked

    def reaches(start):
        seen, todo = set(), [start]
        while todo:
            pk = todo.pop()
            if pk == course.pk:
                return True
            if pk not in seen:
                seen.add(pk)
                todo.extend(requires.get(pk, ()))
        return False

    return list(model.objects.filter(pk__in=[pk for pk in prerequisite_ids if reaches(pk)]))
