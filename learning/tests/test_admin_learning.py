"""The admin's Learning menu: enrollments, quiz attempts and course reports.

An instructor sees only the students of the courses they own, whichever way they ask (the
listing, the course filter's choices, search, a filter in the query string, the CSV and XLSX
exports, the reports); editors and superusers see everyone; nobody edits learner records here.
Each refusal checks the response and, where something could be written, that nothing was.
"""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from conftest import make_user
from learning.models import Enrollment, ModuleCompletion, QuizAttempt
from learning.tests import factories
from learning.tests.quiz_data import QUIZ_ID, add_quiz, quiz_value
from learning.wagtail_hooks import CourseFilter

pytestmark = pytest.mark.django_db

LISTINGS = ["enrollment", "quizattempt"]


# --- helpers -------------------------------------------------------------------------------------


def listing_url(model_name, action="index", *args):
    return reverse(f"learning_{model_name}_modeladmin_{action}", args=args)


def report_url(course):
    return reverse("learning_course_report", args=(course.pk,))


def attempt(user, module, score, block_id=QUIZ_ID, pass_mark=80):
    done = QuizAttempt.objects.filter(user=user, module=module, block_id=block_id).count()
    return QuizAttempt.objects.create(
        user=user,
        module=module,
        block_id=block_id,
        number=done + 1,
        quiz_title="Limits quiz",
        answers={},
        results=[],
        score=score,
        pass_mark=pass_mark,
        passed=score >= pass_mark,
    )


def add_quiz_block(module, block_id, title):
    module.body = [{"type": "quiz", "id": block_id, "value": {**quiz_value(), "title": title}}]
    module.save_revision().publish()
    module.refresh_from_db()
    return module


def listed_usernames(response):
    assert response.status_code == 200, response.status_code
    return {row.user.username for row in response.context["object_list"]}


def course_filter_choices(response):
    """The course filter's choices; Django leaves a filter without choices out altogether."""
    specs = [
        spec for spec in response.context["view"].filter_specs if isinstance(spec, CourseFilter)
    ]
    return [title for spec in specs for _, title in spec.lookup_choices]


