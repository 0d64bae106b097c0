"""The chat moderation list accepts only its own filters (no ORM lookups through the URL)."""

import pytest

from chat.models import Message

pytestmark = pytest.mark.django_db


def test_unknown_query_parameters_cannot_filter_chat_messages(client, instructor, course, student):
    Message.objects.create(course=course, author=student, text="hello")
    client.force_login(instructor)
    response = client.get("/admin/chat/message/?author__password__startswith=md5")
    assert response.status_code == 302
    assert response["Location"] == "/admin/chat/message/"


def test_a_bad_course_filter_value_is_not_a_server_error(client, instructor, course):
    client.force_login(instructor)
    for value in ("abc", "²", "9" * 30):
        response = client.get(f"/admin/chat/message/?course={value}")
        assert response.status_code in (200, 302)
