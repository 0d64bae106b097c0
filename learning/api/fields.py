"""Serializer fields of the courses and subjects endpoints.

Fields that need other rows (a course's subject, its modules) read them from maps that the
listing view builds once per page of results (``view.related``), so a listing makes the same
number of queries whatever the number of courses.
"""

from rest_framework.fields import Field
from wagtail.images.api.fields import ImageRenditionField


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
            from learning.api.views import related_data_for

            values = related_data_for([obj])[self.key]
        return values.get(obj.pk)


class SubjectField(RelatedDataField):
    key = "subject"


class ModuleTitlesField(RelatedDataField):
    key = "modules"


class CourseCountField(RelatedDataField):
    key = "course_count"


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