def csv_rows(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    content = (
        response.getvalue() if not response.streaming else b"".join(response.streaming_content)
    )
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def exported_students(response):
    """The "student" column of a listing's CSV export, without its heading."""
    header, *rows = csv_rows(response)
    assert header[0] == "Student"
    return {row[0] for row in rows}


def assert_refused(response):
    """Wagtail's refusal for a user of the admin: the dashboard with a message, or 403/404."""
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home"), response["Location"]
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert any("permission" in m for m in messages), messages
    else:
        assert response.status_code in (403, 404), response.status_code


def assert_sent_to_login(response):
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(reverse("wagtailadmin_login")), response["Location"]


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def learners(course, module, other_course, other_module):
    """Alice studies the instructor's Calculus, Bruno the other instructor's Algebra."""
    add_quiz(module)
    add_quiz(other_module)
    alice = make_user("alice", first_name="Alice", last_name="Arnold")
    bruno = make_user("bruno", first_name="Bruno", last_name="Brandt")
    Enrollment.objects.create(user=alice, course=course)
    Enrollment.objects.create(user=bruno, course=other_course)
    attempt(alice, module, score=50)
    attempt(bruno, other_module, score=100)
    return alice, bruno


@pytest.fixture
def admin_user_without_role(db):
    """May log in to the admin (to manage images, say) but is neither instructor nor editor."""
    user = make_user("moderator")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    return user


# --- an instructor sees only their own courses' students -----------------------------------------


@pytest.mark.parametrize("listing", LISTINGS)
def test_instructor_lists_only_their_own_courses_students(client, instructor, learners, listing):
    client.force_login(instructor)
    response = client.get(listing_url(listing))
    assert listed_usernames(response) == {"alice"}
    assert "Bruno" not in response.content.decode()


@pytest.mark.parametrize("listing", LISTINGS)
def test_instructor_course_filter_offers_only_their_own_courses(
    client, instructor, learners, listing
):
    client.force_login(instructor)
    response = client.get(listing_url(listing))
    assert course_filter_choices(response) == ["Calculus"]
    assert "Algebra" not in response.content.decode()


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize("query", ["bruno", "Brandt", "bruno@example.com", "example.com", "b"])
def test_instructor_search_finds_only_their_own_courses_students(
    client, instructor, learners, listing, query
):
    client.force_login(instructor)
    response = client.get(listing_url(listing), {"q": query})
    assert listed_usernames(response) <= {"alice"}
    assert "(bruno)" not in response.content.decode()


@pytest.mark.parametrize("listing", LISTINGS)
def test_instructor_search_finds_their_own_student(client, instructor, learners, listing):
    client.force_login(instructor)
    for query in ("alice", "Arnold", "alice@example.com"):
        assert listed_usernames(client.get(listing_url(listing), {"q": query})) == {"alice"}


@pytest.mark.parametrize("listing", LISTINGS)
def test_instructor_filtering_on_another_instructors_course_lists_nothing(
    client, instructor, other_course, learners, listing
):
    client.force_login(instructor)
    params = {"course": other_course.pk}
    assert listed_usernames(client.get(listing_url(listing), params)) == set()
    assert exported_students(client.get(listing_url(listing), {**params, "export": "csv"})) == set()


@pytest.mark.parametrize("listing", LISTINGS)
def test_instructor_csv_export_holds_only_their_own_courses_students(
    client, instructor, learners, listing
):
    client.force_login(instructor)
    response = client.get(listing_url(listing), {"export": "csv"})
    assert exported_students(response) == {"Alice Arnold (alice)"}
    searched = client.get(listing_url(listing), {"export": "csv", "q": "bruno"})
    assert exported_students(searched) == set()


def test_enrollment_csv_export_leaves_empty_dates_as_a_dash(client, instructor, learners):
    client.force_login(instructor)
    header, row = csv_rows(client.get(listing_url("enrollment"), {"export": "csv"}))
    assert header == ["Student", "Course", "Enrolled", "Last Visited At", "Completed At"]
    assert row[:2] == ["Alice Arnold (alice)", "Calculus"]
    assert row[3:] == ["-", "-"]


@pytest.mark.parametrize("listing", LISTINGS)
def test_instructor_xlsx_export_holds_only_their_own_courses_students(
    client, instructor, learners, listing
):
    client.force_login(instructor)
    response = client.get(listing_url(listing), {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, *rows = list(sheet.values)
    assert header[0] == "Student"
    assert [row[0] for row in rows] == ["Alice Arnold (alice)"]


@pytest.mark.parametrize("listing", LISTINGS)
def test_instructor_without_courses_lists_no_students(client, learners, listing):
    newcomer = make_user("newcomer", "Instructors")
    client.force_login(newcomer)
    response = client.get(listing_url(listing))
    assert listed_usernames(response) == set()
    assert course_filter_choices(response) == []
    assert exported_students(client.get(listing_url(listing), {"export": "csv"})) == set()


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize(
    "lookup",
    [
        "user__password__startswith=md5",
        "user__enrollments__course__title__startswith=Alg",
        "user__quiz_attempts__score__gte=0",
        "course__owner__username=instructor2",
        "module__owner__username=instructor2",
    ],
)
def test_listing_accepts_no_lookup_but_its_own_filters(
    client, instructor, other_course, learners, listing, lookup
):
    """Any other query parameter would be an ORM lookup: a password-hash oracle, or a way to
    learn which of one's students study another instructor's course."""
    alice, _ = learners
    Enrollment.objects.create(user=alice, course=other_course)
    client.force_login(instructor)
    response = client.get(f"{listing_url(listing)}?{lookup}")
    assert response.status_code == 302
    assert response["Location"] == listing_url(listing)
    export = client.get(f"{listing_url(listing)}?{lookup}&export=csv")
    assert export.status_code == 302


# --- editors and superusers see everyone ---------------------------------------------------------


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize("role", ["editor", "superuser"])
def test_editors_and_superusers_see_every_courses_students(
    request, client, learners, listing, role
):
    client.force_login(request.getfixturevalue(role))
    response = client.get(listing_url(listing))
    assert listed_usernames(response) == {"alice", "bruno"}
    assert course_filter_choices(response) == ["Algebra", "Calculus"]
    assert exported_students(client.get(listing_url(listing), {"export": "csv"})) == {
        "Alice Arnold (alice)",
        "Bruno Brandt (bruno)",
    }
    assert listed_usernames(client.get(listing_url(listing), {"q": "brandt"})) == {"bruno"}


@pytest.mark.parametrize("listing", LISTINGS)
def test_course_filter_keeps_one_courses_students(
    client, editor, course, other_course, learners, listing
):
    client.force_login(editor)
    assert listed_usernames(client.get(listing_url(listing), {"course": course.pk})) == {"alice"}
    assert listed_usernames(client.get(listing_url(listing), {"course": other_course.pk})) == {
        "bruno"
    }


# --- a bad course filter value is never a server error -------------------------------------------


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize(
    "value", ["abc", "999999", "-1", "1.5", " 1", "²", "٣", "99999999999999999999999", ""]
)
def test_bad_course_filter_value_lists_nothing_or_everything(
    client, instructor, learners, listing, value
):
    client.force_login(instructor)
    response = client.get(listing_url(listing), {"course": value})
    assert listed_usernames(response) in (set(), {"alice"})
    assert exported_students(
        client.get(listing_url(listing), {"course": value, "export": "csv"})
    ) in (
        set(),
        {"Alice Arnold (alice)"},
    )


def test_passed_filter_keeps_passing_attempts(client, editor, learners):
    client.force_login(editor)
    response = client.get(listing_url("quizattempt"), {"passed__exact": "1"})
    assert listed_usernames(response) == {"bruno"}


@pytest.mark.parametrize("listing", LISTINGS)
def test_listing_keeps_its_search_ordering_and_paging_parameters(
    client, instructor, course, learners, listing
):
    client.force_login(instructor)
    params = {"q": "alice", "course": course.pk, "o": "-2.0", "p": "1"}
    assert listed_usernames(client.get(listing_url(listing), params)) == {"alice"}


def test_bad_passed_filter_value_is_not_a_server_error(client, instructor, learners):
    client.force_login(instructor)
    response = client.get(listing_url("quizattempt"), {"passed__exact": "maybe"})
    assert response.status_code == 302
    assert listed_usernames(client.get(response["Location"])) == {"alice"}


# --- nobody else gets in; nobody edits -----------------------------------------------------------


def learning_urls(course):
    return [
        listing_url("enrollment"),
        listing_url("enrollment") + "?export=csv",
        listing_url("quizattempt"),
        listing_url("quizattempt") + "?export=csv",
        reverse("learning_reports"),
        report_url(course),
        report_url(course) + "?format=csv",
    ]


def test_student_is_sent_to_the_admin_login(client, student, learners, course):
    client.force_login(student)
    for url in learning_urls(course):
        assert_sent_to_login(client.get(url))


def test_anonymous_visitor_is_sent_to_the_admin_login(client, learners, course):
    for url in learning_urls(course):
        assert_sent_to_login(client.get(url))


def test_admin_user_without_a_learning_role_is_refused(
    client, admin_user_without_role, learners, course
):
    client.force_login(admin_user_without_role)
    for url in learning_urls(course):
        assert_refused(client.get(url))


@pytest.mark.parametrize("csv_format", [False, True])
def test_instructor_gets_404_for_another_instructors_course_report(
    client, instructor, other_course, csv_format
):
    client.force_login(instructor)
    url = report_url(other_course) + ("?format=csv" if csv_format else "")
    assert client.get(url).status_code == 404
    missing = reverse("learning_course_report", args=(999999,))
    assert client.get(missing).status_code == 404


@pytest.mark.parametrize("role", ["instructor", "other_instructor", "editor", "superuser"])
def test_nobody_edits_deletes_or_creates_learner_records(request, client, learners, course, role):
    alice, _ = learners
    client.force_login(request.getfixturevalue(role))
    enrollment = Enrollment.objects.get(user=alice)
    quiz_attempt = QuizAttempt.objects.get(user=alice)
    before = (
        list(Enrollment.objects.order_by("pk").values()),
        list(QuizAttempt.objects.order_by("pk").values()),
    )
    for listing, obj in (("enrollment", enrollment), ("quizattempt", quiz_attempt)):
        for url in (
            listing_url(listing, "edit", obj.pk),
            listing_url(listing, "delete", obj.pk),
            listing_url(listing, "create"),
        ):
            assert_refused(client.get(url))
            assert_refused(
                client.post(
                    url,
                    {
                        "user": alice.pk,
                        "course": course.pk,
                        "completed_at": "2020-01-01 10:00",
                        "score": "100",
                        "passed": "on",
                    },
                )
            )
    after = (
        list(Enrollment.objects.order_by("pk").values()),
        list(QuizAttempt.objects.order_by("pk").values()),
    )
    assert after == before


# --- course reports ------------------------------------------------------------------------------


def test_report_index_lists_only_courses_in_scope(client, instructor, editor, course, other_course):
    client.force_login(instructor)
    response = client.get(reverse("learning_reports"))
    assert [c.title for c in response.context["courses"]] == ["Calculus"]
    assert "Algebra" not in response.content.decode()
    client.force_login(editor)
    response = client.get(reverse("learning_reports"))
    assert [c.title for c in response.context["courses"]] == ["Algebra", "Calculus"]


@pytest.fixture
def report_data(instructor, course, module, other_course, other_module):
    """Three students in Calculus (one finished it), and a former student now only in Algebra
    whose old completion and quiz attempt must not count."""
    add_quiz(module)  # Limits, quiz "Limits quiz"
    derivatives = add_quiz_block(
        factories.ModulePageFactory(
            parent=course, title="Derivatives", slug="derivatives", owner=instructor
        ),
        "quiz-2",
        "Derivatives quiz",
    )
    draft = factories.ModulePageFactory(
        parent=course, title="Integrals", slug="integrals", owner=instructor, live=False
    )
    ann, ben, cat, out = (make_user(name) for name in ("ann", "ben", "cat", "out"))
    Enrollment.objects.create(user=ann, course=course, completed_at=timezone.now())
    Enrollment.objects.create(user=ben, course=course)
    Enrollment.objects.create(user=cat, course=course)
    Enrollment.objects.create(user=out, course=other_course)
    for user, completed in ((ann, module), (ben, module), (out, module), (ann, derivatives)):
        ModuleCompletion.objects.create(user=user, module=completed)
    ModuleCompletion.objects.create(user=ann, module=draft)
    # Limits quiz: 2 students, 3 attempts, 1 passed; average (40 + 100 + 40) / 3 = 60.
    attempt(ann, module, 40)
    attempt(ann, module, 100)
    attempt(ben, module, 40)
    attempt(out, module, 100)
    # Derivatives quiz: 3 students, 4 attempts, 2 passed; average (100 + 30 + 20 + 70) / 4 = 55.
    attempt(ann, derivatives, 100, block_id="quiz-2", pass_mark=60)
    attempt(ben, derivatives, 30, block_id="quiz-2", pass_mark=60)
    attempt(cat, derivatives, 20, block_id="quiz-2", pass_mark=60)
    attempt(cat, derivatives, 70, block_id="quiz-2", pass_mark=60)
    # Algebra has its own student and attempt, none of Calculus's business.
    add_quiz(other_module)
    attempt(make_user("algebraist"), other_module, 100)
    return course


def test_report_figures_are_right(client, instructor, report_data):
    client.force_login(instructor)
    response = client.get(report_url(report_data))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.enrolled, report.completed, report.completion_rate) == (3, 1, 33)
    assert [(row["module"].title, row["completed"]) for row in report.modules] == [
        ("Limits", 2),
        ("Derivatives", 1),
    ]
    assert [
        (q["module"].title, q["title"], q["students"], q["attempts"], q["average"], q["pass_rate"])
        for q in report.quizzes
    ] == [
        ("Limits", "Limits quiz", 2, 3, 60, 50),
        ("Derivatives", "Derivatives quiz", 3, 4, 55, 67),
    ]
    html = response.content.decode()
    assert '<dd data-figure="enrolled">3</dd>' in html
    assert '<dd data-figure="completed">1</dd>' in html
    assert '<dd data-figure="completion-rate">33%</dd>' in html
    assert "Integrals" not in html


def test_report_csv_has_the_same_figures(client, instructor, report_data):
    client.force_login(instructor)
    response = client.get(report_url(report_data), {"format": "csv"})
    assert 'filename="course-report-calculus.csv"' in response["Content-Disposition"]
    assert csv_rows(response) == [
        ["section", "item", "figure", "value"],
        ["course", "Calculus", "enrolled", "3"],
        ["course", "Calculus", "completed", "1"],
        ["course", "Calculus", "completion rate %", "33"],
        ["module", "Limits", "completed by", "2"],
        ["module", "Derivatives", "completed by", "1"],
        ["quiz", "Limits: Limits quiz", "students", "2"],
        ["quiz", "Limits: Limits quiz", "average score %", "60"],
        ["quiz", "Limits: Limits quiz", "pass rate %", "50"],
        ["quiz", "Derivatives: Derivatives quiz", "students", "3"],
        ["quiz", "Derivatives: Derivatives quiz", "average score %", "55"],
        ["quiz", "Derivatives: Derivatives quiz", "pass rate %", "67"],
    ]


def test_report_of_a_course_without_students_is_all_zero(client, editor, course, module):
    add_quiz(module)
    client.force_login(editor)
    report = client.get(report_url(course)).context["report"]
    assert (report.enrolled, report.completed, report.completion_rate) == (0, 0, 0)
    assert report.quizzes[0]["average"] is None
    rows = csv_rows(client.get(report_url(course), {"format": "csv"}))
    assert ["quiz", "Limits: Limits quiz", "average score %", ""] in rows


def test_report_shows_an_average_of_zero_as_zero_not_as_blank(
    client, instructor, enrolled_student, course, module
):
    add_quiz(module)
    attempt(enrolled_student, module, 0)
    client.force_login(instructor)
    assert "<td>0%</td>" in client.get(report_url(course)).content.decode()
    rows = csv_rows(client.get(report_url(course), {"format": "csv"}))
    assert ["quiz", "Limits: Limits quiz", "average score %", "0"] in rows


def test_report_csv_neutralises_formulas_in_titles(client, instructor, course, module):
    course.title = '=HYPERLINK("http://evil.example","Calculus")'
    course.save()
    module.title = "+Limits"
    module.save()
    add_quiz(module)
    factories.ModulePageFactory(parent=course, title="@SUM(A1)", slug="sum", owner=instructor)
    factories.ModulePageFactory(parent=course, title="-2+3", slug="minus", owner=instructor)
    client.force_login(instructor)
    rows = csv_rows(client.get(report_url(course), {"format": "csv"}))
    items = [row[1] for row in rows[1:]]
    assert items[:3] == ["'" + course.title] * 3
    assert items[3:6] == ["'+Limits", "'@SUM(A1)", "'-2+3"]
    assert set(items[6:]) == {"'+Limits: Limits quiz"}
    assert not any(row[1][:1] in "=+-@" for row in rows)


@pytest.mark.parametrize("listing", LISTINGS)
def test_listing_csv_export_neutralises_formulas_in_student_names(
    client, instructor, course, module, listing
):
    add_quiz(module)
    mallory = make_user("mallory", first_name='=HYPERLINK("http://evil.example")')
    Enrollment.objects.create(user=mallory, course=course)
    attempt(mallory, module, 100)
    client.force_login(instructor)
    (student,) = exported_students(client.get(listing_url(listing), {"export": "csv"}))
    assert student == "'" + '=HYPERLINK("http://evil.example") (mallory)'


def add_students(course, module, first, count):
    for n in range(first, first + count):
        user = make_user(f"learner{n}")
        Enrollment.objects.create(
            user=user, course=course, completed_at=timezone.now() if n % 2 else None
        )
        ModuleCompletion.objects.create(user=user, module=module)
        attempt(user, module, 40 + n)
        attempt(user, module, 90)


@pytest.mark.parametrize("params", [{}, {"format": "csv"}])
def test_report_queries_do_not_grow_with_the_number_of_students(
    client, instructor, course, module, params, settings
):
    settings.PAGE_CACHE_SECONDS = 0  # nothing kept between the two counts: only the students vary
    add_quiz(module)
    factories.ModulePageFactory(parent=course, title="Derivatives", owner=instructor)
    add_students(course, module, 0, 3)
    client.force_login(instructor)
    client.get(report_url(course), params)  # warm the caches of the first request

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(report_url(course), params)
        assert response.status_code == 200
        return len(queries)

    with_three = count_queries()
    add_students(course, module, 3, 12)
    assert client.get(report_url(course)).context["report"].enrolled == 15
    assert count_queries() == with_three
