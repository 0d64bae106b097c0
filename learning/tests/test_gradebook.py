"""The gradebook in the Wagtail admin: a course's students × modules, sorted, filtered and
exported; a page per student with their attempts. Only the course's staff see it."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.users.models import UserProfile

from conftest import make_user
from learning import progress
from learning.models import Enrollment, ModulePage
from learning.tests.quiz_data import QUIZ_ID, RIGHT, WRONG, add_quiz
from learning.tests.test_api import basic

pytestmark = pytest.mark.django_db


def gradebook_url(course, **query):
    url = reverse("learning_gradebook", args=(course.pk,))
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def student_url(course, user):
    return reverse("learning_gradebook_student", args=(course.pk, user.pk))


@pytest.fixture
def second_module(course, instructor):
    module = ModulePage(title="Derivatives", slug="derivatives", owner=instructor)
    course.add_child(instance=module)
    module.save_revision().publish()
    return module


@pytest.fixture
def people(client, course, module, second_module):
    """Three students: Ada finished both modules, Ben failed the quiz twice, Cy did nothing."""
    add_quiz(module)
    students = {}
    for username, first, last in (("ada", "Ada", "Lovelace"), ("ben", "Ben", "Bloggs"),
                                  ("cy", "Cy", "Young")):  # fmt: skip
        user = make_user(username, first_name=first, last_name=last)
        Enrollment.objects.create(user=user, course=course)
        students[username] = user
    quiz = reverse("learning:quiz", args=(module.pk, QUIZ_ID))
    for username, answers in (("ada", [RIGHT]), ("ben", [WRONG, WRONG])):
        client.force_login(students[username])
        for given in answers:
            client.post(quiz, given)
    progress.complete_module(students["ada"], second_module)
    client.logout()
    return students


def cells(html, *texts):
    return all(text in html for text in texts)


def test_the_instructor_sees_each_student_and_module(client, instructor, course, people):
    client.force_login(instructor)
    response = client.get(gradebook_url(course))
    assert response.status_code == 200
    html = response.content.decode()
    assert cells(html, "Ada Lovelace", "Ben Bloggs", "Cy Young", "1. Limits", "2. Derivatives")
    assert "✓ 100% (1)" in html and "0% (2)" in html
    assert "2 of 2 (100%)" in html and "0 of 2 (0%)" in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        # Full names: a random token in the page (CSRF) may hold "Cy" or "Ben".
        ({"completion": "completed"}, ["Ada"], ["Ben Bloggs", "Cy Young"]),
        ({"completion": "not_started"}, ["Ben", "Cy"], ["Ada Lovelace"]),
        ({"q": "bloggs"}, ["Ben"], ["Ada Lovelace", "Cy Young"]),
        ({"inactive_days": "7"}, ["Cy"], ["Ada Lovelace", "Ben Bloggs"]),
    ],
)
def test_filters_and_search(client, instructor, course, people, query, shown, hidden):
    Enrollment.objects.filter(user=people["cy"]).update(
        created_at=timezone.now() - timedelta(days=30), last_visited_at=None
    )
    client.force_login(instructor)
    html = client.get(gradebook_url(course, **query)).content.decode()
    assert all(name in html for name in shown), shown
    assert not any(name in html for name in hidden), hidden


def test_a_bad_filter_value_is_not_an_error(client, instructor, course, people):
    client.force_login(instructor)
    for query in ({"inactive_days": "x"}, {"inactive_days": "-5"}, {"completion": "nope"},
                  {"ordering": "user__password"}, {"p": "999"}):  # fmt: skip
        assert client.get(gradebook_url(course, **query)).status_code == 200, query
    assert client.get(gradebook_url(course, completion="%00")).status_code == 400


def test_sorted_by_progress(client, instructor, course, people):
    client.force_login(instructor)
    html = client.get(gradebook_url(course, ordering="-done")).content.decode()
    assert html.index("Ada Lovelace") < html.index("Ben Bloggs")
    html = client.get(gradebook_url(course, ordering="done")).content.decode()
    assert html.index("Ada Lovelace") > html.index("Cy Young")


def test_the_csv_export_has_a_row_per_student_and_a_column_per_module(
    client, instructor, course, people
):
    people["cy"].first_name = "=HYPERLINK(1)"
    people["cy"].save()
    client.force_login(instructor)
    response = client.get(gradebook_url(course, export="csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_user = {row["Username"]: row for row in rows}
    assert set(by_user) == {"ada", "ben", "cy"}
    assert by_user["ada"]["1. Limits"] == "✓ 100% (1)"
    assert by_user["ben"]["1. Limits"] == "0% (2)" and by_user["ben"]["Progress %"] == "0"
    assert by_user["cy"]["Student"].startswith("'=")  # never a formula


def test_the_xlsx_export_and_dates_in_the_viewers_time_zone(client, instructor, course, people):
    enrolled = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    Enrollment.objects.filter(user=people["ada"]).update(created_at=enrolled)
    profile = UserProfile.get_for_user(instructor)
    profile.current_time_zone = "Asia/Tokyo"
    profile.save()
    client.force_login(instructor)
    response = client.get(gradebook_url(course, export="xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], {row[1]: row for row in rows[1:]}
    assert data["ada"][header.index("Enrolled")] == datetime(2026, 3, 2, 8, 30)  # UTC+9
    assert data["ada"][header.index("1. Limits")] == "✓ 100% (1)"


def test_the_student_page_lists_the_attempts_with_the_answers_given(
    client, instructor, course, people
):
    client.force_login(instructor)
    html = client.get(student_url(course, people["ben"])).content.decode()
    assert "Ben Bloggs" in html and "0 of 2 modules" in html
    assert "Limits quiz, attempt 1: 0%" in html and "Limits quiz, attempt 2: 0%" in html
    assert "Infinity-ish answer" in html  # the answer given
    assert "Zero-ish answer" in html  # the right one
    assert "Not completed." in html


def test_other_instructors_and_students_are_refused(
    client, other_instructor, student, course, people
):
    for user, status in ((other_instructor, 404), (people["ada"], 302)):
        client.force_login(user)
        for url in (gradebook_url(course), gradebook_url(course, export="csv"),
                    student_url(course, people["ben"])):  # fmt: skip
            response = client.get(url)
            assert response.status_code in (status, 403), (user, url)
            body = b"" if response.streaming else response.content
            assert b"Ben Bloggs" not in body


def test_a_student_of_another_course_has_no_page_here(client, instructor, course, student, people):
    client.force_login(instructor)
    assert client.get(student_url(course, student)).status_code == 404


def test_editors_see_every_courses_gradebook(client, editor, course, people):
    client.force_login(editor)
    assert "Ada Lovelace" in client.get(gradebook_url(course)).content.decode()


def test_the_gradebook_is_linked_from_the_course_reports(client, instructor, course, people):
    client.force_login(instructor)
    html = client.get(reverse("learning_reports")).content.decode()
    assert gradebook_url(course) in html


def test_queries_do_not_grow_with_the_number_of_students(client, instructor, course, people):
    client.force_login(instructor)
    client.get(gradebook_url(course))  # warm the admin's own lookups
    with CaptureQueriesContext(connection) as few:
        client.get(gradebook_url(course))
    for n in range(8):
        Enrollment.objects.create(user=make_user(f"more{n}"), course=course)
    with CaptureQueriesContext(connection) as many:
        client.get(gradebook_url(course))
    assert len(many) == len(few)


# --- the API -------------------------------------------------------------------------------------
def api_url(course, **query):
    url = f"/api/v2/courses/{course.pk}/gradebook/"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_api_gradebook_for_the_courses_instructor(client, instructor, course, people):
    data = client.get(api_url(course), **basic(instructor)).json()
    assert data["meta"]["total_count"] == 3
    assert [module["title"] for module in data["modules"]] == ["Limits", "Derivatives"]
    by_user = {row["student"]["username"]: row for row in data["students"]}
    assert list(by_user) == ["ben", "ada", "cy"]  # by last name
    ada, ben = by_user["ada"], by_user["ben"]
    assert (ada["modules_done"], ada["percent"], ada["completed_at"] is not None) == (2, 100, True)
    assert ada["modules"][0] | {"completed_at": None, "last_attempt_at": None} == {
        "id": data["modules"][0]["id"], "done": True, "completed_at": None, "best_score": 100,
        "attempts": 1, "last_attempt_at": None, "late": False, "due_at": None, "opens_at": None,
    }  # fmt: skip
    assert (ben["modules"][0]["best_score"], ben["modules"][0]["attempts"]) == (0, 2)
    assert "password" not in str(data) and "email" not in str(data)


def test_the_api_gradebook_pages_and_filters(client, instructor, course, people):
    auth = basic(instructor)
    page = client.get(api_url(course, limit=1, offset=1), **auth).json()
    assert [row["student"]["username"] for row in page["students"]] == ["ada"]
    done = client.get(api_url(course, completion="completed"), **auth).json()
    assert [row["student"]["username"] for row in done["students"]] == ["ada"]
    for query in ({"limit": "0"}, {"limit": "501"}, {"offset": "-1"}, {"offset": "9" * 30},
                  {"completion": "soon"}, {"inactive_days": "x"}, {"order": "name"}):  # fmt: skip
        response = client.get(api_url(course, **query), **auth)
        assert response.status_code == 400, query
        assert "message" in response.json()


def test_the_api_gradebook_is_refused_to_everyone_else(
    client, other_instructor, student, course, people
):
    assert client.get(api_url(course)).status_code == 401
    for user in (other_instructor, people["ada"], student):
        response = client.get(api_url(course), **basic(user))
        assert response.status_code == 403, user
        assert "Bloggs" not in response.content.decode()


def test_editors_read_any_courses_gradebook_through_the_api(client, editor, course, people):
    assert client.get(api_url(course), **basic(editor)).json()["meta"]["total_count"] == 3


def test_the_api_and_the_admin_agree_on_who_sees_a_gradebook(client, instructor, course, people):
    instructor.groups.clear()  # still the course's owner, no longer an instructor
    client.force_login(instructor)
    assert client.get(gradebook_url(course)).status_code in (302, 403)
    client.logout()
    assert client.get(api_url(course), **basic(instructor)).status_code == 403


def test_a_draft_courses_gradebook_is_open_to_its_instructor(client, instructor, course, people):
    course.unpublish()
    client.force_login(instructor)
    assert client.get(gradebook_url(course)).status_code == 200
    client.logout()
    assert client.get(api_url(course), **basic(instructor)).json()["meta"]["total_count"] == 3
