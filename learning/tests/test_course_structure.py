"""Course structure: prerequisites, sequential courses, scheduled (drip) release, due dates.

Time travels with a fixed clock (``learning.schedule.current_time``), never by sleeping.
"""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from conftest import PASSWORD, make_user
from learning import schedule
from learning.forms_admin import courses_leading_to
from learning.models import (
    CalendarFeed,
    Certificate,
    Enrollment,
    ModuleCompletion,
    ModulePage,
    QuizAttempt,
)
from learning.tests import factories
from learning.tests.quiz_data import RIGHT, WRONG, quiz_value

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the day the student enrolled
SECRET = "The drip-released secret of module two"
DOCUMENT = b"%PDF-1.4\n% the locked module's handout\n"


@pytest.fixture
def clock(monkeypatch):
    """A fixed clock: ``clock.set(moment)``; starts at T0."""

    class Clock:
        now = T0

        def set(self, moment):
            self.now = moment

    fixed = Clock()
    monkeypatch.setattr(schedule, "current_time", lambda: fixed.now)
    return fixed


def basic(user):
    credentials = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {credentials}"}


def publish(page, **fields):
    page = ModulePage.objects.get(pk=page.pk) if isinstance(page, ModulePage) else page
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return page


@pytest.fixture
def handout():
    return factories.DocumentFactory(title="Handout", filename="handout.pdf", content=DOCUMENT)


@pytest.fixture
def dripped(course, module, instructor, handout):
    """``course``: module 1 open at once; module 2 opens 7 days after enrolling, with a
    handout and a secret; the student enrolled at T0."""
    second = factories.ModulePageFactory(parent=course, title="Derivatives", owner=instructor)
    return publish(
        second,
        opens_after_days=7,
        body=[
            {"type": "text", "value": f"<p>{SECRET}</p>"},
            {"type": "file", "value": {"document": handout.pk, "title": "", "description": ""}},
        ],
    )


@pytest.fixture
def enrolled(student, course):
    Enrollment.objects.create(user=student, course=course, created_at=T0)
    return student


def test_a_dripped_module_is_closed_until_its_day_and_says_when(client, clock, enrolled, dripped):
    client.force_login(enrolled)
    clock.set(T0 + timedelta(days=3))
    response = client.get(dripped.url)
    assert response.status_code == 403
    page = response.content.decode()
    assert "9 March 2026" in page and SECRET not in page
    course_page = client.get(dripped.get_parent().url).content.decode()
    assert "Opens on 9 March 2026" in course_page
    clock.set(T0 + timedelta(days=7, minutes=1))
    opened = client.get(dripped.url)
    assert opened.status_code == 200 and SECRET in opened.content.decode()


def test_a_locked_module_leaks_nothing_through_contents_documents_or_search(
    client, clock, enrolled, dripped, handout, course
):
    clock.set(T0 + timedelta(days=1))
    data = client.get(f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled)).json()
    locked = next(m for m in data["modules"] if m["id"] == dripped.pk)
    assert locked["locked"] is True and locked["body"] is None
    assert locked["opens_at"].startswith("2026-03-09T09:00")
    assert SECRET not in str(data) and "handout" not in str(data).lower()
    first = next(m for m in data["modules"] if m["id"] != dripped.pk)
    assert first["locked"] is False and first["body"] is not None

    client.force_login(enrolled)
    download = client.get(handout.url)
    assert download.status_code == 403
    listed = client.get("/api/v2/documents/", **basic(enrolled)).json()
    assert handout.pk not in [item["id"] for item in listed["items"]]
    found = client.get("/catalog/", {"q": "drip-released"}).content.decode()
    assert SECRET not in found

    clock.set(T0 + timedelta(days=8))
    assert client.get(handout.url).status_code == 200
    data = client.get(f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled)).json()
    assert SECRET in str(data)


