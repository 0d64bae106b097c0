"""Hostile values for the forms home/tests/test_fuzz.py does not reach: nothing answers 5xx,
nothing is stored from a refused input, and an accepted input is stored as it was sent (issue 16).

The site's own forms: password reset (the address, the link, the new password), password change,
API tokens (create, revoke), the course actions (enroll, complete, uncomplete, leave) and log-out
with hostile extra fields, all posted with a valid CSRF token; a page's password form. The Wagtail
admin's: a subject added, a course and a module edited and published by their instructor (every
posted key of the form may be hostile, the StreamField's hidden counts, types and orders too),
the page search and explorer, the learning and chat listings with their filters, searches and
exports, the chat moderation's delete, an image's and a document's forms, and the user and group
admins.

"As it was sent" is as the form field cleans it: Django strips the spaces around a text value
and reads an integer as ``int`` does. An accepted page is published and then served, so that a
hostile value once stored must also render.
"""

import json
from urllib.parse import quote

import pytest
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode
from hypothesis import example, given
from hypothesis import strategies as st
from wagtail.models import APIToken, Collection, PageViewRestriction, Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from chat.models import Message
from conftest import PASSWORD
from home.tests.test_fuzz import FIXTURES_ARE_SHARED, HOSTILE, assert_answered
from learning.models import Enrollment, QuizAttempt, SubjectPage
from learning.models.progress import ModuleCompletion
from learning.tests.factories import DocumentFactory, ImageFactory

pytestmark = pytest.mark.django_db

#: Extra fields posted with a form: hostile names and values.
EXTRA = st.dictionaries(HOSTILE, HOSTILE, max_size=3)
#: Keys of the rich text editor's JSON (Draft.js content state), for JSON of hostile shapes.
JSON_KEYS = [
    "blocks", "entityMap", "text", "type", "key", "data", "inlineStyleRanges", "entityRanges",
    "offset", "length", "style", "depth", "mutability", "url", "x",
]  # fmt: skip


