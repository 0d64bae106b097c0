"""WebSocket routes, mounted by config/asgi.py under the origin and session checks."""

from django.urls import path

from chat.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/chat/room/<id:course_id>/", ChatConsumer.as_asgi()),
]
