"""Accounts: sign-up, log-in, log-out, password change and reset, and the brute-force lock-out.

Log-in is always tested by POSTing to a log-in form: django-axes needs the request, which the
test client's ``client.login()`` does not pass, so set-up uses ``client.force_login`` instead.
"""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from conftest import PASSWORD

User = get_user_model()

SIGNUP_URL = "/accounts/signup/"
LOGIN_URL = "/accounts/login/"
LOGOUT_URL = "/accounts/logout/"
PASSWORD_CHANGE_URL = "/accounts/password_change/"
PASSWORD_RESET_URL = "/accounts/password_reset/"
ADMIN_LOGIN_URL = "/admin/login/"
MY_LEARNING_URL = "/learn/"
NEW_PASSWORD = "a-fresh-and-long-passphrase"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
LOCKED_OUT_MESSAGE = "Too many failed log-in attempts"
FAILURE_LIMIT = 5


def signup_data(**overrides):
    data = {
        "username": "newstudent",
        "email": "newstudent@example.com",
        "first_name": "New",
        "last_name": "Student",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


def log_in(client, username, password, url=LOGIN_URL, ip="127.0.0.1", **data):
    return client.post(url, {"username": username, "password": password, **data}, REMOTE_ADDR=ip)


# --- Sign-up -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signup_creates_the_account_and_logs_in_on_my_learning(client):
    response = client.post(SIGNUP_URL, signup_data())

    assert response.status_code == 302
    assert response.url == MY_LEARNING_URL
    user = User.objects.get(username="newstudent")
    assert user.email == "newstudent@example.com"
    assert (user.first_name, user.last_name) == ("New", "Student")
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_user_id(client) == str(user.pk)


@pytest.mark.django_db
def test_signup_form_page_renders_for_visitors(client):
    response = client.get(SIGNUP_URL)

    assert response.status_code == 200
    assert b"Create an account" in response.content


@pytest.mark.django_db
def test_signup_with_a_safe_next_lands_there(client):
    response = client.post(SIGNUP_URL, signup_data(next="/catalog/?q=calculus"))

    assert response.status_code == 302
    assert response.url == "/catalog/?q=calculus"


@pytest.mark.django_db
def test_signup_ignores_a_next_on_another_site(client):
    response = client.post(SIGNUP_URL, signup_data(next="http://evil.example/"))

    assert response.status_code == 302
    assert response.url == MY_LEARNING_URL
    assert User.objects.filter(username="newstudent").exists()


@pytest.mark.django_db
def test_signup_ignores_a_protocol_relative_next(client):
    response = client.post(SIGNUP_URL, signup_data(next="//evil.example/"))

    assert response.url == MY_LEARNING_URL


@pytest.mark.django_db
def test_signup_form_keeps_next_from_the_query_string(client):
    response = client.get(SIGNUP_URL, {"next": "/catalog/"})

    assert b'name="next" value="/catalog/"' in response.content


@pytest.mark.django_db
def test_signup_form_keeps_next_after_a_refused_attempt(client):
    # The form posts to the bare URL, so after an error the next address only lives in the body.
    response = client.post(
        SIGNUP_URL, signup_data(password2="different-passphrase", next="/catalog/")
    )

    assert response.status_code == 200
    assert b'name="next" value="/catalog/"' in response.content


def assert_refused(client, data, field, message):
    """The sign-up is refused with ``message`` shown against ``field`` and nothing is saved."""
    users_before = User.objects.count()
    response = client.post(SIGNUP_URL, data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors.get(field, [])), errors
    assert message in response.content.decode()
    assert User.objects.count() == users_before
    assert logged_in_user_id(client) is None
    return response


@pytest.mark.django_db
def test_signup_refuses_a_taken_username(client, student):
    assert_refused(
        client, signup_data(username="student"), "username", "A user with that username already"
    )


@pytest.mark.django_db
def test_signup_refuses_a_taken_username_in_another_case(client, student):
    assert_refused(
        client, signup_data(username="Student"), "username", "A user with that username already"
    )


@pytest.mark.django_db
def test_signup_refuses_a_taken_email_in_another_case(client, student):
    assert_refused(
        client,
        signup_data(email="STUDENT@Example.COM"),
        "email",
        "An account with this e-mail address already exists",
    )


@pytest.mark.django_db
def test_signup_refuses_mismatched_passwords(client):
    assert_refused(
        client,
        signup_data(password2="another-long-passphrase"),
        "password2",
        "The two password fields didn’t match.",
    )


@pytest.mark.django_db
def test_signup_refuses_a_too_short_password(client):
    assert_refused(
        client,
        signup_data(password1="x7#kQ", password2="x7#kQ"),
        "password2",
        "This password is too short.",
    )


@pytest.mark.django_db
def test_signup_refuses_a_too_common_password(client):
    assert_refused(
        client,
        signup_data(password1="password123", password2="password123"),
        "password2",
        "This password is too common.",
    )


@pytest.mark.django_db
def test_signup_refuses_an_all_numeric_password(client):
    assert_refused(
        client,
        signup_data(password1="73910482615", password2="73910482615"),
        "password2",
        "This password is entirely numeric.",
    )


@pytest.mark.django_db
def test_signup_refuses_a_password_too_similar_to_the_username(client):
    assert_refused(
        client,
        signup_data(username="bartholomew", password1="bartholomew1", password2="bartholomew1"),
        "password2",
        "The password is too similar to the username.",
    )


@pytest.mark.django_db
def test_signup_refuses_an_invalid_email(client):
    assert_refused(
        client, signup_data(email="not-an-address"), "email", "Enter a valid email address."
    )


@pytest.mark.django_db
def test_signup_refuses_a_missing_email(client):
    assert_refused(client, signup_data(email=""), "email", "This field is required.")


@pytest.mark.django_db
def test_signup_refuses_a_hostile_username_and_echoes_it_escaped(client):
    response = assert_refused(
        client, signup_data(username=HOSTILE), "username", "Enter a valid username."
    )

    assert HOSTILE not in response.content.decode()
    assert HOSTILE_ESCAPED in response.content.decode()


@pytest.mark.django_db
def test_signup_hostile_name_is_shown_escaped_once_logged_in(client):
    client.post(SIGNUP_URL, signup_data(first_name=HOSTILE, last_name=""))

    response = client.get(MY_LEARNING_URL)

    assert response.status_code == 200
    assert HOSTILE not in response.content.decode()
    assert HOSTILE_ESCAPED in response.content.decode()


@pytest.mark.django_db
def test_signup_redirects_a_logged_in_user_to_my_learning(client, student):
    client.force_login(student)

    response = client.get(SIGNUP_URL)

    assert response.status_code == 302
    assert response.url == MY_LEARNING_URL


@pytest.mark.django_db
def test_signup_by_a_logged_in_user_creates_no_account(client, student):
    client.force_login(student)

    client.post(SIGNUP_URL, signup_data())

    assert not User.objects.filter(username="newstudent").exists()


@pytest.mark.django_db
def test_database_refuses_two_emails_differing_only_in_case(student):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="twin", email="STUDENT@example.com", password=PASSWORD)


