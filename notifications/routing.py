"""WebSocket routes, mounted by config/asgi.py under the origin and session checks."""

from django.urls import path

from notifications.consumers import NotificationConsumer

websocket_urlpatterns = [path("ws/notifications/", NotificationConsumer.as_asgi())]
