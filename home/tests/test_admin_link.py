"""The header's Admin link and Wagtail's user bar: for the people who can open the admin only."""

import pytest
from django.contrib.auth.models import Permission
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


def test_a_student_page_asks_the_database_once_about_the_admin(client, course, enrolled_student):
    page_for(client, enrolled_student, course.url)
    with CaptureQueriesContext(connection) as queries:
        page_for(client, enrolled_student, course.url)
    permission_queries = [q for q in queries.captured_queries if "auth_permission" in q["sql"]]
    assert len(permission_queries) == 1
