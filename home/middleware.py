"""Course subdomains: ``<course-slug>.<site domain>`` redirects to the course's page.

As in the seed project, every course has a short address on its own subdomain. The host is
validated by Django first (``request.get_host()`` raises for hosts outside ALLOWED_HOSTS), then
matched against the hostnames of the Wagtail sites: the bare domain and ``www.`` pass through,
a known course slug redirects to the course on the main domain, and an unknown slug is a 404.
"""

import logging
from urllib.parse import urlsplit

from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpResponsePermanentRedirect
from wagtail.models import Site

from core.errors import error_response

DATABASE_ERRORS = (OperationalError, InterfaceError)


class CourseSubdomainMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    # Probes must answer whatever the host, without touching the database or the cache.
    SKIP_PATHS = frozenset({"/healthz", "/readyz"})

    def __call__(self, request):
        if request.path in self.SKIP_PATHS:
            return self.get_response(request)
        try:
            redirect = self.redirect(request)
        except DATABASE_ERRORS as exception:
            # The site root paths come from the cache, but from the database in a process
            # started (or a cache emptied) during an outage; this runs before
            # DatabaseUnavailableMiddleware, which only sees the view's exceptions.
            if not connection_lost(exception):
                raise
            return database_unavailable(exception, request)
        return redirect or self.get_response(request)

    def redirect(self, request):
        host = urlsplit("//" + request.get_host()).hostname or ""  # validated, port dropped
        if not host or ":" in host or host.replace(".", "").isdigit():
            return None  # an IP address has no subdomains
        for root in Site.get_site_root_paths():
            parts = urlsplit(root.root_url)
            domain = (parts.hostname or "").lower()
            if not domain or host in (domain, f"www.{domain}") or not host.endswith("." + domain):
                continue
            label = host[: -len(domain) - 1]
            if "." in label:
                continue
            return HttpResponsePermanentRedirect(self.course_url(request, root, label))
        return None

    def course_url(self, request, root, slug):
        from learning.models import CoursePage, with_live_parent

        course = (
            with_live_parent(CoursePage.objects.live().public())
            .filter(slug=slug, url_path__startswith=root.root_path)
            .order_by("path")
            .values_list("url_path", flat=True)
            .first()
        )
        if course is None:
            raise Http404("No course has that address.")
        # The port the visitor typed is in the Host header; request.get_port() is the server's.
        port = urlsplit("//" + request.get_host()).port
        netloc = urlsplit(root.root_url).hostname
        if port and port != {"http": 80, "https": 443}.get(request.scheme):
            netloc = f"{netloc}:{port}"
        return f"{request.scheme}://{netloc}/{course[len(root.root_path) :]}"


class ContentSecurityPolicyMiddleware:
    """Adds settings.CONTENT_SECURITY_POLICY to public pages (not the Wagtail or Django admin)."""

    EXEMPT_PREFIXES = ("/admin/", "/django-admin/")

    def __init__(self, get_response):
        from django.conf import settings

        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and not request.path.startswith(self.EXEMPT_PREFIXES):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class RefuseNulMiddleware:
    """A NUL character in the path or the query string is refused with a 400 (JSON under /api/).

    No page, search or API parameter has a use for one, and PostgreSQL cannot store or compare
    a text holding one: passed on, it was a 500 wherever a parameter reached a query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.GET
        if "\x00" in request.path or any(
            "\x00" in name or "\x00" in value for name in query for value in query.getlist(name)
        ):
            return error_response(request, 400, "The address holds a NUL character.")
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A lost database connection answers 503 (JSON under /api/), not a stack trace.

    Django reconnects by itself on the next request (CONN_HEALTH_CHECKS for persistent
    connections), so the site recovers as soon as the database is back. A query's own error
    (a syntax error, a value out of range) is not an outage: it stays an error of ours (500).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS) or not connection_lost(exception):
            return None
        return database_unavailable(exception, request)


#: What SQLite says when the database file itself cannot be used. SQLite reports a query's own
#: errors (a full-text search's syntax, say) as OperationalError too.
SQLITE_UNUSABLE = ("unable to open", "locked", "disk i/o", "readonly", "malformed", "connect")


def connection_lost(exception):
    """Whether a database error means the database cannot be reached (an outage), not that one
    query failed. PostgreSQL's driver reports lost and refused connections as OperationalError
    or InterfaceError, and a query's own errors as other classes."""
    if isinstance(exception, InterfaceError):
        return True
    if connection.vendor == "sqlite":
        message = str(exception).lower()
        return any(marker in message for marker in SQLITE_UNUSABLE)
    return True


def database_unavailable(exception, request=None):
    """The 503 answer (core.errors: rendered without the database, whose context processors
    would turn it into a 500)."""
    logging.getLogger("home").error("Database unavailable: %s", exception)
    return error_response(
        request, 503, "The site cannot reach its database right now. Please try again in a minute."
    )


class PublicFormFieldLimitMiddleware:
    """Public forms take at most PUBLIC_FORM_MAX_FIELDS fields; the Wagtail admin more.

    DATA_UPLOAD_MAX_NUMBER_FIELDS bounds every request, and must be high enough for a long module
    edited in the admin (a quiz is hundreds of small fields). The site's own forms have a dozen
    fields: a form POST (URL-encoded or multipart) outside the admin and the API with more than
    PUBLIC_FORM_MAX_FIELDS is refused with the 400 page before any view or form sees it. The
    parsed form stays on the request for the view.
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.limit = settings.PUBLIC_FORM_MAX_FIELDS
        self.exempt = ("/admin/", "/django-admin/", "/api/")

    def __call__(self, request):
        if (
            request.method == "POST"
            and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
            and not request.path.startswith(self.exempt)
        ):
            from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
            from django.views.defaults import bad_request

            try:
                count = sum(len(values) for _, values in request.POST.lists())
            except (TooManyFieldsSent, RequestDataTooBig) as error:
                return bad_request(request, error)
            if count > self.limit:
                return bad_request(
                    request, TooManyFieldsSent(f"{count} fields, {self.limit} at most")
                )
        return self.get_response(request)
