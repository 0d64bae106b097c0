"""Module completion, progress over live modules, course completion and certificates."""

import uuid
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse

from conftest import make_user
from learning.models import Certificate, Enrollment, ModuleCompletion, ModulePage
from learning.progress import course_progress
from learning.tests import factories
from learning.tests.quiz_data import QUIZ_ID, RIGHT, add_quiz

pytestmark = pytest.mark.django_db


def complete(client, module):
    return client.post(reverse("learning:complete", args=(module.pk,)))


def uncomplete(client, module):
    return client.post(reverse("learning:uncomplete", args=(module.pk,)))


@pytest.fixture
def three_modules(course, module):
    return [module] + [factories.ModulePageFactory(parent=course) for _ in range(2)]


def test_completing_a_module_is_idempotent(student_client, enrolled_student, module):
    complete(student_client, module)
    complete(student_client, module)
    assert ModuleCompletion.objects.filter(user=enrolled_student, module=module).count() == 1


def test_completing_moves_on_to_the_next_module(student_client, three_modules):
    response = complete(student_client, three_modules[0])
    assert response["Location"] == three_modules[1].url


def test_completion_can_be_undone(student_client, enrolled_student, module):
    complete(student_client, module)
    uncomplete(student_client, module)
    assert not ModuleCompletion.objects.filter(user=enrolled_student).exists()


def test_only_enrolled_students_can_complete_modules(client, student, instructor, module):
    for user in (student, instructor):
        client.force_login(user)
        response = complete(client, module)
        assert response.status_code == 302
    assert not ModuleCompletion.objects.exists()
    client.logout()
    assert complete(client, module)["Location"].startswith("/accounts/login/")


def test_completion_needs_a_post(student_client, module):
    url = reverse("learning:complete", args=(module.pk,))
    assert student_client.get(url).status_code == 405


def test_progress_counts_only_live_modules(student_client, enrolled_student, course, three_modules):
    first, second, third = three_modules
    complete(student_client, first)
    complete(student_client, second)
    progress = course_progress(enrolled_student, course)
    assert (progress.done, progress.total) == (2, 3)

    second.unpublish()
    progress = course_progress(enrolled_student, course)
    assert (progress.done, progress.total) == (1, 2)

    factories.ModulePageFactory(parent=course)
    progress = course_progress(enrolled_student, course)
    assert (progress.done, progress.total) == (1, 3)


def test_course_and_module_pages_show_n_of_m_and_mark_completed_modules(
    student_client, course, three_modules
):
    complete(student_client, three_modules[0])
    course_html = student_client.get(course.url).content.decode()
    assert "1 of 3 modules complete" in course_html
    assert "module-list__item--done" in course_html
    module_html = student_client.get(three_modules[1].url).content.decode()
    assert "1 of 3 modules complete" in module_html
    assert "(completed)" in module_html
    my_learning = student_client.get(reverse("learning:my_learning")).content.decode()
    assert "1 of 3 modules complete" in my_learning


def test_a_module_with_a_quiz_completes_only_once_the_quiz_is_passed(
    student_client, enrolled_student, module
):
    add_quiz(module)
    response = complete(student_client, module)
    assert response["Location"] == module.url
    assert not ModuleCompletion.objects.exists()
    page = student_client.get(module.url).content.decode()
    assert "Pass this module" in page
    student_client.post(reverse("learning:quiz", args=(module.pk, QUIZ_ID)), RIGHT)
    assert ModuleCompletion.objects.filter(user=enrolled_student, module=module).exists()


def test_finishing_every_module_records_course_completion_once(
    student_client, enrolled_student, course, three_modules
):
    for module in three_modules:
        complete(student_client, module)
    enrollment = Enrollment.objects.get(user=enrolled_student, course=course)
    first_completion = enrollment.completed_at
    assert first_completion is not None
    uncomplete(student_client, three_modules[0])
    complete(student_client, three_modules[0])
    enrollment.refresh_from_db()
    assert enrollment.completed_at == first_completion
    assert Certificate.objects.filter(user=enrolled_student, course=course).count() == 1


def test_completing_the_course_issues_a_certificate_shown_in_my_learning(
    student_client, enrolled_student, course, module
):
    response = complete(student_client, module)
    assert response["Location"] == course.url
    certificate = Certificate.objects.get(user=enrolled_student)
    assert certificate.course_title == "Calculus"
    assert certificate.instructor_name == "Ida Instructor"
    html = student_client.get(reverse("learning:my_learning")).content.decode()
    assert "Completed" in html
    assert reverse("learning:certificate", args=(certificate.pk,)) in html
    assert reverse("learning:certificate", args=(certificate.pk,)) in (
        student_client.get(course.url).content.decode()
    )


def test_certificate_verifies_for_anyone(student_client, client, enrolled_student, module):
    complete(student_client, module)
    certificate = Certificate.objects.get()
    client.logout()
    response = client.get(reverse("learning:certificate", args=(certificate.pk,)))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Certificate of completion" in html
    assert enrolled_student.username in html or enrolled_student.get_full_name() in html
    assert "Calculus" in html and "Ida Instructor" in html
    assert f"/learn/certificates/{certificate.pk}/" in html
    assert "certificate-print.css" in html


def test_a_forged_certificate_id_is_not_found(client):
    assert client.get(f"/learn/certificates/{uuid.uuid4()}/").status_code == 404
    assert client.get("/learn/certificates/not-a-uuid/").status_code == 404


