"""Error answers: JSON under /api/ (``{"message": ...}``, as Wagtail's API answers its own
errors), the site's styled pages elsewhere. The pages extend templates/error.html, a frame of
the site (header, navigation, a way back) that reads nothing from the database, so that every
error page, the 500 and 503 ones included, renders whatever failed."""

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

API_PREFIX = "/api/"

MESSAGES = {
    400: "The request could not be accepted: it was malformed or too large.",
    403: "You do not have permission to do this.",
    404: "Nothing was found at this address.",
    500: "Something went wrong on our side. It has been logged.",
    503: "The service is unavailable right now. Please try again in a minute.",
}


def error_response(request, status, message=None):
    """The error ``status`` for ``request``: JSON under /api/, the site's page elsewhere."""
    message = message or MESSAGES[status]
    if request is not None and request.path.startswith(API_PREFIX):
        response = JsonResponse({"message": message}, status=status)
    else:
        response = HttpResponse(render_to_string(f"{status}.html"), status=status)
    if status == 503:
        response["Retry-After"] = "30"
    return response


# Django's error handlers (config/urls.py).
def bad_request(request, exception=None):
    return error_response(request, 400)


def permission_denied(request, exception=None):
    return error_response(request, 403)


def page_not_found(request, exception=None):
    return error_response(request, 404)


def server_error(request):
    return error_response(request, 500)


def api_exception_handler(exception, context):
    """Django REST framework's answer to an API exception, in the shape of Wagtail's API:
    ``{"message": ...}`` (DRF says ``{"detail": ...}``) with the same status and headers."""
    from rest_framework.views import exception_handler

    response = exception_handler(exception, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"message": str(response.data["detail"])}
    return response
