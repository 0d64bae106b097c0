"""Marks for the reader in listings that are kept for everyone.

A course card is kept inside shared fragments (``{% kept %}``: the catalogue, a subject, the
home page), which must hold nothing of a reader. The card carries a slot instead
(``{% enrolled_slot course %}``, an HTML comment naming the course with a token derived from
the site's secret, so no content can forge one); ``{% reader_marks %}`` around the kept part
fills each slot for the reader ("Enrolled", "Completed") or empties it, with one query for a
logged-in reader and none for a visitor.
"""

import re

from django import template
from django.utils.crypto import salted_hmac
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from learning.models import Enrollment

register = template.Library()

_TOKEN = SimpleLazyObject(lambda: salted_hmac("learning.enrolled-slot", "slot").hexdigest()[:16])

MARKS = {
    "enrolled": '<span class="badge badge--enrolled">Enrolled</span>',
    "completed": '<span class="badge badge--done">Completed</span>',
}


@register.simple_tag
def enrolled_slot(course):
    return mark_safe(f"<!--enrolled:{_TOKEN}:{int(course.pk)}-->")  # noqa: S308 (an integer)


def reader_courses(request):
    """``{course id: "enrolled" | "completed"}`` for the request's user (once per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not hasattr(request, "enrolled_course_states"):
        request.enrolled_course_states = {
            course_id: "completed" if completed_at else "enrolled"
            for course_id, completed_at in Enrollment.objects.filter(user=user).values_list(
                "course_id", "completed_at"
            )
        }
    return request.enrolled_course_states


class ReaderMarksNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        html = self.nodelist.render(context)
        slot = re.compile(rf"<!--enrolled:{re.escape(str(_TOKEN))}:(\d+)-->")
        if not slot.search(html):
            return html
        states = reader_courses(context.get("request"))
        return mark_safe(  # noqa: S308 (the kept HTML, with our own marks)
            slot.sub(lambda match: MARKS.get(states.get(int(match.group(1))), ""), html)
        )


@register.tag
def reader_marks(parser, token):
    nodelist = parser.parse(("endreader_marks",))
    parser.delete_first_token()
    return ReaderMarksNode(nodelist)
