"""Document downloads through NGINX: Django checks who may download, NGINX sends the bytes.

Set ``SENDFILE_NGINX=true`` (the compose stack does). Wagtail's document view then answers with
an ``X-Accel-Redirect`` to the internal ``/protected-media/`` location instead of streaming the
file itself; that location is marked ``internal`` in docker/nginx.conf, so a browser can never
request it directly.
"""

from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse

INTERNAL_PREFIX = "/protected-media/"


def sendfile(request, filename, **kwargs):
    relative = Path(filename).resolve().relative_to(Path(settings.MEDIA_ROOT).resolve())
    response = HttpResponse()
    response["X-Accel-Redirect"] = INTERNAL_PREFIX + quote(relative.as_posix())
    return response