def browser(user=None):
    """A client that checks CSRF tokens, as a browser's posts are checked, with the token it
    got from a form page."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    client.get("/accounts/password_reset/")  # a form page for anyone: sets the CSRF cookie
    client.csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client


def post(client, url, data):
    response = client.post(url, {**data, "csrfmiddlewaretoken": client.csrf})
    assert_answered(response, url)
    assert response.status_code != 403, (url, "CSRF refused a valid token")
    return response


def text(value):
    """What a text field (``forms.CharField``) stores of a value it accepts."""
    return forms.CharField(required=False).clean(value)


# --- the site's own forms ------------------------------------------------------------------------


@FIXTURES_ARE_SHARED
@given(email=HOSTILE, uid=HOSTILE, token=HOSTILE, password=HOSTILE)
def test_hostile_password_reset_forms_never_get_a_server_error(
    student, email, uid, token, password
):
    mail.outbox.clear()
    client = browser()
    response = post(client, "/accounts/password_reset/", {"email": email})
    assert response.status_code in (200, 302)
    assert mail.outbox == []  # no account has that address

    url = f"/accounts/reset/{quote(uid, safe='')}/{quote(token, safe='')}/"
    assert_answered(client.get(url), url)

    link = (
        f"/accounts/reset/{urlsafe_base64_encode(force_bytes(student.pk))}/"
        f"{default_token_generator.make_token(student)}/"
    )
    set_password_url = client.get(link)["Location"]  # the token moves into the session
    student.refresh_from_db()
    before = student.password
    response = post(
        client, set_password_url, {"new_password1": password, "new_password2": password}
    )
    student.refresh_from_db()
    if response.status_code == 302:
        assert student.check_password(password)
    else:
        assert student.password == before


@FIXTURES_ARE_SHARED
@given(old=st.none() | HOSTILE, new1=HOSTILE, new2=st.none() | HOSTILE)
def test_hostile_password_change_never_gets_a_server_error(student, old, new1, new2):
    student.set_password(PASSWORD)
    student.save()
    client = browser(student)
    fields = {
        "old_password": PASSWORD if old is None else old,
        "new_password1": new1,
        "new_password2": new1 if new2 is None else new2,
    }
    response = post(client, "/accounts/password_change/", fields)
    student.refresh_from_db()
    if response.status_code == 302:
        assert student.check_password(new1)
    else:
        assert student.check_password(PASSWORD)


@FIXTURES_ARE_SHARED
@given(name=HOSTILE, extra=EXTRA)
def test_hostile_api_token_names_never_get_a_server_error(student, name, extra):
    APIToken.objects.filter(user=student).delete()
    client = browser(student)
    response = post(client, "/accounts/tokens/", {**extra, "name": name})
    if response.status_code == 302:
        token = APIToken.objects.get(user=student)
        assert token.name == text(name)
        response = post(client, f"/accounts/tokens/{token.pk}/revoke/", extra)
        assert response.status_code == 302
        token.refresh_from_db()
        assert token.revoked_at is not None
    else:
        assert response.status_code == 400
        assert not APIToken.objects.filter(user=student).exists()


@FIXTURES_ARE_SHARED
@given(extra=EXTRA, next_url=HOSTILE)
def test_hostile_extra_fields_on_the_course_actions_change_only_what_the_action_does(
    student, course, module, extra, next_url
):
    Enrollment.objects.filter(user=student).delete()
    client = browser(student)

    post(client, f"/learn/courses/{course.pk}/enroll/", extra)
    assert Enrollment.objects.filter(user=student, course=course).count() == 1
    post(client, f"/learn/modules/{module.pk}/complete/", extra)
    assert ModuleCompletion.objects.filter(user=student, module=module).count() == 1
    post(client, f"/learn/modules/{module.pk}/uncomplete/", extra)
    assert not ModuleCompletion.objects.filter(user=student, module=module).exists()
    post(client, f"/learn/courses/{course.pk}/leave/", extra)
    assert not Enrollment.objects.filter(user=student).exists()
    assert QuizAttempt.objects.count() == 0

    response = post(client, "/accounts/logout/", {**extra, "next": next_url})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@FIXTURES_ARE_SHARED
@given(password=HOSTILE, return_url=HOSTILE)
def test_hostile_page_passwords_never_get_a_server_error_nor_open_the_page(
    course, password, return_url
):
    restriction, _ = PageViewRestriction.objects.get_or_create(
        page=course, restriction_type=PageViewRestriction.PASSWORD, password="sesame"
    )
    client = browser()
    url = f"/_util/authenticate_with_password/{restriction.pk}/{course.pk}/"
    post(client, url, {"password": password, "return_url": return_url})
    key = PageViewRestriction.passed_view_restrictions_session_key
    assert restriction.pk not in client.session.get(key, [])


# --- the Wagtail admin's page forms --------------------------------------------------------------

#: A value for any posted key of an admin form: hostile text, or JSON of any shape (what the rich
#: text editor posts is JSON).
POSTED = st.one_of(
    HOSTILE,
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(JSON_KEYS), inner, max_size=3)
        ),
        max_leaves=8,
    ).map(json.dumps),
)


def tampered(keys):
    """Some of a form's posted keys (any of them, hidden ones too) with hostile values."""
    return st.dictionaries(st.sampled_from(keys), POSTED, max_size=2)


def page_form(fields, rich_text_name):
    """A page's form as the admin posts it: its fields, the rich text one as the editor's JSON."""
    fields = dict(fields)
    fields[rich_text_name] = rich_text(f"<p>{escape(fields[rich_text_name])}</p>")
    return nested_form_data({**fields, "comments": inline_formset([]), "action-publish": "1"})


def subject_form(values):
    fields = {
        "title": "Physics", "slug": "physics", "seo_title": "", "search_description": "",
        "intro": "Forces",
    }  # fmt: skip
    return page_form(fields | values, "intro")


def course_form(values):
    fields = {
        "title": "Calculus", "slug": "calculus", "seo_title": "", "search_description": "",
        "overview": "Limits", "level": "beginner", "duration_hours": "3", "image": "",
    }  # fmt: skip
    return page_form(fields | values, "overview")


#: Where a module's form takes text: its own fields and its body's blocks.
MODULE_SLOTS = [
    "title", "slug", "description", "text", "quiz_title", "quiz_intro", "pass_mark", "question",
    "choice", "explanation", "video_title", "video_url", "video_caption",
]  # fmt: skip


