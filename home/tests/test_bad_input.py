"""Hostile or oversized input is refused clearly and stores nothing."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

pytestmark = pytest.mark.django_db


def png(width, height):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@pytest.fixture
def uploader(client, instructor):
    client.force_login(instructor)
    return client


def upload_image(client, name, content, content_type="image/png"):
    return client.post(
        reverse("wagtailimages:add"),
        {"title": name, "file": SimpleUploadedFile(name, content, content_type)},
    )


def test_an_image_over_the_upload_size_limit_is_refused(uploader, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 1024
    response = upload_image(uploader, "big.png", png(400, 400) + b"\0" * 2048)
    assert response.status_code == 200
    assert "this file is too big" in response.content.decode().lower()
    assert not get_image_model().objects.exists()


def test_an_image_over_the_pixel_limit_is_refused(uploader, settings):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 100 * 100
    response = upload_image(uploader, "bomb.png", png(200, 200))
    assert response.status_code == 200
    assert "pixels" in response.content.decode().lower()
    assert not get_image_model().objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("page.jpg", b"<html><body><script>alert(1)</script></body></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ],
)
def test_svg_or_html_disguised_as_an_image_is_refused(uploader, name, content):
    response = upload_image(uploader, name, content)
    assert response.status_code == 200
    [error, *_] = response.context["form"].errors["file"]
    assert "not a valid" in error.lower() or "not a supported image format" in error.lower()
    assert not get_image_model().objects.exists()


def test_a_document_over_the_size_limit_is_refused(uploader, settings):
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 1024
    big = SimpleUploadedFile("notes.pdf", b"%PDF-1.4\n" + b"0" * 4096, "application/pdf")
    response = uploader.post(reverse("wagtaildocs:add"), {"title": "Big", "file": big})
    assert response.status_code == 200
    assert "too big" in " ".join(response.context["form"].errors["file"])
    assert not get_document_model().objects.exists()


@pytest.mark.parametrize("count", [1000, 5000, 20_000])
def test_a_public_form_with_a_thousand_fields_or_more_is_refused(client, count):
    fields = {f"field{number}": "x" for number in range(count)}
    fields.update(username="flooder", email="flooder@example.com")
    response = client.post(reverse("signup"), fields)
    assert response.status_code == 400
    assert b"Request refused" in response.content
    assert not get_user_model().objects.filter(username="flooder").exists()


def test_the_admin_accepts_the_many_fields_of_a_long_module(client, editor, module):
    client.force_login(editor)
    fields = {f"unused{number}": "x" for number in range(1500)}
    fields.update(title="Limits, revised", slug=module.slug, description="", **{"body-count": "0"})
    response = client.post(reverse("wagtailadmin_pages:edit", args=[module.pk]), fields)
    assert response.status_code in (200, 302)
    assert b"Request refused" not in response.content


def test_a_request_body_over_the_memory_limit_is_refused(client, settings):
    body = {
        "username": "bulky",
        "email": "bulky@example.com",
        "bio": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
    }
    response = client.post(reverse("signup"), body)
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="bulky").exists()


@pytest.mark.parametrize(
    "host", ["evil.example", "bad host", "testserver:notaport", "a" * 300, "[::1"]
)
def test_malformed_or_foreign_host_headers_are_refused(client, host):
    response = client.get("/", HTTP_HOST=host)
    assert response.status_code == 400


async def test_malformed_origin_headers_are_refused_on_websockets():
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    for origin in (b"not a url", b"http://", b"javascript:alert(1)", b"\xff\xfe"):
        communicator = WebsocketCommunicator(
            application, "/ws/chat/room/1/", headers=[(b"origin", origin)]
        )
        connected, _ = await communicator.connect()
        assert connected is False
        await communicator.disconnect()
