"""The notification centre, the unread count, the e-mail settings and the unsubscribe page,
with their permission edges."""

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.emails import unsubscribe_token
from notifications.models import EmailPreference, Kind, Notification

pytestmark = pytest.mark.django_db

CENTRE = "/notifications/"


def make(user, n=0, **extra):
    fields = {"kind": Kind.REPLY, "title": f"Reply {n}", "key": f"reply:{n}", "url": "/learn/"}
    return Notification.objects.create(user=user, **{**fields, **extra})


@pytest.fixture
def reader(client, student):
    client.force_login(student)
    return client


def test_anonymous_visitors_are_sent_to_log_in_from_every_personal_page(client, student):
    notification = make(student)
    for method, path in [
        ("get", CENTRE),
        ("get", "/notifications/settings/"),
        ("get", f"/notifications/{notification.pk}/open/"),
        ("post", f"/notifications/{notification.pk}/read/"),
        ("post", "/notifications/read/"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("login") + "?next="), path
    assert Notification.objects.get().read_at is None


def test_centre_lists_the_readers_notifications_newest_first_with_unread_ones_marked(
    reader, student, instructor
):
    old = make(student, 1, read_at=timezone.now())
    make(student, 2)
    make(instructor, 3, title="Not yours")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now().replace(year=2020))
    response = reader.get(CENTRE)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    titles = [n.title for n in response.context["notifications"]]
    assert titles == ["Reply 2", "Reply 1"]
    html = response.content.decode()
    assert "Not yours" not in html
    assert html.count("notification--unread") == 1
    assert "1 unread." in html


def test_centre_is_paginated_by_twenty(reader, student):
    Notification.objects.bulk_create(
        Notification(user=student, kind=Kind.REPLY, title=f"n{n}", key=f"k{n}") for n in range(25)
    )
    assert len(reader.get(CENTRE).context["notifications"]) == 20
    assert len(reader.get(CENTRE + "?page=2").context["notifications"]) == 5
    assert len(reader.get(CENTRE + "?page=oops").context["notifications"]) == 20


def test_mark_as_read_marks_one_and_returns_to_the_page_it_came_from(reader, student):
    first, second = make(student, 1), make(student, 2)
    response = reader.post(f"/notifications/{first.pk}/read/", {"next": CENTRE + "?page=1"})
    assert response.status_code == 302 and response["Location"] == CENTRE + "?page=1"
    first.refresh_from_db(), second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_mark_as_read_never_redirects_off_the_site(reader, student, target):
    response = reader.post(f"/notifications/{make(student).pk}/read/", {"next": target})
    assert response["Location"] == CENTRE


def test_another_users_notification_is_404_and_stays_unread(reader, instructor):
    theirs = make(instructor)
    assert reader.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert reader.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_bad_ids_and_methods_are_refused(reader):
    assert reader.post("/notifications/99999999999/read/").status_code == 404
    assert reader.post("/notifications/abc/read/").status_code == 404
    assert reader.post("/notifications/12345/read/").status_code == 404
    assert reader.get("/notifications/1/read/").status_code == 405
    assert reader.get("/notifications/read/").status_code == 405


def test_mark_all_as_read_marks_only_the_readers_own(reader, student, instructor):
    make(student, 1), make(student, 2)
    theirs = make(instructor, 3)
    response = reader.post("/notifications/read/")
    assert response.status_code == 302 and response["Location"] == CENTRE
    assert services.unread_count(student) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_as_read_needs_the_csrf_token(student):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    notification = make(student)
    assert client.post(f"/notifications/{notification.pk}/read/").status_code == 403
    assert client.post("/notifications/read/").status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None