def module_form(values):
    """A module's form as the admin posts it, with a text, a quiz and a video in its body."""
    value = {
        "title": "Limits", "slug": "limits", "description": "About limits", "text": "Read this",
        "quiz_title": "Check", "quiz_intro": "", "pass_mark": "50", "question": "Which?",
        "choice": "This one", "explanation": "", "video_title": "Intro",
        "video_url": "https://youtu.be/dQw4w9WgXcQ", "video_caption": "",
    } | values  # fmt: skip
    choice = {"text": value["choice"], "correct": "on"}
    question = {
        "question": value["question"],
        "choices": streamfield([("item", choice), ("item", {"text": "Not this", "correct": ""})]),
        "explanation": value["explanation"],
    }
    quiz = {
        "title": value["quiz_title"], "intro": value["quiz_intro"],
        "pass_mark": value["pass_mark"], "questions": streamfield([("item", question)]),
    }  # fmt: skip
    video = {
        "title": value["video_title"], "url": value["video_url"], "file": "", "captions": "",
        "caption": value["video_caption"],
    }  # fmt: skip
    body = [("text", rich_text(f"<p>{escape(value['text'])}</p>")), ("quiz", quiz)]
    body.append(("video", video))
    fields = {"title": value["title"], "slug": value["slug"], "description": value["description"]}
    return nested_form_data(
        {**fields, "body": streamfield(body), "comments": inline_formset([]), "action-publish": "1"}
    )


SUBJECT_KEYS, COURSE_KEYS, MODULE_KEYS = (
    sorted(form({})) for form in (subject_form, course_form, module_form)
)
PROMOTE_FIELDS = ["title", "slug", "seo_title", "search_description"]


def assert_published_as_sent(client, response, page, data, revisions, fields):
    """An accepted form is published as it was sent, and the page renders; a refused one
    changes nothing. Returns the page if it was accepted."""
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code != 302:
        assert Revision.objects.count() == revisions
        return None
    page.refresh_from_db()
    assert page.live
    for name in fields:
        assert getattr(page, name) == text(data[name]), name
    assert_answered(client.get(page.url), page.url)
    return page