@pytest.mark.django_db
def test_database_allows_several_users_without_email():
    User.objects.create_user(username="first", email="", password=PASSWORD)
    User.objects.create_user(username="second", email="", password=PASSWORD)

    assert User.objects.filter(email="").count() == 2


# --- Log-in and log-out ------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_without_next_lands_on_my_learning(client, student):
    response = log_in(client, "student", PASSWORD)

    assert response.status_code == 302
    assert response.url == MY_LEARNING_URL
    assert logged_in_user_id(client) == str(student.pk)


@pytest.mark.django_db
def test_login_with_next_lands_there(client, student):
    response = log_in(client, "student", PASSWORD, next="/catalog/")

    assert response.url == "/catalog/"


@pytest.mark.django_db
def test_login_ignores_a_next_on_another_site(client, student):
    response = log_in(client, "student", PASSWORD, next="http://evil.example/")

    assert response.url == MY_LEARNING_URL


@pytest.mark.django_db
def test_login_with_a_wrong_password_shows_a_clear_error(client, student):
    response = log_in(client, "student", "not-the-password")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_login_page_redirects_a_logged_in_user(client, student):
    client.force_login(student)

    response = client.get(LOGIN_URL)

    assert response.status_code == 302
    assert response.url == MY_LEARNING_URL


@pytest.mark.django_db
def test_logout_by_post_logs_out(client, student):
    client.force_login(student)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_logout_by_get_is_refused_and_keeps_the_session(client, student):
    client.force_login(student)

    response = client.get(LOGOUT_URL)

    assert response.status_code == 405
    assert logged_in_user_id(client) == str(student.pk)


# --- Password change ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_password_change_requires_login(client):
    response = client.get(PASSWORD_CHANGE_URL)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={PASSWORD_CHANGE_URL}"


