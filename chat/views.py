"""The room page: /chat/room/<course_id>/."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.template.response import TemplateResponse

from chat import services
from chat.models import MAX_LENGTH


@login_required
def room(request, course_id):
    course = services.room_course(course_id)
    if course is None:
        raise Http404("No such course.")
    if not services.may_join(request.user, course):
        return TemplateResponse(request, "chat/room_forbidden.html", {"course": course}, status=403)
    return TemplateResponse(
        request,
        "chat/room.html",
        {
            "course": course,
            "can_moderate": services.may_moderate(request.user, course),
            "max_length": MAX_LENGTH,
        },
    )