def admin_browser(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@FIXTURES_ARE_SHARED
@given(
    values=st.dictionaries(st.sampled_from([*PROMOTE_FIELDS, "intro"]), HOSTILE),
    keys=tampered(SUBJECT_KEYS),
)
@example(values={"intro": "a\x00b", "title": "a\x00b"}, keys={})  # PostgreSQL refuses NUL
@example(values={}, keys={"intro": "not JSON"})  # found: a 500 (the editor's json.loads)
@example(values={}, keys={"intro": '{"blocks": 1}'})  # found: a 500
def test_hostile_subject_forms_in_the_admin_never_get_a_server_error(editor, home, values, keys):
    client = admin_browser(editor)
    data = subject_form(values) | keys
    subjects, revisions = SubjectPage.objects.count(), Revision.objects.count()
    url = f"/admin/pages/add/learning/subjectpage/{home.pk}/"
    response = client.post(url, data)
    assert_answered(response, url)
    if response.status_code == 302:
        subject = SubjectPage.objects.order_by("-pk").first()
        assert_published_as_sent(client, response, subject, data, revisions, PROMOTE_FIELDS)
    else:
        assert (SubjectPage.objects.count(), Revision.objects.count()) == (subjects, revisions)


@FIXTURES_ARE_SHARED
@given(
    values=st.dictionaries(
        st.sampled_from([*PROMOTE_FIELDS, "overview", "level", "duration_hours", "image"]),
        HOSTILE,
    ),
    keys=tampered(COURSE_KEYS),
)
@example(values={"image": "'"}, keys={})  # found: a 500 (showing the form again)
@example(values={"overview": "a\x00b"}, keys={})  # PostgreSQL refuses NUL
@example(values={}, keys={"overview": "[]"})  # found: a 500 (the editor's JSON walked)
def test_hostile_course_forms_in_the_admin_never_get_a_server_error(
    instructor, course, values, keys
):
    client = admin_browser(instructor)
    data = course_form(values) | keys
    revisions = Revision.objects.count()
    url = f"/admin/pages/{course.pk}/edit/"
    response = client.post(url, data)
    assert_answered(response, url)
    if assert_published_as_sent(client, response, course, data, revisions, PROMOTE_FIELDS):
        assert course.level == data["level"]
        assert course.duration_hours == forms.IntegerField().clean(data["duration_hours"])


@FIXTURES_ARE_SHARED
@given(values=st.dictionaries(st.sampled_from(MODULE_SLOTS), HOSTILE), keys=tampered(MODULE_KEYS))
@example(values={"text": "a\x00b", "quiz_title": "a\x00b"}, keys={})  # PostgreSQL refuses NUL
# Found, each a 500: a count or an order that is no number, a count beyond the blocks sent, a
# block posted as another type (its keys missing), an editor's value that is not its JSON.
@example(values={}, keys={"body-count": "abc"})
@example(values={}, keys={"body-0-order": "x"})
@example(values={}, keys={"body-count": "5"})
@example(values={}, keys={"body-0-type": "quiz"})
@example(values={}, keys={"body-0-value": "not JSON"})
@example(values={}, keys={"body-1-value-questions-0-value-choices-count": "-"})
def test_hostile_module_forms_in_the_admin_never_get_a_server_error(
    instructor, module, values, keys
):
    client = admin_browser(instructor)
    data = module_form(values) | keys
    revisions = Revision.objects.count()
    url = f"/admin/pages/{module.pk}/edit/"
    response = client.post(url, data)
    assert_answered(response, url)
    fields = ["title", "slug", "description"]
    stored = assert_published_as_sent(client, response, module, data, revisions, fields)
    quizzes = [block.value for block in stored.body if block.block_type == "quiz"] if stored else []
    for quiz in quizzes:  # unless a tampered type or "deleted" dropped it
        question = quiz["questions"][0]
        assert quiz["title"] == text(data["body-1-value-title"])
        assert quiz["pass_mark"] == forms.IntegerField().clean(data["body-1-value-pass_mark"])
        assert question["question"] == text(data["body-1-value-questions-0-value-question"])
        choice = data["body-1-value-questions-0-value-choices-0-value-text"]
        assert question["choices"][0]["text"] == text(choice)


# --- the Wagtail admin's listings and their filters ----------------------------------------------

ADMIN_PARAMETERS = {
    "/admin/pages/search/": ["q", "p", "ordering", "content_type", "locale"],
    "/admin/pages/{course}/": ["q", "p", "ordering", "page_type", "owner", "has_child_pages"],
    "/admin/learning/enrollment/": ["q", "course", "o", "p", "export"],
    "/admin/learning/quizattempt/": ["q", "course", "passed__exact", "o", "p", "export"],
    "/admin/chat/message/": ["q", "course", "o", "p", "export"],
    "/admin/learning/reports/{course}/": ["format"],
    "/admin/images/": ["q", "p", "ordering", "collection_id", "tag"],
    "/admin/documents/": ["q", "p", "ordering", "collection_id", "tag"],
}


@pytest.mark.parametrize("path", ADMIN_PARAMETERS)
@FIXTURES_ARE_SHARED
@given(values=st.dictionaries(st.integers(min_value=0, max_value=5), HOSTILE, min_size=1))
@example(values={4: "9" * 30})  # the explorer's ?owner= (found: SQLite cannot take the id)
def test_hostile_admin_search_and_filter_parameters_never_get_a_server_error(
    instructor, course, enrolled_student, path, values
):
    names = ADMIN_PARAMETERS[path]
    parameters = {names[index % len(names)]: value for index, value in values.items()}
    client = admin_browser(instructor)
    url = path.format(course=course.pk)
    before = (Enrollment.objects.count(), Message.objects.count())
    assert_answered(client.get(url, parameters), f"{url}?{parameters!r}")
    assert (Enrollment.objects.count(), Message.objects.count()) == before


@FIXTURES_ARE_SHARED
@given(extra=EXTRA)
def test_hostile_posts_to_the_learning_and_chat_admin_change_only_what_they_may(
    instructor, course, enrolled_student, extra
):
    client = admin_browser(instructor)
    message = Message.objects.create(course=course, author=enrolled_student, text="Hello")
    enrollment = Enrollment.objects.get(user=enrolled_student, course=course)
    for url in [
        "/admin/learning/enrollment/create/",
        f"/admin/learning/enrollment/edit/{enrollment.pk}/",
        f"/admin/learning/enrollment/delete/{enrollment.pk}/",
        "/admin/chat/message/create/",
    ]:
        before = (Enrollment.objects.count(), Message.objects.count())
        assert_answered(client.post(url, extra), url)
        assert (Enrollment.objects.count(), Message.objects.count()) == before, url
    url = f"/admin/chat/message/delete/{message.pk}/"
    assert_answered(client.post(url, extra), url)
    assert not Message.objects.filter(pk=message.pk).exists()  # a moderator's delete


# --- the image and document admins --------------------------------------------------------------

IMAGE_FIELDS = [
    "title", "description", "collection", "tags", "focal_point_x", "focal_point_y",
    "focal_point_width", "focal_point_height",
]  # fmt: skip


@pytest.fixture
def uploads(instructor):
    """An image and a document the instructor uploaded (so may edit)."""
    root = Collection.get_first_root_node()  # where instructors may upload
    return (
        ImageFactory(title="Diagram", uploaded_by_user=instructor, collection=root),
        DocumentFactory(title="Diagram", uploaded_by_user=instructor, collection=root),
    )


@FIXTURES_ARE_SHARED
@given(values=st.dictionaries(st.sampled_from(IMAGE_FIELDS), HOSTILE))
def test_hostile_image_and_document_forms_never_get_a_server_error(instructor, uploads, values):
    client = admin_browser(instructor)
    image, document = uploads
    collection = str(Collection.get_first_root_node().pk)
    fields = {"title": "Diagram", "description": "", "collection": collection, "tags": ""}
    for obj, url, names in [
        (image, f"/admin/images/{image.pk}/", IMAGE_FIELDS),
        (document, f"/admin/documents/edit/{document.pk}/", ["title", "collection", "tags"]),
    ]:
        data = fields | {name: value for name, value in values.items() if name in names}
        before = obj.title
        response = client.post(url, data)
        assert_answered(response, url)
        obj.refresh_from_db()
        assert obj.title == (text(data["title"]) if response.status_code == 302 else before)


# --- the user and group admins -------------------------------------------------------------------

USER_FIELDS = ["username", "email", "first_name", "last_name", "password1", "password2"]


@FIXTURES_ARE_SHARED
@given(
    values=st.dictionaries(st.sampled_from(USER_FIELDS), HOSTILE),
    groups=st.lists(HOSTILE, max_size=2),
    group_name=HOSTILE,
    search=HOSTILE,
)
@example(values={}, groups=["9" * 30], group_name="", search="")  # found: SQLite cannot take the id
def test_hostile_user_and_group_admin_forms_never_get_a_server_error(
    superuser, values, groups, group_name, search
):
    from wagtail.users.forms import UserCreationForm

    client = admin_browser(superuser)
    User = get_user_model()
    data = {
        "username": "newcomer", "email": "newcomer@example.com", "first_name": "New",
        "last_name": "Comer", "password1": "a-long-new-password", "is_active": "on",
    } | values  # fmt: skip
    data.setdefault("password2", data["password1"])
    users = User.objects.count()
    response = client.post("/admin/users/add/", {**data, "groups": groups})
    assert_answered(response, "/admin/users/add/")
    if response.status_code == 302:
        user = User.objects.order_by("-pk").first()
        fields = UserCreationForm().fields
        assert user.username == fields["username"].clean(data["username"])
        assert user.email == fields["email"].clean(data["email"])
        assert user.check_password(data["password1"])
        user.delete()
    else:
        assert User.objects.count() == users
    assert_answered(client.get("/admin/users/", {"q": search}), "/admin/users/")

    count = Group.objects.count()
    url = "/django-admin/auth/group/add/"
    response = client.post(url, {"name": group_name, "permissions": groups})
    assert_answered(response, url)
    if response.status_code == 302:
        assert Group.objects.filter(name=text(group_name)).exists()
    else:
        assert Group.objects.count() == count
    url = "/django-admin/auth/group/"
    assert_answered(client.get(url, {"q": search}), url)
