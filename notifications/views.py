"""The notification centre, the e-mail settings, the unread count and the unsubscribe page.

Every page here is its reader's own (``Cache-Control: private, no-store``); none is kept in a
shared shell. The unsubscribe view needs no login: its signed token names the user and the kind.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import services
from notifications.emails import read_unsubscribe_token
from notifications.forms import EmailSettingsForm
from notifications.models import Kind, Notification

PER_PAGE = 20


def private(view):
    """Mark the view's answers as its reader's alone: no shared or browser cache keeps them."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapped


def back(request):
    """Where a form posted from the centre returns: its ``next`` (a path on this site), or the
    centre."""
    target = request.POST.get("next", "")
    if services.is_site_path(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:centre")


@require_GET
@private
@login_required
def centre(request):
    """The reader's notifications, newest first, 20 a page."""
    notifications = Notification.objects.filter(user=request.user).only(
        "kind", "title", "body", "url", "created_at", "read_at"
    )
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "notifications/centre.html",
        {
            "page_obj": page,
            "notifications": page.object_list,
            "unread": services.unread_count(request.user),
        },
    )


@require_POST
@private
@login_required
def mark_read(request, notification_id):
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    services.mark_read(request.user, [notification.pk])
    return back(request)


@require_POST
@private
@login_required
def mark_all_read(request):
    count = services.mark_read(request.user)
    if count:
        messages.success(
            request, f"{count} notification{'s' if count != 1 else ''} marked as read."
        )
    return back(request)


@require_GET
@private
@login_required
def open_notification(request, notification_id):
    """Mark the notification read and go to its page (only ever a path on this site).

    A GET from another site (an image or link there: ``Sec-Fetch-Site: cross-site``) only
    redirects: another site cannot mark a user's notifications read."""
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    from_elsewhere = request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site")
    if notification.read_at is None and not from_elsewhere:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    if services.is_site_path(notification.url):
        return redirect(notification.url)
    return redirect("notifications:centre")


@require_GET
@private
def unread(request):
    """``{"unread": n}`` for the header's badge; 401 for an anonymous visitor."""
    if not request.user.is_authenticated:
        return JsonResponse({"unread": None, "error": "not logged in"}, status=401)
    return JsonResponse({"unread": services.unread_count(request.user)})


@require_http_methods(["GET", "POST"])
@private
@login_required
def email_settings(request):
    """A checkbox per kind: which notifications also come by e-mail."""
    if request.method == "POST":
        form = EmailSettingsForm(request.POST)
        if form.is_valid():
            for kind, enabled in form.cleaned_data.items():
                services.set_email(request.user, kind, enabled)
            messages.success(request, "Your e-mail settings are saved.")
            return redirect("notifications:settings")
    else:
        form = EmailSettingsForm(initial=services.email_choices(request.user))
    return TemplateResponse(request, "notifications/settings.html", {"form": form})


# Mail clients send the one-click POST of RFC 8058 (``List-Unsubscribe=One-Click``) without a
# CSRF token or cookie; the signed token in the path is what authorises it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@private
def unsubscribe(request, token):
    """GET asks (mail scanners open links: nothing changes); POST switches that kind's e-mails
    off. A forged or damaged token: 400."""
    found = read_unsubscribe_token(token)
    user = None
    if found is not None:
        user = get_user_model().objects.filter(pk=found[0]).first()
    if user is None:
        return HttpResponseBadRequest(
            render_to_string("notifications/unsubscribe_invalid.html", request=request)
        )
    kind = found[1]
    context = {"kind": Kind(kind).label, "action": request.path, "done": False}
    if request.method == "POST":
        services.set_email(user, kind, False)
        context["done"] = True
        context["settings_url"] = reverse("notifications:settings")
    return TemplateResponse(request, "notifications/unsubscribe.html", context)
