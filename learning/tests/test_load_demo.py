"""The demo data command: what it creates, and that running it again changes nothing."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

from conftest import shared_rows
from learning.models import CoursePage, ModulePage, SubjectPage

pytestmark = pytest.mark.django_db(transaction=False)


def counts():
    return {
        "users": get_user_model().objects.count(),
        "pages": Page.objects.count(),
        "subjects": SubjectPage.objects.count(),
        "courses": CoursePage.objects.count(),
        "modules": ModulePage.objects.count(),
        "images": get_image_model().objects.count(),
        "documents": get_document_model().objects.count(),
    }


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    """The demo site, loaded once for the module's tests (each test's changes are undone)."""
    with shared_rows(django_db_blocker), override_settings(DEMO_PASSWORD="demo-pass-for-tests"):
        call_command("load_demo", stdout=io.StringIO())
        yield


@pytest.fixture
def demo(demo_site, db, settings):
    settings.DEMO_PASSWORD = "demo-pass-for-tests"


def test_load_demo_run_twice_leaves_the_same_counts(demo):
    first = counts()
    call_command("load_demo", stdout=io.StringIO())
    assert counts() == first


def test_load_demo_creates_subjects_courses_from_two_instructors_and_users(demo):
    assert SubjectPage.objects.live().count() == 3
    courses = CoursePage.objects.live()
    assert courses.count() >= 6
    owners = set(courses.values_list("owner__username", flat=True))
    assert owners == {"instructor", "instructor2"}
    users = get_user_model().objects.in_bulk(
        ["admin", "editor", "instructor", "instructor2", "student", "classmate"],
        field_name="username",
    )
    assert len(users) == 6
    assert users["admin"].is_superuser
    assert users["editor"].groups.filter(name="Editors").exists()
    assert users["instructor2"].groups.filter(name="Instructors").exists()
    assert all(user.check_password("demo-pass-for-tests") for user in users.values())


def test_load_demo_modules_use_every_block_type(demo):
    used = {block.block_type for module in ModulePage.objects.all() for block in module.body}
    assert used == {"text", "file", "image", "video", "quiz"}
    videos = [
        block.value
        for module in ModulePage.objects.all()
        for block in module.body
        if block.block_type == "video"
    ]
    assert any(video["url"] for video in videos)
    assert any(video["file"] and video["file"].file_extension == "webm" for video in videos)
    extensions = {d.file_extension for d in get_document_model().objects.all()}
    assert {"pdf", "txt", "webm"} <= extensions


def test_load_demo_handout_is_a_real_pdf(demo):
    handout = get_document_model().objects.get(file__endswith=".pdf")
    with handout.open_file() as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    assert b"/Type /Page" in data


def test_load_demo_if_empty_does_nothing_on_a_site_with_content(demo):
    SubjectPage.objects.get(slug="physics").delete()
    before = counts()
    call_command("load_demo", "--if-empty", stdout=io.StringIO())
    assert counts() == before


def test_demo_module_with_every_block_renders_for_an_enrolled_student(demo, client):
    from learning.models import Enrollment

    module = ModulePage.objects.get(slug="01-limits-and-continuity")
    student = get_user_model().objects.get(username="student")
    Enrollment.objects.get_or_create(user=student, course=module.get_parent().specific)
    client.force_login(student)
    response = client.get(module.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "youtube-nocookie.com/embed/" in html
    assert "<video" in html and "<iframe" in html and "srcset=" in html
    assert "Course handout" in html


def test_calculus_shows_every_kind_of_question_and_a_graded_quiz(demo, client):
    from learning.models import Enrollment
    from learning.progress import quizzes_of

    course = CoursePage.objects.get(slug="calculus-from-scratch")
    quizzes = [
        quiz for module in ModulePage.objects.child_of(course) for _, quiz in quizzes_of(module)
    ]
    kinds = {child.block_type for quiz in quizzes for child in quiz["questions"]}
    assert kinds == {"choice", "true_false", "text", "number", "matching"}
    [graded] = [quiz for quiz in quizzes if quiz["attempts_allowed"]]
    assert (graded["attempts_allowed"], graded["show_answers"], graded["shuffle"]) == (
        3,
        "passed",
        True,
    )

    student = get_user_model().objects.get(username="student")
    Enrollment.objects.get_or_create(user=student, course=course)
    client.force_login(student)
    for module in ModulePage.objects.child_of(course):
        for block_id, _ in quizzes_of(module):
            response = client.get(f"/learn/modules/{module.pk}/quiz/{block_id}/")
            # The last module is dripped: it opens 35 days after enrolling.
            assert response.status_code == (403 if module.opens_after_days else 200)


def test_the_demo_shows_the_course_structure_at_once(demo, client):
    """A prerequisite, a sequential course, a dripped module, a due date, an announcement."""
    from learning.models import Announcement

    student = get_user_model().objects.get(username="student")
    client.force_login(student)
    algebra = CoursePage.objects.get(slug="linear-algebra-essentials")
    page = client.get(algebra.url).content.decode()
    assert "Before you can enroll" in page and "Calculus from scratch" in page
    assert CoursePage.objects.get(slug="probability-for-everyone").sequential
    calculus = CoursePage.objects.get(slug="calculus-from-scratch")
    course_page = client.get(calculus.url).content.decode()
    assert "Opens on" in course_page and "Live review session" in course_page
    learning = client.get("/learn/").content.decode()
    assert "Due in the next 7 days" in learning and "Integration" in learning
    assert Announcement.objects.filter(course=calculus).count() == 1


def test_load_demo_runs_again_after_a_demo_learner_left_and_rejoined(demo):
    from learning.models import Enrollment, QuizAttempt

    attempts = QuizAttempt.objects.count()
    Enrollment.objects.filter(user__username="classmate").delete()  # left: attempts stay
    call_command("load_demo", stdout=io.StringIO())
    assert Enrollment.objects.filter(user__username="classmate").exists()
    assert QuizAttempt.objects.count() == attempts  # nothing replayed over what is there


def test_the_demo_learners_first_days_are_kept(demo):
    from learning.models import CourseStart, Enrollment

    for enrollment in Enrollment.objects.all():
        start = CourseStart.objects.get(user=enrollment.user, course=enrollment.course)
        assert start.started_at == enrollment.created_at