def test_a_locked_module_cannot_be_completed_nor_its_quiz_taken(client, clock, enrolled, dripped):
    publish(dripped, body=[{"type": "quiz", "id": "q", "value": quiz_value()}])
    client.force_login(enrolled)
    clock.set(T0 + timedelta(days=2))
    client.post(f"/learn/modules/{dripped.pk}/complete/")
    assert not ModuleCompletion.objects.filter(user=enrolled, module=dripped).exists()
    quiz_url = f"/learn/modules/{dripped.pk}/quiz/q/"
    assert client.get(quiz_url).status_code == 403
    assert client.post(quiz_url, RIGHT).status_code == 403
    assert not QuizAttempt.objects.filter(user=enrolled).exists()


def test_staff_read_a_module_before_it_opens(client, clock, dripped, instructor, editor):
    for person in (instructor, editor):
        client.force_login(person)
        response = client.get(dripped.url)
        assert response.status_code == 200 and SECRET in response.content.decode()


def test_an_absolute_opening_holds_for_every_student_until_it_passes(
    client, clock, enrolled, module
):
    publish(module, opens_at=T0 + timedelta(days=2))
    client.force_login(enrolled)
    assert client.get(module.url).status_code == 403
    clock.set(T0 + timedelta(days=2, seconds=1))
    assert client.get(module.url).status_code == 200


def test_a_sequential_course_opens_a_module_once_the_one_before_is_complete(
    client, clock, enrolled, course, module, instructor
):
    course.sequential = True
    course.save_revision().publish()
    second = factories.ModulePageFactory(parent=course, title="Derivatives", owner=instructor)
    client.force_login(enrolled)
    refused = client.get(second.url)
    assert refused.status_code == 403
    assert "complete" in refused.content.decode().lower() and "Limits" in refused.content.decode()
    assert "Complete “Limits” first" in client.get(course.url).content.decode()
    client.post(f"/learn/modules/{module.pk}/complete/")
    assert client.get(second.url).status_code == 200


def prerequisite_setup(subject, course, instructor):
    basics = factories.CoursePageFactory(parent=subject, title="Basics", owner=instructor)
    course.prerequisites.set([basics])
    course.save_revision().publish()
    return basics


def test_a_student_without_the_prerequisites_sees_them_and_cannot_enroll(
    client, student, subject, course, instructor
):
    basics = prerequisite_setup(subject, course, instructor)
    client.force_login(student)
    page = client.get(course.url).content.decode()
    assert "Before this course" in page and basics.url in page
    assert "Before you can enroll" in page
    response = client.post(f"/learn/courses/{course.pk}/enroll/")
    assert response.status_code == 409 and basics.url in response.content.decode()
    assert not Enrollment.objects.filter(user=student, course=course).exists()

    api = client.post(f"/api/v2/courses/{course.pk}/enroll/", **basic(student))
    assert api.status_code == 409
    assert [c["title"] for c in api.json()["missing_prerequisites"]] == ["Basics"]

    Certificate.objects.create(
        user=student, course=basics, student_name="S", course_title="Basics", completed_at=T0
    )
    assert client.post(f"/learn/courses/{course.pk}/enroll/").status_code == 302
    assert Enrollment.objects.filter(user=student, course=course).exists()


def test_prerequisites_cannot_loop(subject, course, instructor):
    basics = prerequisite_setup(subject, course, instructor)
    assert courses_leading_to(basics, [course.pk]) == [course]
    assert courses_leading_to(course, [basics.pk]) == []


