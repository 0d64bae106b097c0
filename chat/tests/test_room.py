"""The room page (/chat/room/<course_id>/), the links to it, and chat moderation in the Wagtail
admin (/admin/chat/message/), scoped to the instructor's own courses."""

import json
import re
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse

from chat.consumers import room_group
from chat.models import Message

pytestmark = pytest.mark.django_db

ADMIN_LIST = "/admin/chat/message/"


def room_url(course_id):
    return f"/chat/room/{course_id}/"


def admin_delete_url(message):
    return f"/admin/chat/message/delete/{message.pk}/"


def inline_scripts(html):
    """<script> tags that would run code written in the page (JSON data blocks do not run)."""
    tags = re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE)
    return [t for t in tags if " src=" not in t and 'type="application/json"' not in t]


@pytest.fixture
def user(request):
    """The user of the fixture named by the test's parameter."""
    return request.getfixturevalue(request.param)


# --- the room page -------------------------------------------------------------------------------
def test_anonymous_visitor_is_sent_to_log_in_and_back(client, course):
    response = client.get(room_url(course.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={room_url(course.pk)}"


@pytest.mark.parametrize("user", ["student", "other_instructor"], indirect=True)
def test_user_who_is_not_a_member_gets_403_with_an_enroll_form_and_no_chat(client, course, user):
    client.force_login(user)
    response = client.get(room_url(course.pk))
    assert response.status_code == 403
    html = response.content.decode()
    enroll = reverse("learning:enroll", args=[course.pk])
    assert re.search(rf'<form method="post" action="{re.escape(enroll)}">', html)
    assert "csrfmiddlewaretoken" in html
    assert "data-course-id" not in html
    assert "chat.js" not in html


@pytest.mark.parametrize(
    ("user", "can_moderate"),
    [
        ("enrolled_student", "false"),
        ("instructor", "true"),
        ("editor", "true"),
        ("superuser", "true"),
    ],
    indirect=["user"],
)
def test_member_gets_the_room_wired_to_chat_js_without_inline_script(
    client, course, user, can_moderate
):
    client.force_login(user)
    response = client.get(room_url(course.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-course-id="{course.pk}"' in html
    assert f'data-can-moderate="{can_moderate}"' in html
    assert f'<script src="{settings.STATIC_URL}js/chat.js" defer>' in html
    assert inline_scripts(html) == []


def test_unknown_course_is_404(client, superuser, course):
    client.force_login(superuser)
    assert client.get(room_url(course.pk + 1000)).status_code == 404


def test_unpublished_course_is_404_even_for_its_students(client, enrolled_student, course):
    course.unpublish()
    client.force_login(enrolled_student)
    assert client.get(room_url(course.pk)).status_code == 404


def test_chat_script_renders_message_text_as_text_never_as_html():
    source = (Path(settings.BASE_DIR) / "static" / "js" / "chat.js").read_text()
    assert "text.textContent = message.text" in source
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", source, flags=re.DOTALL)  # comments may say "never"
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", code)


# --- links to the room ---------------------------------------------------------------------------
def test_course_page_links_enrolled_student_to_the_room(student_client, course):
    html = student_client.get(course.url).content.decode()
    assert f'href="{room_url(course.pk)}"' in html


def test_course_page_does_not_link_a_non_member_to_the_room(client, student, course):
    client.force_login(student)
    html = client.get(course.url).content.decode()
    assert room_url(course.pk) not in html


def test_my_learning_links_each_enrolled_course_to_its_room(student_client, course):
    html = student_client.get(reverse("learning:my_learning")).content.decode()
    assert f'href="{room_url(course.pk)}"' in html


# --- moderation in the admin ---------------------------------------------------------------------
@pytest.fixture
def messages(course, other_course, enrolled_student, other_instructor):
    return (
        Message.objects.create(course=course, author=enrolled_student, text="calculus question"),
        Message.objects.create(course=other_course, author=other_instructor, text="algebra notes"),
    )


def test_instructor_lists_only_the_messages_of_their_own_courses(client, instructor, messages):
    client.force_login(instructor)
    response = client.get(ADMIN_LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "calculus question" in html
    assert "algebra notes" not in html


def test_instructor_cannot_find_another_courses_messages_by_search(client, instructor, messages):
    client.force_login(instructor)
    html = client.get(ADMIN_LIST, {"q": "algebra"}).content.decode()
    assert "algebra notes" not in html


def test_instructor_cannot_delete_a_message_of_another_instructors_course(
    client, instructor, messages
):
    _, elsewhere = messages
    client.force_login(instructor)
    with mock.patch("chat.signals._send") as send:
        page = client.get(admin_delete_url(elsewhere))
        post = client.post(admin_delete_url(elsewhere))
    assert page.status_code in (302, 403, 404)
    assert post.status_code in (302, 403, 404)
    assert Message.objects.filter(pk=elsewhere.pk).exists()
    send.assert_not_called()


@pytest.mark.parametrize("user", ["editor", "superuser"], indirect=True)
def test_editor_lists_the_messages_of_every_course(client, user, messages):
    client.force_login(user)
    html = client.get(ADMIN_LIST).content.decode()
    assert "calculus question" in html
    assert "algebra notes" in html


def test_student_has_no_moderation_list(client, enrolled_student, messages):
    client.force_login(enrolled_student)
    response = client.get(ADMIN_LIST)
    assert response.status_code in (302, 403)
    assert "calculus question" not in response.content.decode()


@pytest.mark.parametrize(("user", "which"), [("instructor", 0), ("editor", 1)], indirect=["user"])
def test_admin_delete_removes_the_message_and_tells_its_room(client, user, which, messages):
    message = messages[which]
    client.force_login(user)
    with mock.patch("chat.signals._send") as send:
        response = client.post(admin_delete_url(message))
    assert response.status_code == 302
    assert not Message.objects.filter(pk=message.pk).exists()
    send.assert_called_once_with(
        room_group(message.course_id),
        {"type": "chat.deleted", "frame": json.dumps({"type": "deleted", "id": message.pk})},
    )
