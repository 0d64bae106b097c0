"""A student's private calendar feed of due dates and openings, and its reset."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from learning import calendar
from learning.models import CalendarFeed


@require_safe
def feed(request, token):
    """The calendar of the student whose secret ``token`` this is (404 for any other): no
    session, as calendar applications fetch it on their own."""
    owner = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token).user
    if not owner.is_active:
        return HttpResponse("This calendar is closed.\n", status=404, content_type="text/plain")
    text = calendar.ical(
        calendar.student_dates(owner, request=request),
        request.get_host(),
        request.build_absolute_uri,
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="course-dates.ics"'
    response["Cache-Control"] = "private, no-store"  # its URL is a secret: no shared cache
    return response


@login_required
@require_http_methods(["GET", "POST"])
def subscribe(request):
    """GET: the student's private calendar address, to subscribe to; POST: a new address (the
    old one stops working at once)."""
    try:
        with transaction.atomic():
            feed_record, created = CalendarFeed.objects.get_or_create(user=request.user)
    except IntegrityError:  # two first visits at once: the other one made it
        feed_record, created = CalendarFeed.objects.get(user=request.user), False
    if request.method == "POST":
        if not created:
            feed_record.reset()
        messages.success(
            request,
            "Your calendar has a new address: the old one no longer works. Subscribe again.",
        )
        return redirect("learning:calendar")
    url = request.build_absolute_uri(reverse("learning:calendar_feed", args=[feed_record.token]))
    dates = calendar.student_dates(request.user, request=request)
    context = {"calendar_url": url, "dates": dates}
    response = TemplateResponse(request, "learning/calendar.html", context)
    response["Cache-Control"] = "private, no-store"  # the page shows the secret address
    return response
