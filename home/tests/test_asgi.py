"""The ASGI entry point: HTTP reaches Django, WebSockets pass the origin check first."""

import pytest
from channels.testing import HttpCommunicator, WebsocketCommunicator

from config.asgi import application


@pytest.mark.django_db(transaction=True)
async def test_http_requests_are_served_by_django():
    communicator = HttpCommunicator(application, "GET", "/", headers=[(b"host", b"testserver")])
    response = await communicator.get_response()
    assert response["status"] == 200
    assert b"<html" in response["body"]


@pytest.mark.django_db(transaction=True)
async def test_websocket_from_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/chat/room/1/", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert connected is False
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_websocket_without_an_origin_header_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/chat/room/1/")
    connected, _ = await communicator.connect()
    assert connected is False
    await communicator.disconnect()
