"""The page editor's form for courses: the prerequisites a course may require."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from wagtail.admin.forms import WagtailAdminPageForm


class CoursePageForm(WagtailAdminPageForm):
    """Prerequisites are other courses a student can enroll in (and those already chosen),
    listed by title; none may lead back to this course (a student could never enroll in any
    course of such a loop)."""

    def __init__(self, *args, **kwargs):
        from learning.prerequisites import enrollable_courses

        super().__init__(*args, **kwargs)
        field = self.fields.get("prerequisites")
        if field is not None:
            model = type(self.instance)
            offered = enrollable_courses().values("pk")
            if self.instance.pk:
                chosen = model.prerequisites.through.objects.filter(
                    from_coursepage=self.instance.pk
                ).values("to_coursepage")
                courses = model.objects.filter(Q(pk__in=offered) | Q(pk__in=chosen))
                courses = courses.exclude(pk=self.instance.pk)
            else:
                courses = model.objects.filter(pk__in=offered)
            field.queryset = courses.order_by("title")
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
