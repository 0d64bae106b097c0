"""The header's Admin link and Wagtail's user bar: for the people who can open the admin only."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_user

pytestmark = pytest.mark.django_db

ADMIN_LINK = 'href="/admin/">Admin</a>'
USERBAR = "<wagtail-userbar"


def page_for(client, user, url):
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "student"])
def test_people_who_cannot_open_the_admin_get_neither_the_link_nor_the_user_bar(
    client, course, student, who
):
    page = page_for(client, student if who == "student" else None, course.url)
    assert ADMIN_LINK not in page
    assert USERBAR not in page


@pytest.mark.parametrize("who", ["instructor", "editor", "superuser"])
def test_admin_users_get_the_link_and_the_user_bar(client, course, request, who):
    page = page_for(client, request.getfixturevalue(who), course.url)
    assert ADMIN_LINK in page
    assert USERBAR in page


def test_the_access_admin_permission_given_directly_shows_the_link(client, course):
    user = make_user("reviewer")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    assert ADMIN_LINK in page_for(client, user, course.url)


def test_an_unrelated_permission_does_not_show_the_link(client, course):
    user = make_user("clerk")
    user.user_permissions.add(Permission.objects.get(codename="add_image"))
    assert ADMIN_LINK not in page_for(client, user, course.url)


def test_a_student_page_asks_djangos_permission_check_once_about_the_admin(
    client, course, enrolled_student, settings
):
    settings.PAGE_CACHE_SECONDS = 0  # nothing kept: each page asks
    page_for(client, enrolled_student, course.url)
    with CaptureQueriesContext(connection) as queries:
        page_for(client, enrolled_student, course.url)
    permission_queries = [q for q in queries.captured_queries if "auth_permission" in q["sql"]]
    assert len(permission_queries) == 2  # has_perm: the user's, then their groups' permissions


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60


def test_with_the_page_cache_a_student_page_asks_nothing_about_the_admin_the_second_time(
    client, course, enrolled_student, page_cache_on
):
    page_for(client, enrolled_student, course.url)
    with CaptureQueriesContext(connection) as queries:
        assert ADMIN_LINK not in page_for(client, enrolled_student, course.url)
    assert not [q for q in queries.captured_queries if "auth_permission" in q["sql"]]


def test_with_the_page_cache_a_change_of_groups_or_permissions_shows_at_once(
    client, course, student, page_cache_on
):
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    reviewers = Group.objects.create(name="Reviewers")
    assert ADMIN_LINK not in page_for(client, student, course.url)

    student.groups.add(reviewers)  # a group without the permission: nothing changes
    assert ADMIN_LINK not in page_for(client, student, course.url)
    reviewers.permissions.add(access_admin)  # the group gets it
    assert ADMIN_LINK in page_for(client, student, course.url)
    student.groups.remove(reviewers)  # the user leaves the group
    assert ADMIN_LINK not in page_for(client, student, course.url)

    student.user_permissions.add(access_admin)  # given directly
    assert ADMIN_LINK in page_for(client, student, course.url)
    student.user_permissions.clear()
    assert ADMIN_LINK not in page_for(client, student, course.url)

    student.groups.add(reviewers)
    assert ADMIN_LINK in page_for(client, student, course.url)
    reviewers.delete()  # deleting the group removes the membership without an m2m signal
    assert ADMIN_LINK not in page_for(client, student, course.url)


def test_with_the_page_cache_a_deactivated_or_promoted_user_is_seen_at_once(
    client, course, student, page_cache_on
):
    assert ADMIN_LINK not in page_for(client, student, course.url)
    student.is_staff = True
    student.save()
    assert ADMIN_LINK in page_for(client, student, course.url)