def test_certificate_escapes_names(student_client, enrolled_student, module):
    enrolled_student.first_name = "<script>alert(1)</script>"
    enrolled_student.save()
    complete(student_client, module)
    html = student_client.get(
        reverse("learning:certificate", args=(Certificate.objects.get().pk,))
    ).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_another_students_progress_is_their_own(student_client, course, module):
    other = make_user("other")
    Enrollment.objects.create(user=other, course=course)
    complete(student_client, module)
    assert course_progress(other, course).done == 0


@pytest.fixture
def owned_modules(course, module, instructor):
    """Three modules of the course, all made by its instructor (who may delete and move them)."""
    return [module] + [factories.ModulePageFactory(parent=course, owner=instructor) for _ in "ab"]


@pytest.fixture
def instructor_client(instructor):
    client = Client()  # not the student's: the ``client`` fixture is student_client
    client.force_login(instructor)
    return client


def test_progress_stays_right_when_an_instructor_deletes_modules(
    student_client, instructor_client, enrolled_student, course, owned_modules
):
    first, second, third = owned_modules
    complete(student_client, first)
    complete(student_client, second)

    response = instructor_client.post(reverse("wagtailadmin_pages:delete", args=(second.pk,)))
    assert response.status_code == 302
    assert not ModulePage.objects.filter(pk=second.pk).exists()
    progress = course_progress(enrolled_student, course)
    assert (progress.done, progress.total) == (1, 2)
    assert progress.completed_ids == {first.pk}
    assert "1 of 2 modules complete" in student_client.get(course.url).content.decode()

    instructor_client.post(reverse("wagtailadmin_pages:delete", args=(third.pk,)))
    progress = course_progress(enrolled_student, course)
    assert (progress.done, progress.total) == (1, 1)
    assert "1 of 1 module complete" in student_client.get(course.url).content.decode()


def test_progress_stays_right_when_an_instructor_reorders_modules(
    student_client, instructor_client, enrolled_student, course, owned_modules
):
    first, second, third = owned_modules
    complete(student_client, first)

    url = reverse("wagtailadmin_pages:set_page_position", args=(third.pk,))
    assert instructor_client.post(url + "?position=0").status_code == 200
    assert list(ModulePage.objects.child_of(course).order_by("path")) == [third, first, second]

    progress = course_progress(enrolled_student, course)
    assert (progress.done, progress.total) == (1, 3)
    assert progress.completed_ids == {first.pk}
    soup = BeautifulSoup(student_client.get(course.url).content, "html.parser")
    items = soup.select("ol.module-list > li")
    assert [item.a["href"] for item in items] == [third.url, first.url, second.url]
    assert ["module-list__item--done" in item["class"] for item in items] == [False, True, False]
    # Completing goes on in the new order: the third module now comes before the first.
    assert complete(student_client, third)["Location"] == first.url
    assert course_progress(enrolled_student, course).done == 2


def test_progress_stays_right_when_an_instructor_moves_a_module_to_another_course(
    student_client, instructor_client, enrolled_student, instructor, course, owned_modules
):
    first, second, third = owned_modules
    elsewhere = factories.CoursePageFactory(parent=course.get_parent(), owner=instructor)
    complete(student_client, first)
    complete(student_client, second)

    url = reverse("wagtailadmin_pages:move_confirm", args=(second.pk, elsewhere.pk))
    assert instructor_client.post(url).status_code == 302
    assert ModulePage.objects.child_of(elsewhere).filter(pk=second.pk).exists()

    progress = course_progress(enrolled_student, course)
    assert (progress.done, progress.total) == (1, 2)
    Enrollment.objects.create(user=enrolled_student, course=elsewhere)
    moved = course_progress(enrolled_student, elsewhere)
    assert (moved.done, moved.total) == (1, 1)  # the completion went with the module


def progress_bars(client, url):
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    return [
        (bar["value"], bar["max"], bar["aria-label"])
        for bar in soup.find_all("progress", class_="progress__bar")
    ]


def test_progress_bar_has_the_number_of_completed_modules_on_every_page(
    student_client, course, three_modules
):
    complete(student_client, three_modules[0])
    expected = [("1", "3", "Course progress: 33%")]
    assert progress_bars(student_client, course.url) == expected
    assert progress_bars(student_client, three_modules[1].url) == expected
    assert progress_bars(student_client, reverse("learning:my_learning")) == expected


def test_progress_bar_is_full_once_the_course_is_completed(student_client, course, three_modules):
    for module in three_modules:
        complete(student_client, module)
    expected = [("3", "3", "Course progress: 100%")]
    assert progress_bars(student_client, course.url) == expected
    assert progress_bars(student_client, reverse("learning:my_learning")) == expected


def test_progress_bar_is_absent_for_a_visitor_who_is_not_enrolled(client, student, course, module):
    assert progress_bars(client, course.url) == []
    client.force_login(student)
    assert progress_bars(client, course.url) == []


def test_certificate_shows_the_date_the_course_was_completed(
    student_client, client, enrolled_student, course, module
):
    complete(student_client, module)
    certificate = Certificate.objects.get()
    enrollment = Enrollment.objects.get(user=enrolled_student, course=course)
    assert certificate.completed_at == enrollment.completed_at
    # A date far from today, so that the page cannot show it by accident.
    completed = datetime(2024, 3, 5, 12, 30, tzinfo=UTC)
    Certificate.objects.filter(pk=certificate.pk).update(completed_at=completed)
    client.logout()
    soup = BeautifulSoup(
        client.get(reverse("learning:certificate", args=(certificate.pk,))).content,
        "html.parser",
    )
    time = soup.select_one(".certificate__facts time")
    assert time.get_text() == "5 March 2024"
    assert time["datetime"] == "2024-03-05T12:30:00+00:00"
    assert "Completed on" in soup.select_one(".certificate__facts").get_text()