@pytest.mark.django_db
def test_password_change_sets_the_new_password_and_keeps_the_session(client, student):
    client.force_login(student)

    response = client.post(
        PASSWORD_CHANGE_URL,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == "/accounts/password_change/done/"
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    assert client.get(response.url).status_code == 200  # still logged in


@pytest.mark.django_db
def test_password_change_refuses_a_wrong_old_password(client, student):
    client.force_login(student)

    response = client.post(
        PASSWORD_CHANGE_URL,
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


# --- Password reset ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_password_reset_emails_a_link_that_sets_a_new_password(client, student):
    response = client.post(PASSWORD_RESET_URL, {"email": "STUDENT@example.com"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["student@example.com"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    set_password_url = form_page.redirect_chain[-1][0]

    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == "/accounts/reset/done/"
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_password_reset_link_works_only_once(client, student):
    client.post(PASSWORD_RESET_URL, {"email": "student@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.get(link, follow=True)

    assert not response.context["validlink"]


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_looks_the_same(client, student):
    known = client.post(PASSWORD_RESET_URL, {"email": "student@example.com"})
    mail.outbox.clear()

    unknown = client.post(PASSWORD_RESET_URL, {"email": "nobody@example.com"})

    assert mail.outbox == []
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert b"If an account uses that address" in client.get(unknown.url).content


# --- Brute-force lock-out (django-axes) --------------------------------------------------------


def fail_logins(client, usernames, ips=("127.0.0.1",), url=LOGIN_URL):
    """Fail once per username; the failure that reaches the limit is itself answered with 429."""
    for index, username in enumerate(usernames):
        response = log_in(client, username, "wrong-password", url=url, ip=ips[index % len(ips)])
        if index < FAILURE_LIMIT - 1:
            assert response.status_code == 200, "locked out before the limit"


def assert_locked_out(response, client):
    assert response.status_code == 429
    assert LOCKED_OUT_MESSAGE in response.content.decode()
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_five_failures_for_a_username_refuse_even_the_right_password(client, student):
    # Each failure from its own address, so it is the username that locks, not the address.
    fail_logins(client, ["student"] * 5, ips=[f"10.0.0.{n}" for n in range(1, 6)])

    response = log_in(client, "student", PASSWORD, ip="10.0.0.99")

    assert_locked_out(response, client)


@pytest.mark.django_db
def test_four_failures_for_a_username_still_let_the_right_password_in(client, student):
    fail_logins(client, ["student"] * 4)

    response = log_in(client, "student", PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(student.pk)


@pytest.mark.django_db
def test_failures_across_usernames_lock_the_address(client, student):
    fail_logins(client, [f"guess{n}" for n in range(5)], ips=["10.0.0.7"])

    response = log_in(client, "student", PASSWORD, ip="10.0.0.7")

    assert_locked_out(response, client)


@pytest.mark.django_db
def test_a_locked_address_does_not_lock_the_user_elsewhere(client, student):
    fail_logins(client, [f"guess{n}" for n in range(5)], ips=["10.0.0.7"])

    response = log_in(client, "student", PASSWORD, ip="10.0.0.8")

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(student.pk)


def move_attempts_back(minutes):
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.django_db
def test_lock_out_ends_once_the_cool_off_has_passed(client, student):
    fail_logins(client, ["student"] * 5)
    move_attempts_back(minutes=16)

    response = log_in(client, "student", PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(student.pk)


@pytest.mark.django_db
def test_lock_out_holds_until_the_cool_off_has_passed(client, student):
    fail_logins(client, ["student"] * 5)
    move_attempts_back(minutes=14)

    response = log_in(client, "student", PASSWORD)

    assert_locked_out(response, client)


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_failure_count(client, student):
    fail_logins(client, ["student"] * 4)
    log_in(client, "student", PASSWORD)
    client.post(LOGOUT_URL)
    fail_logins(client, ["student"] * 4)

    response = log_in(client, "student", PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(student.pk)


@pytest.mark.django_db
def test_wagtail_admin_login_is_locked_out_after_five_failures(client, superuser):
    fail_logins(client, ["admin"] * 5, url=ADMIN_LOGIN_URL)

    response = log_in(client, "admin", PASSWORD, url=ADMIN_LOGIN_URL)

    assert_locked_out(response, client)


@pytest.mark.django_db
def test_site_failures_lock_the_wagtail_admin_login_too(client, superuser):
    fail_logins(client, ["admin"] * 5)

    response = log_in(client, "admin", PASSWORD, url=ADMIN_LOGIN_URL)

    assert_locked_out(response, client)


@pytest.mark.django_db
def test_signup_race_on_the_same_email_gives_a_form_error_not_a_500(client, monkeypatch):
    """Both requests pass the form check; the database constraint stops the second one."""
    from home.forms import SignUpForm

    monkeypatch.setattr(SignUpForm, "clean_email", lambda self: self.cleaned_data["email"])
    get_user_model().objects.create_user("first", "race@example.com", "x-unused-password")
    response = client.post(
        "/accounts/signup/",
        {
            "username": "second",
            "email": "RACE@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 200
    assert b"already exists" in response.content
    assert not get_user_model().objects.filter(username="second").exists()