def test_the_page_editor_refuses_a_loop_of_prerequisites(client, subject, course, superuser):
    basics = prerequisite_setup(subject, course, superuser)
    client.force_login(superuser)
    url = f"/admin/pages/{basics.pk}/edit/"
    data = {
        "title": basics.title,
        "slug": basics.slug,
        "overview": '{"blocks": [], "entityMap": {}}',
        "level": "beginner",
        "duration_hours": "1",
        "prerequisites": [str(course.pk)],
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "could never start" in response.content.decode()
    basics.refresh_from_db()
    assert not basics.prerequisites.exists()


def test_only_a_module_with_a_quiz_can_be_due(module):
    module = ModulePage.objects.get(pk=module.pk)
    module.due_after_days = 3
    with pytest.raises(Exception, match="quiz"):
        module.full_clean()


def test_a_pass_after_the_due_date_is_recorded_as_late(client, clock, enrolled, module, course):
    publish(module, due_after_days=5, body=[{"type": "quiz", "id": "q", "value": quiz_value()}])
    client.force_login(enrolled)
    clock.set(T0 + timedelta(days=4))
    client.post(f"/learn/modules/{module.pk}/quiz/q/", WRONG)
    clock.set(T0 + timedelta(days=6))
    client.post(f"/learn/modules/{module.pk}/quiz/q/", RIGHT)
    attempts = list(QuizAttempt.objects.filter(user=enrolled).order_by("number"))
    assert [(a.passed, a.late) for a in attempts] == [(False, False), (True, True)]
    staff = Client()
    staff.force_login(course.owner)
    data = staff.get(f"/api/v2/courses/{course.pk}/gradebook/").json()
    cell = data["students"][0]["modules"][0]
    assert cell["late"] is True and cell["due_at"].startswith("2026-03-07T09:00")


def test_my_learning_lists_what_is_due_in_the_next_seven_days(
    client, clock, enrolled, module, course, instructor
):
    publish(
        module,
        due_at=T0 + timedelta(days=3),
        body=[{"type": "quiz", "id": "q", "value": quiz_value()}],
    )
    later = factories.ModulePageFactory(parent=course, title="Far away", owner=instructor)
    publish(
        later,
        due_at=T0 + timedelta(days=30),
        body=[{"type": "quiz", "id": "q", "value": quiz_value()}],
    )
    client.force_login(enrolled)
    page = client.get("/learn/").content.decode()
    assert (
        "Due in the next 7 days" in page
        and "Limits" in page
        and "Far away" not in page.split("Due in the next")[1].split("</section>")[0]
    )
    clock.set(T0 + timedelta(days=4))  # past due: no longer "due soon"
    assert "Due in the next 7 days" not in client.get("/learn/").content.decode()


def test_the_api_gives_a_students_dates(client, clock, enrolled, dripped, module):
    publish(module, due_after_days=5, body=[{"type": "quiz", "id": "q", "value": quiz_value()}])
    data = client.get("/api/v2/me/enrollments/", **basic(enrolled)).json()
    dates = {d["module"]["title"]: d for d in data["items"][0]["dates"]}
    assert dates["Limits"]["due_at"].startswith("2026-03-07T09:00")
    assert dates["Derivatives"]["opens_at"].startswith("2026-03-09T09:00")


def test_the_calendar_feed_holds_the_students_dates_at_a_secret_url_they_can_reset(
    client, clock, enrolled, dripped, module
):
    publish(module, due_after_days=5, body=[{"type": "quiz", "id": "q", "value": quiz_value()}])
    client.force_login(enrolled)
    page = client.get("/learn/calendar/")
    token = CalendarFeed.objects.get(user=enrolled).token
    assert token in page.content.decode()
    anonymous = Client()
    feed = anonymous.get(f"/learn/calendar/{token}.ics")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    assert "no-store" in feed["Cache-Control"] and not feed.cookies
    text = feed.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20260307T090000Z" in text and "SUMMARY:Due: Limits" in text
    assert "DTSTART:20260309T090000Z" in text and "SUMMARY:Opens: Derivatives" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))

    client.post("/learn/calendar/")
    assert anonymous.get(f"/learn/calendar/{token}.ics").status_code == 404
    fresh = CalendarFeed.objects.get(user=enrolled).token
    assert fresh != token and anonymous.get(f"/learn/calendar/{fresh}.ics").status_code == 200


def test_a_calendar_feed_of_another_token_is_not_found(client):
    assert client.get("/learn/calendar/not-a-token.ics").status_code == 404
    assert client.post("/learn/calendar/").status_code == 302  # log in first


