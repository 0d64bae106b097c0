"""``@username`` in a chat message notifies that person, if they belong to the course."""

import pytest

from chat import services
from conftest import make_user
from learning.models import Enrollment
from notifications.models import Notification
from notifications.tests.conftest import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(course, enrolled_student, instructor):
    classmate = make_user("ada.l")
    Enrollment.objects.create(user=classmate, course=course)
    outsider = make_user("outsider")
    return {"student": enrolled_student, "classmate": classmate, "outsider": outsider}


def test_a_mentioned_member_is_notified_with_a_link_to_the_room(course, people, instructor):
    message = services.store(course, people["student"], "Thanks @ada.l and @instructor.")
    run_worker()
    found = Notification.objects.filter(kind="reply").order_by("user_id")
    assert {n.user_id for n in found} == {people["classmate"].pk, instructor.pk}
    notice = found.first()
    assert notice.url == f"/chat/room/{course.pk}/"
    assert message.text in notice.body and "Sam" not in notice.title or notice.title


def test_nobody_outside_the_course_nor_the_author_is_notified(course, people):
    services.store(course, people["student"], "@outsider @student @nobody hi")
    run_worker()
    assert not Notification.objects.exists()


def test_an_address_or_a_lone_at_sign_notifies_nobody(course, people):
    services.store(course, people["student"], "write to ada.l@example.com or @ alone")
    run_worker()
    assert not Notification.objects.exists()
