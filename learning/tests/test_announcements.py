"""Announcements posted from the admin, and the daily jobs' notices (opening, due tomorrow)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import make_user
from learning import schedule
from learning.models import Announcement, Enrollment, ModuleCompletion, ModulePage
from learning.tests.quiz_data import quiz_value
from notifications.models import Notification
from notifications.tests.conftest import make_users, run_worker

pytestmark = pytest.mark.django_db

CREATE = "/admin/learning/announcement/create/"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def post_announcement(client, course, title="Exam room changed", body="Room B12.\nBring a pen."):
    return client.post(CREATE, {"course": course.pk, "title": title, "body": body})


def test_the_instructor_posts_an_announcement_that_reaches_2000_students_through_the_worker(
    client, instructor, course
):
    ids = make_users(2000, prefix="learner")
    Enrollment.objects.bulk_create(Enrollment(user_id=pk, course=course) for pk in ids)
    client.force_login(instructor)
    with CaptureQueriesContext(connection) as queries:
        response = post_announcement(client, course)
    assert response.status_code == 302
    assert len(queries) < 40  # whatever the number of students: one task is queued
    assert mail.outbox == [] and Notification.objects.count() == 0
    announcement = Announcement.objects.get()
    assert announcement.author == instructor
    run_worker()
    assert len(mail.outbox) == 2000
    message = mail.outbox[0]
    assert "Exam room changed" in message.subject and "Room B12." in message.body
    assert "List-Unsubscribe" in message.extra_headers
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Notification.objects.filter(kind="announcement").count() == 2000


def test_another_instructor_cannot_post_to_edit_or_delete_a_courses_announcements(
    client, other_instructor, course, instructor
):
    announcement = Announcement.objects.create(
        course=course, author=instructor, title="Mine", body="Only for my students."
    )
    client.force_login(other_instructor)
    response = post_announcement(client, course, title="Hijack")
    assert response.status_code == 200  # the form again: that course is not offered
    assert not Announcement.objects.filter(title="Hijack").exists()
    listing = client.get("/admin/learning/announcement/").content.decode()
    assert "Mine" not in listing
    for action in ("edit", "delete"):
        url = f"/admin/learning/announcement/{action}/{announcement.pk}/"
        assert client.post(url, {"course": course.pk, "title": "x", "body": "y"}).status_code in (
            302,
            403,
        )
    announcement.refresh_from_db()
    assert announcement.title == "Mine"


def test_a_student_cannot_open_the_announcements_admin(client, student, course):
    client.force_login(student)
    response = post_announcement(client, course)
    assert response.status_code in (302, 403)
    assert not Announcement.objects.exists()


def test_an_editor_posts_to_any_course(client, editor, course):
    client.force_login(editor)
    assert post_announcement(client, course).status_code == 302
    assert Announcement.objects.get().author == editor


def test_the_announcement_shows_to_the_courses_students_not_to_others(
    client, course, enrolled_student, student, instructor, page_cache_on
):
    Announcement.objects.create(course=course, author=instructor, title="Welcome", body="Hi!")
    reader = Client()
    reader.force_login(enrolled_student)
    page = reader.get(course.url).content.decode()
    assert "Welcome" in page and "Hi!" in page
    assert "Welcome" in reader.get("/learn/").content.decode()
    outsider = Client()
    outsider.force_login(make_user("outsider"))
    assert "Hi!" not in outsider.get(course.url).content.decode()
    assert "Hi!" not in Client().get(course.url).content.decode()
    # A new one is shown at once: posting retires the kept pages.
    Announcement.objects.create(course=course, author=instructor, title="Second", body="More")
    assert "Second" in reader.get(course.url).content.decode()


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = T0

    fixed = Clock()
    monkeypatch.setattr(schedule, "current_time", lambda: fixed.now)
    return fixed


def test_the_daily_jobs_tell_of_openings_and_due_dates_once(
    clock, course, module, instructor, student
):
    from learning.tests import factories

    enrolled = Enrollment.objects.create(user=student, course=course, created_at=T0)
    passed_student = make_user("passer")
    Enrollment.objects.create(user=passed_student, course=course, created_at=T0)
    due = ModulePage.objects.get(pk=module.pk)
    due.due_after_days = 5
    due.body = [{"type": "quiz", "id": "q", "value": quiz_value()}]
    due.save_revision().publish()
    ModuleCompletion.objects.create(user=passed_student, module=due)
    dripped = factories.ModulePageFactory(parent=course, title="Week two", owner=instructor)
    dripped.opens_after_days = 7
    dripped.save_revision().publish()

    clock.now = T0 + timedelta(days=4, hours=1)  # due in 23 hours; not open yet
    call_command("daily_jobs", stdout=open("/dev/null", "w"))  # noqa: SIM115
    run_worker()
    assert list(Notification.objects.values_list("user_id", "kind")) == [
        (enrolled.user_id, "due_soon")
    ]
    clock.now = T0 + timedelta(days=7, hours=2)  # week two opened two hours ago
    for _ in range(2):  # twice: idempotent
        call_command("daily_jobs", stdout=open("/dev/null", "w"))  # noqa: SIM115
        run_worker()
    opened = Notification.objects.filter(kind="module_open")
    assert sorted(opened.values_list("user_id", flat=True)) == sorted(
        [student.pk, passed_student.pk]
    )
    assert Notification.objects.filter(kind="due_soon").count() == 1
    assert all("Week two" in n.title for n in opened)


def test_no_opening_notice_for_a_module_open_on_the_first_day_or_still_waiting_in_sequence(
    clock, course, module, instructor, student
):
    from learning.daily import notices
    from learning.tests import factories

    Enrollment.objects.create(user=student, course=course, created_at=T0)
    already = ModulePage.objects.get(pk=module.pk)
    already.opens_at = T0 - timedelta(days=2)  # open before the student came
    already.save_revision().publish()
    course.sequential = True
    course.save_revision().publish()
    waiting = factories.ModulePageFactory(parent=course, title="Week two", owner=instructor)
    waiting.opens_after_days = 1
    waiting.save_revision().publish()
    clock.now = T0 + timedelta(days=1, hours=1)
    assert notices() == {}  # week two's day came, but "Limits" is not complete yet
    ModuleCompletion.objects.create(user=student, module=already)
    assert [kind for kind, _ in notices()] == ["module_open"]
