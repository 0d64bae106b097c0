"""ASGI entry point: HTTP goes to Django, WebSockets to the chat and notifications consumers.

WebSocket connections must come from an allowed host (Origin check) and carry the Django
session, so consumers see ``scope["user"]``.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# Django must be set up before the routing imports consumers and models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from chat.routing import websocket_urlpatterns as chat_routes  # noqa: E402
from notifications.routing import websocket_urlpatterns as notification_routes  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(chat_routes + notification_routes))
        ),
    }
)

# What was loaded so far (Django, Wagtail, the URL and model registries) lives as long as the
# process: out of the collector's way, so that its full collections, which a busy chat room
# triggers every few seconds, scan only what the requests made.
gc.collect()  # the garbage of start-up first: frozen objects are never freed
gc.freeze()
