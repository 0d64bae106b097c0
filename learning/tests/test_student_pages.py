"""What a student sees around their courses: "Continue learning" on the home page, their
courses marked in every listing (never in the listings kept for everyone), "Review" once a
course is complete, "just now", the destructive "Leave the course", primary log-in buttons."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from core.templatetags.site_tags import ago
from learning import progress
from learning.models import Enrollment
from learning.tests import factories

pytestmark = pytest.mark.django_db

MARK_ENROLLED = '<span class="badge badge--enrolled">Enrolled</span>'
MARK_COMPLETED = '<span class="badge badge--done">Completed</span>'


@pytest.fixture(params=["home", "subject", "catalog"])
def listing(request, home, subject):
    return {"home": "/", "subject": subject.url, "catalog": "/catalog/"}[request.param]


@pytest.fixture
def second_course(subject, instructor):
    return factories.CoursePageFactory(
        parent=subject, owner=instructor, title="Statistics", slug="statistics"
    )


def test_every_listing_marks_the_readers_courses_and_only_theirs(
    client, listing, course, second_course, module, student
):
    Enrollment.objects.create(user=student, course=course)
    other = make_user("other-reader")
    Enrollment.objects.create(user=other, course=second_course, completed_at=timezone.now())
    for reader, marks in ((student, [MARK_ENROLLED]), (other, [MARK_COMPLETED]), (None, [])):
        if reader:
            client.force_login(reader)
        else:
            client.logout()
        html = client.get(listing).content.decode()
        assert re.findall(r'<span class="badge badge--(?:enrolled|done)">\w+</span>', html) == (
            marks
        ), reader
        assert "<!--enrolled:" not in html  # no slot left for a reader to see


def test_a_course_title_cannot_forge_a_mark(client, subject, instructor, student):
    slot = "<!--enrolled:0123456789abcdef:1-->"
    factories.CoursePageFactory(parent=subject, owner=instructor, title=slot, slug="forged")
    client.force_login(student)
    html = client.get(subject.url).content.decode()
    assert "&lt;!--enrolled:0123456789abcdef:1--&gt;" in html
    assert MARK_ENROLLED not in html


def test_the_home_page_says_where_to_continue(client, home, course, module, student):
    enrollment = Enrollment.objects.create(user=student, course=course)
    client.force_login(student)
    html = client.get("/").content.decode()
    assert "Continue learning" in html
    assert f'href="{module.url}">Continue: {module.title}<span class="visually-hidden">' in html
    assert "0 of 1 module complete" in html
    # A completed course is not "in progress"; a visitor and another student see no section.
    Enrollment.objects.filter(pk=enrollment.pk).update(completed_at=timezone.now())
    assert "Continue learning" not in client.get("/").content.decode()
    client.force_login(make_user("someone-else"))
    assert "Continue learning" not in client.get("/").content.decode()
    client.logout()
    assert "Continue learning" not in client.get("/").content.decode()


def test_the_home_page_lists_three_courses_in_progress_most_recent_first(
    client, home, subject, instructor, student
):
    now = timezone.now()
    for n in range(5):
        course = factories.CoursePageFactory(
            parent=subject, owner=instructor, title=f"Course number {n}", slug=f"c{n}"
        )
        Enrollment.objects.create(
            user=student, course=course, last_visited_at=now - timedelta(days=n)
        )
    client.force_login(student)
    html = client.get("/").content.decode()
    section = html[html.index("Continue learning") : html.index('aria-labelledby="subjects')]
    assert re.findall(r"Course number (\d)</a></h3>", section) == ["0", "1", "2"]


def test_a_completed_course_offers_review_not_continue(client, course, module, student):
    Enrollment.objects.create(user=student, course=course)
    progress.complete_module(student, module)
    client.force_login(student)
    html = client.get(course.url).content.decode()
    assert "Review the course" in html
    assert ">Continue" not in html


def test_just_now_reads_as_such():
    assert ago(timezone.now()) == "just now"
    assert ago(timezone.now() - timedelta(minutes=3)) == "3\xa0minutes ago"
    assert ago(None) == ""


def test_leaving_a_course_is_red_and_asks_first(client, course, module, student):
    Enrollment.objects.create(user=student, course=course)
    client.force_login(student)
    page = client.get(course.url).content.decode()
    leave = reverse("learning:leave", args=(course.pk,))
    assert f'class="button button--danger-ghost" href="{leave}">Leave the course…</a>' in page
    confirm = client.get(leave).content.decode()
    assert 'class="button button--danger">Leave the course</button>' in confirm
    assert Enrollment.objects.filter(user=student, course=course).exists()  # asked, not done


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/"])
def test_log_in_and_sign_up_buttons_are_primary(client, home, url):
    html = client.get(url).content.decode()
    assert re.search(r'<button type="submit" class="button button--primary">', html)


def test_catalogue_cards_follow_a_heading_of_the_level_above(client, course):
    html = client.get("/catalog/").content.decode()
    levels = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert levels[:3] == [1, 2, 3]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_a_course_without_an_image_gets_a_placeholder_not_a_blank(client, course, module):
    assert course.image is None
    card = client.get("/catalog/").content.decode()
    assert (
        '<div class="card__image card__image--empty" aria-hidden="true"><span>C</span></div>'
        in card
    )
    page = client.get(course.url).content.decode()
    assert 'class="course__image course__image--empty" aria-hidden="true"><span>C</span>' in page


@pytest.mark.parametrize("change", ["group", "password", "subject unpublished"])
def test_a_course_the_student_can_no_longer_open_is_not_offered(
    client, subject, course, module, student, change
):
    from django.contrib.auth.models import Group
    from wagtail.models import PageViewRestriction

    Enrollment.objects.create(user=student, course=course)
    client.force_login(student)
    assert course.title in client.get("/").content.decode()
    if change == "group":
        restriction = PageViewRestriction.objects.create(
            page=subject, restriction_type=PageViewRestriction.GROUPS
        )
        restriction.groups.add(Group.objects.create(name="Insiders"))
    elif change == "password":
        PageViewRestriction.objects.create(
            page=course, restriction_type=PageViewRestriction.PASSWORD, password="secret"
        )
    else:
        subject.unpublish()
    for url in ("/", "/learn/"):
        html = client.get(url).content.decode()
        assert course.title not in html and module.title not in html, (change, url)


def test_a_login_restricted_course_is_still_offered_to_its_student(client, course, module, student):
    from wagtail.models import PageViewRestriction

    Enrollment.objects.create(user=student, course=course)
    PageViewRestriction.objects.create(page=course, restriction_type=PageViewRestriction.LOGIN)
    client.force_login(student)
    assert "Continue learning" in client.get("/").content.decode()