def test_opening_a_notification_marks_it_read_and_follows_its_path(reader, student):
    notification = make(student, url="/mathematics/calculus/")
    response = reader.get(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/mathematics/calculus/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_another_site_cannot_mark_a_notification_read_by_linking_to_it(reader, student):
    notification = make(student, url="/mathematics/calculus/")
    response = reader.get(
        f"/notifications/{notification.pk}/open/", HTTP_SEC_FETCH_SITE="cross-site"
    )
    assert response.status_code == 302 and response["Location"] == "/mathematics/calculus/"
    notification.refresh_from_db()
    assert notification.read_at is None
    reader.get(f"/notifications/{notification.pk}/open/", HTTP_SEC_FETCH_SITE="same-origin")
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", ""])
def test_opening_a_notification_with_no_path_on_this_site_goes_to_the_centre(reader, student, url):
    notification = make(student, url=url)  # stored by other means than notify(), which refuses
    response = reader.get(f"/notifications/{notification.pk}/open/")
    assert response["Location"] == CENTRE


def test_unread_json_gives_the_readers_count_privately(reader, student, instructor):
    make(student, 1), make(student, 2, read_at=timezone.now()), make(instructor, 3)
    response = reader.get("/notifications/unread/")
    assert response.status_code == 200
    assert response.json() == {"unread": 1}
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_unread_json_is_401_for_an_anonymous_visitor(client):
    response = client.get("/notifications/unread/")
    assert response.status_code == 401
    assert response.json()["unread"] is None


def test_settings_show_every_kind_on_by_default_and_save_the_choices(reader, student):
    response = reader.get("/notifications/settings/")
    assert response.status_code == 200
    assert all(response.context["form"].initial[kind] for kind in Kind.values)
    chosen = {kind: "on" for kind in Kind.values if kind != Kind.DUE_SOON}
    response = reader.post("/notifications/settings/", chosen)
    assert response.status_code == 302
    choices = services.email_choices(student)
    assert choices[Kind.DUE_SOON] is False
    assert all(enabled for kind, enabled in choices.items() if kind != Kind.DUE_SOON)
    reader.post("/notifications/settings/", dict.fromkeys(Kind.values, "on"))
    assert all(services.email_choices(student).values())


def test_the_header_link_is_the_same_for_every_reader_and_absent_for_visitors(
    client, student, instructor
):
    make(student, 1)
    assert b"data-notifications-link" not in client.get("/accounts/login/").content
    pages = []
    for user in (student, instructor):
        client.force_login(user)
        html = client.get("/learn/").content.decode()
        start = html.index('<a class="site-header__link notifications-bell"')
        pages.append(html[start : html.index("</a>", start)])
    assert pages[0] == pages[1]
    assert 'href="/notifications/"' in pages[0]


# --- unsubscribe -------------------------------------------------------------------------------
def test_unsubscribe_get_asks_and_changes_nothing(client, student):
    path = f"/notifications/unsubscribe/{unsubscribe_token(student.pk, Kind.ANNOUNCEMENT)}/"
    response = client.get(path)
    assert response.status_code == 200
    assert "Stop e-mails about “Announcements”?" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert not EmailPreference.objects.exists()
    assert services.email_enabled(student, Kind.ANNOUNCEMENT)


def test_one_click_unsubscribe_post_without_csrf_turns_that_kind_off(student):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a mail client: no cookie, no token
    path = f"/notifications/unsubscribe/{unsubscribe_token(student.pk, Kind.ANNOUNCEMENT)}/"
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "E-mails stopped" in response.content.decode()
    choices = services.email_choices(student)
    assert choices[Kind.ANNOUNCEMENT] is False
    assert all(enabled for kind, enabled in choices.items() if kind != Kind.ANNOUNCEMENT)
    assert client.post(path).status_code == 200  # twice: still off, no error


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "W10:1tX:abc",
        lambda student: unsubscribe_token(student.pk, Kind.ANNOUNCEMENT)[:-2] + "xx",
        lambda student: unsubscribe_token(student.pk, "nonsense"),
        lambda student: unsubscribe_token(10**9, Kind.ANNOUNCEMENT),
        lambda student: __import__("django.core.signing").core.signing.dumps(
            [student.pk, Kind.ANNOUNCEMENT]
        ),  # signed, but not with the unsubscribe salt
    ],
)
def test_a_forged_or_damaged_unsubscribe_token_is_a_400_page(client, student, token):
    token = token(student) if callable(token) else token
    for method in (client.get, client.post):
        response = method(f"/notifications/unsubscribe/{token}/")
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    assert not EmailPreference.objects.exists()