def test_the_calendar_escapes_and_folds_long_titles(client, clock, enrolled, module):
    title = "Limits, continuity; and “a very long title” " * 3
    publish(module, title=title.strip(), opens_at=T0 + timedelta(days=1))
    feed = CalendarFeed.objects.create(user=enrolled)
    text = client.get(f"/learn/calendar/{feed.token}.ics").content.decode()
    assert "Limits\\, continuity\\; and" in text.replace("\r\n ", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_two_students_each_see_their_own_locks_with_the_page_cache_on(
    page_cache_on, clock, course, dripped, student
):
    early = make_user("early")
    late = student
    Enrollment.objects.create(user=early, course=course, created_at=T0 - timedelta(days=30))
    Enrollment.objects.create(user=late, course=course, created_at=T0)
    pages = {}
    for user in (late, early, late, early):
        reader = Client()
        reader.force_login(user)
        pages.setdefault(user.username, set()).add(
            "Opens on 9 March 2026" in reader.get(course.url).content.decode()
        )
    assert pages == {late.username: {True}, early.username: {False}}
    anonymous = Client().get(course.url).content.decode()
    assert "Opens 7 days after enrolling" in anonymous and "Opens on" not in anonymous


def test_the_courses_api_gives_prerequisites_sequence_and_module_dates(
    client, subject, course, module, instructor
):
    basics = prerequisite_setup(subject, course, instructor)
    course.sequential = True
    course.save_revision().publish()
    publish(module, opens_after_days=3)
    data = client.get(f"/api/v2/courses/{course.pk}/").json()
    assert data["prerequisites"] == [{"id": basics.pk, "title": "Basics"}]
    assert data["sequential"] is True
    assert data["modules"][0]["opens_after_days"] == 3 and data["modules"][0]["due_at"] is None
    listing = client.get("/api/v2/courses/").json()
    by_id = {item["id"]: item for item in listing["items"]}
    assert by_id[course.pk]["prerequisites"] == [{"id": basics.pk, "title": "Basics"}]
    assert by_id[basics.pk]["prerequisites"] == [] and by_id[basics.pk]["sequential"] is False


def test_leaving_and_coming_back_keeps_the_due_dates_of_the_first_enrollment(
    client, clock, student, course, module
):
    publish(module, due_after_days=5, body=[{"type": "quiz", "id": "q", "value": quiz_value()}])
    client.force_login(student)
    client.post(f"/learn/courses/{course.pk}/enroll/")
    clock.set(T0 + timedelta(days=6))  # the enrollment above was made at the real now
    first = Enrollment.objects.get(user=student).created_at
    client.post(f"/learn/courses/{course.pk}/leave/")
    client.post(f"/learn/courses/{course.pk}/enroll/")
    assert Enrollment.objects.get(user=student).created_at == first
    assert client.post(f"/api/v2/courses/{course.pk}/enroll/", **basic(student)).status_code == 200


def test_enrolling_lands_on_the_first_module_that_is_open(client, clock, student, course, module):
    from django.utils import timezone

    publish(module, opens_at=timezone.now() + timedelta(days=400))
    second = factories.ModulePageFactory(parent=course, title="Open now", owner=course.owner)
    client.force_login(student)
    clock.set(timezone.now())
    response = client.post(f"/learn/courses/{course.pk}/enroll/")
    assert response["Location"] == second.url


def test_a_prerequisite_nobody_can_enroll_in_neither_bars_nor_shows(
    client, student, subject, course, instructor
):
    from wagtail.models import PageViewRestriction

    basics = prerequisite_setup(subject, course, instructor)
    basics.title = "Secret staff course"
    basics.save_revision().publish()
    PageViewRestriction.objects.create(page=basics, restriction_type="password", password="x")
    assert "Secret staff course" not in Client().get(course.url).content.decode()
    client.force_login(student)
    assert "Secret staff course" not in client.get(course.url).content.decode()
    assert client.post(f"/learn/courses/{course.pk}/enroll/").status_code == 302


def test_the_documents_listing_asks_as_many_queries_for_one_course_as_for_many(
    client, clock, student, subject, instructor, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add_course(n):
        course = factories.CoursePageFactory(parent=subject, title=f"C{n}", owner=instructor)
        course.sequential = True
        course.save_revision().publish()
        for m in range(2):
            module = factories.ModulePageFactory(parent=course, title=f"M{n}{m}", owner=instructor)
            publish(module, opens_after_days=m * 3)
        Enrollment.objects.create(user=student, course=course, created_at=T0)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v2/documents/", **basic(student)).status_code == 200
        return len(queries)

    add_course(0)
    client.get("/api/v2/documents/", **basic(student))
    few = count()
    for n in range(1, 5):
        add_course(n)
    assert count() == few


def test_the_calendar_leaves_out_control_characters_and_answers_head(
    client, clock, enrolled, module
):
    publish(module, title="Limits\x0b and\x07 more", opens_at=T0 + timedelta(days=1))
    feed = CalendarFeed.objects.create(user=enrolled)
    url = f"/learn/calendar/{feed.token}.ics"
    text = client.get(url).content.decode()
    assert "SUMMARY:Opens: Limits and more" in text
    assert client.head(url).status_code == 200


def test_a_deleted_announcement_is_withdrawn_from_those_who_have_not_read_it(
    course, enrolled_student, instructor
):
    from learning.announcements import announce
    from learning.models import Announcement
    from notifications.models import Notification
    from notifications.tests.conftest import run_worker

    announcement = Announcement.objects.create(course=course, title="Oops", body="Wrong course")
    announce(announcement)
    run_worker()
    assert Notification.objects.filter(user=enrolled_student).exists()
    announcement.delete()
    assert not Notification.objects.filter(user=enrolled_student).exists()


def test_in_a_sequential_course_a_completed_module_stays_open_when_an_earlier_one_is_undone(
    client, clock, enrolled, course, module, instructor
):
    course.sequential = True
    course.save_revision().publish()
    second = factories.ModulePageFactory(parent=course, title="Derivatives", owner=instructor)
    third = factories.ModulePageFactory(parent=course, title="Integrals", owner=instructor)
    client.force_login(enrolled)
    client.post(f"/learn/modules/{module.pk}/complete/")
    client.post(f"/learn/modules/{second.pk}/complete/")
    client.post(f"/learn/modules/{module.pk}/uncomplete/")
    assert client.get(second.url).status_code == 200
    assert client.get(third.url).status_code == 200


@pytest.mark.parametrize("cached", [False, True], ids=["page-cache-off", "page-cache-on"])
def test_next_leads_back_to_the_course_while_the_next_module_is_closed(
    client, clock, enrolled, dripped, module, course, settings, cached
):
    settings.PAGE_CACHE_SECONDS = 60 if cached else 0
    client.force_login(enrolled)
    clock.set(T0 + timedelta(days=1))
    for _ in range(2):  # the second from the kept shell
        page = client.get(module.url).content.decode()
        assert f'href="{dripped.url}" rel="next"' not in page and "Back to the course" in page
    response = client.post(f"/learn/modules/{module.pk}/complete/")
    assert response["Location"] == course.url
    clock.set(T0 + timedelta(days=8))
    page = client.get(module.url).content.decode()
    assert f'href="{dripped.url}" rel="next"' in page


def test_the_gradebook_heads_each_module_with_its_release_and_due_settings(
    client, clock, enrolled, dripped, course, instructor
):
    client.force_login(instructor)
    page = client.get(f"/admin/learning/gradebook/{course.pk}/").content.decode()
    assert "2. Derivatives (opens day 7)" in page


def test_an_unpublished_module_of_a_sequential_course_hides_no_later_handout(
    client, clock, enrolled, course, module, instructor, handout
):
    course.sequential = True
    course.save_revision().publish()
    draft = factories.ModulePageFactory(parent=course, title="Draft", owner=instructor)
    draft.unpublish()
    third = factories.ModulePageFactory(parent=course, title="Integrals", owner=instructor)
    block = {"type": "file", "value": {"document": handout.pk, "title": "", "description": ""}}
    publish(third, body=[block])
    client.force_login(enrolled)
    client.post(f"/learn/modules/{module.pk}/complete/")
    assert client.get(third.url).status_code == 200
    assert client.get(handout.url).status_code == 200
    listed = client.get("/api/v2/documents/", **basic(enrolled)).json()
    assert handout.pk in [item["id"] for item in listed["items"]]
