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


def test_the_csv_export_holds_the_messages_of_the_instructors_courses(
    client, instructor, course, other_course, student
):
    import csv
    import io

    Message.objects.create(course=course, author=student, text="=SUM(1,2) is my answer")
    Message.objects.create(course=other_course, author=student, text="not theirs")
    client.force_login(instructor)
    response = client.get("/admin/chat/message/", {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Created At", "Course", "Author", "Text"]
    assert [row[1:] for row in rows[1:]] == [
        [course.title, student.display_name, "'=SUM(1,2) is my answer"]
    ]
    assert "chat-messages" in response["Content-Disposition"]
