"""The Wagtail API v2 of the learning site, as docs/api.md describes it.

Public endpoints (subjects, courses, Wagtail's pages) show live, public pages and never a
module's body; ``courses/<id>/contents/`` shows the bodies to the course's people only.
"""

import base64
import json

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from conftest import PASSWORD, make_user
from learning.models import CoursePage, Enrollment, ModuleCompletion
from learning.tests import factories
from learning.tests.quiz_data import quiz_value

pytestmark = pytest.mark.django_db

# A word that appears in a module body and nowhere else.
BODY_WORD = "Zanzibarification"
SECRET = f"The {BODY_WORD} of epsilon and delta"


def basic(user):
    credentials = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {credentials}"}


def get_json(client, url, status=200, **headers):
    response = client.get(url, **headers)
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def secret_module(module):
    module.body = [{"type": "text", "value": f"<p>{SECRET}</p>"}]
    module.description = "Public summary of the module."
    module.save_revision().publish()
    return module


# --- subjects ------------------------------------------------------------------------------------


def test_subjects_list_counts_only_live_public_courses(client, subject, course, other_course):
    draft = factories.CoursePageFactory(parent=subject, live=False)
    assert not draft.live
    restricted = factories.CoursePageFactory(parent=subject)
    PageViewRestriction.objects.create(page=restricted, restriction_type="login")
    data = get_json(client, "/api/v2/subjects/")
    assert data["meta"]["total_count"] == 1
    [item] = data["items"]
    assert item["id"] == subject.pk
    assert item["title"] == "Mathematics"
    assert item["meta"]["slug"] == "mathematics"
    assert item["course_count"] == 2


def test_subject_with_no_course_has_a_course_count_of_zero(client, home):
    factories.SubjectPageFactory(parent=home, title="Empty")
    [item] = get_json(client, "/api/v2/subjects/")["items"]
    assert item["course_count"] == 0


def test_subject_detail_has_its_intro_and_course_count(client, subject, course):
    data = get_json(client, f"/api/v2/subjects/{subject.pk}/")
    assert data["intro"] == "<p>A subject.</p>"
    assert data["course_count"] == 1


# --- courses -------------------------------------------------------------------------------------


@pytest.fixture
def full_course(course, instructor):
    """The ``course`` with an image, an overview, a level and three modules, one of them a draft."""
    course.image = factories.ImageFactory(
        title="Calculus cover", file__width=1920, file__height=1080
    )
    course.overview = "<p>Derivatives and integrals.</p>"
    course.level = CoursePage.Level.INTERMEDIATE
    course.duration_hours = 12
    course.save_revision().publish()
    for title in ["Limits", "Derivatives"]:
        factories.ModulePageFactory(parent=course, title=title, owner=instructor)
    factories.ModulePageFactory(parent=course, title="Unfinished draft", live=False)
    factories.ModulePageFactory(parent=course, title="Integrals", owner=instructor)
    course.refresh_from_db()
    return course


def assert_is_course_representation(item, course, subject):
    assert item["id"] == course.pk
    assert item["title"] == "Calculus"
    assert item["subject"] == {"id": subject.pk, "title": "Mathematics", "slug": "mathematics"}
    assert item["instructor"] == {"name": "Ida Instructor"}
    assert item["level"] == "intermediate"
    assert item["duration_hours"] == 12
    assert item["overview"] == "<p>Derivatives and integrals.</p>"
    assert [module["title"] for module in item["modules"]] == ["Limits", "Derivatives", "Integrals"]
    thumbnail, large = item["image"]["thumbnail"], item["image"]["large"]
    assert (thumbnail["width"], thumbnail["height"]) == (480, 270)
    assert (large["width"], large["height"]) == (960, 540)
    assert thumbnail["url"].startswith("/media/images/")
    assert large["url"] != thumbnail["url"]


def test_course_detail_has_every_documented_field(client, full_course, subject):
    data = get_json(client, f"/api/v2/courses/{full_course.pk}/")
    assert_is_course_representation(data, full_course, subject)


def test_course_list_items_have_every_documented_field(client, full_course, subject):
    data = get_json(client, "/api/v2/courses/")
    [item] = data["items"]
    assert_is_course_representation(item, full_course, subject)


def test_course_modules_are_in_tree_order_after_a_move(client, full_course):
    integrals = full_course.get_children().get(title="Integrals")
    limits = full_course.get_children().get(title="Limits")
    integrals.move(limits, pos="left")
    data = get_json(client, f"/api/v2/courses/{full_course.pk}/")
    assert [m["title"] for m in data["modules"]] == ["Integrals", "Limits", "Derivatives"]


def test_course_without_image_has_a_null_image(client, course):
    assert get_json(client, f"/api/v2/courses/{course.pk}/")["image"] is None


def test_instructor_username_and_email_appear_on_no_public_endpoint(client, subject):
    owner = make_user("secretlogin7", first_name="Pat", last_name="Public")
    course = factories.CoursePageFactory(parent=subject, title="Geometry", owner=owner)
    factories.ModulePageFactory(parent=course, owner=owner)
    urls = [
        "/api/v2/courses/",
        f"/api/v2/courses/{course.pk}/",
        "/api/v2/courses/?fields=*",
        f"/api/v2/courses/{course.pk}/?fields=*",
        "/api/v2/subjects/?fields=*",
        "/api/v2/pages/?fields=*",
        "/api/v2/pages/?type=learning.CoursePage&fields=*",
        f"/api/v2/pages/{course.pk}/",
    ]
    assert get_json(client, urls[1])["instructor"] == {"name": "Pat Public"}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert "secretlogin7" not in text, url
        assert "@example.com" not in text, url
        assert '"email"' not in text and '"username"' not in text, url


def test_instructor_without_a_full_name_is_shown_by_a_display_name(client, subject):
    owner = make_user("nameless")
    course = factories.CoursePageFactory(parent=subject, owner=owner)
    data = get_json(client, f"/api/v2/courses/{course.pk}/")
    assert set(data["instructor"]) == {"name"}
    assert data["instructor"]["name"]


def test_courses_filter_by_subject_id(client, home, subject, course, instructor):
    physics = factories.SubjectPageFactory(parent=home, title="Physics", slug="physics")
    factories.CoursePageFactory(parent=physics, title="Mechanics", owner=instructor)
    data = get_json(client, f"/api/v2/courses/?subject={subject.pk}")
    assert [item["title"] for item in data["items"]] == ["Calculus"]
    assert data["meta"]["total_count"] == 1


def test_courses_filter_by_subject_slug(client, home, subject, course, instructor):
    physics = factories.SubjectPageFactory(parent=home, title="Physics", slug="physics")
    factories.CoursePageFactory(parent=physics, title="Mechanics", owner=instructor)
    data = get_json(client, "/api/v2/courses/?subject=physics")
    assert [item["title"] for item in data["items"]] == ["Mechanics"]


def test_courses_filter_by_level(client, subject, course, instructor):
    factories.CoursePageFactory(
        parent=subject, title="Topology", level=CoursePage.Level.ADVANCED, owner=instructor
    )
    data = get_json(client, "/api/v2/courses/?level=advanced")
    assert [item["title"] for item in data["items"]] == ["Topology"]
    data = get_json(client, "/api/v2/courses/?level=beginner&subject=mathematics")
    assert [item["title"] for item in data["items"]] == ["Calculus"]


def test_courses_search_finds_words_of_the_overview(client, subject, course, instructor):
    factories.CoursePageFactory(
        parent=subject, title="Statistics", overview="<p>Regression and variance.</p>"
    )
    data = get_json(client, "/api/v2/courses/?search=regression")
    assert [item["title"] for item in data["items"]] == ["Statistics"]


def test_courses_paginate_with_limit_offset_and_total_count(client, subject, instructor):
    for number in range(5):
        factories.CoursePageFactory(parent=subject, title=f"Course {number}", owner=instructor)
    first = get_json(client, "/api/v2/courses/?limit=2&offset=0&order=title")
    later = get_json(client, "/api/v2/courses/?limit=2&offset=4&order=title")
    assert first["meta"]["total_count"] == later["meta"]["total_count"] == 5
    assert [item["title"] for item in first["items"]] == ["Course 0", "Course 1"]
    assert [item["title"] for item in later["items"]] == ["Course 4"]


def test_courses_limit_of_fifty_is_accepted(client, course):
    assert get_json(client, "/api/v2/courses/?limit=50")["meta"]["total_count"] == 1


def test_courses_fields_can_be_removed(client, full_course):
    [item] = get_json(client, "/api/v2/courses/?fields=-image,-overview")["items"]
    assert "image" not in item and "overview" not in item
    assert item["modules"]


# --- bad parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/courses/?fields=body",
        "/api/v2/courses/?fields=owner",
        "/api/v2/pages/?type=learning.ModulePage&fields=body",
        "/api/v2/pages/?type=learning.NoSuchPage",
        "/api/v2/pages/?type=nonsense",
        "/api/v2/courses/?order=nope",
        "/api/v2/courses/?order=-body",
        "/api/v2/courses/?limit=1000",
        "/api/v2/courses/?limit=51",
        "/api/v2/courses/?limit=abc",
        "/api/v2/courses/?limit=-1",
        "/api/v2/courses/?offset=abc",
        "/api/v2/courses/?subject=nope",
        "/api/v2/courses/?subject=999999",
        "/api/v2/courses/?subject=%C2%B2",  # "²": str.isdigit() says yes, int() says no
        "/api/v2/courses/?subject=99999999999999999999999999",
        "/api/v2/courses/?level=wizard",
        "/api/v2/courses/?nonsense=1",
        "/api/v2/subjects/?subject=mathematics",
        "/api/v2/subjects/?limit=1000",
        "/api/v2/pages/?limit=1000",
        "/api/v2/courses/?search=x&search_operator=xor",
        "/api/v2/pages/?search=x&search_operator=xor",
        "/api/v2/images/?search=x&search_operator=xor",
        "/api/v2/courses/?child_of=abc",
        "/api/v2/courses/?child_of=999999",
    ],
)
def test_bad_parameter_is_a_400_with_a_message(client, course, url):
    response = client.get(url)
    assert response.status_code == 400, response.content
    assert response.json()["message"]


# --- me/enrollments ------------------------------------------------------------------------------


def test_my_enrollments_lists_courses_with_progress(
    client, enrolled_student, course, module, instructor
):
    factories.ModulePageFactory(parent=course, owner=instructor)
    ModuleCompletion.objects.create(user=enrolled_student, module=module)
    data = get_json(client, "/api/v2/me/enrollments/", **basic(enrolled_student))
    assert data["meta"]["total_count"] == 1
    [item] = data["items"]
    assert item["course"]["id"] == course.pk
    assert item["course"]["title"] == "Calculus"
    assert item["course"]["html_url"].endswith(course.url)
    assert item["progress"] == {"completed_modules": 1, "total_modules": 2, "percent": 50}
    assert item["enrolled_at"]
    assert item["completed_at"] is None


def test_my_enrollments_lists_only_my_own_courses(
    client, enrolled_student, other_course, other_instructor
):
    Enrollment.objects.create(user=other_instructor, course=other_course)
    data = get_json(client, "/api/v2/me/enrollments/", **basic(enrolled_student))
    assert [item["course"]["title"] for item in data["items"]] == ["Calculus"]


def test_my_enrollments_needs_credentials(client):
    response = client.get("/api/v2/me/enrollments/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'


def test_wrong_password_gets_401(client, student):
    credentials = base64.b64encode(b"student:wrong").decode()
    response = client.get("/api/v2/me/enrollments/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 401


def test_my_enrollments_works_with_a_session(client, enrolled_student):
    client.force_login(enrolled_student)
    assert get_json(client, "/api/v2/me/enrollments/")["meta"]["total_count"] == 1


# --- enroll and un-enroll ------------------------------------------------------------------------


def test_enroll_is_201_then_200_and_enrolls_once(client, student, course):
    url = f"/api/v2/courses/{course.pk}/enroll/"
    first = client.post(url, **basic(student))
    again = client.post(url, **basic(student))
    assert first.status_code == 201
    assert first.json() == {"enrolled": True, "course": {"id": course.pk, "title": "Calculus"}}
    assert again.status_code == 200
    assert Enrollment.objects.filter(user=student, course=course).count() == 1


def test_unenroll_is_204_and_removes_the_enrollment(client, enrolled_student, course):
    response = client.delete(f"/api/v2/courses/{course.pk}/enroll/", **basic(enrolled_student))
    assert response.status_code == 204
    assert not Enrollment.objects.filter(user=enrolled_student, course=course).exists()


def test_enroll_without_credentials_is_401_with_a_challenge(client, course):
    response = client.post(f"/api/v2/courses/{course.pk}/enroll/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'
    assert not Enrollment.objects.exists()


def test_enroll_in_a_draft_course_is_404(client, student, subject):
    draft = factories.CoursePageFactory(parent=subject, live=False)
    response = client.post(f"/api/v2/courses/{draft.pk}/enroll/", **basic(student))
    assert response.status_code == 404
    assert not Enrollment.objects.exists()


def test_enroll_in_a_module_id_is_404(client, student, module):
    response = client.post(f"/api/v2/courses/{module.pk}/enroll/", **basic(student))
    assert response.status_code == 404
    assert not Enrollment.objects.exists()


def test_enroll_with_a_session_needs_the_csrf_token(student, course):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    url = f"/api/v2/courses/{course.pk}/enroll/"
    refused = browser.post(url)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    assert not Enrollment.objects.exists()

    token = "a" * 32
    browser.cookies[settings.CSRF_COOKIE_NAME] = token
    accepted = browser.post(url, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201
    assert Enrollment.objects.filter(user=student, course=course).exists()


def test_unenroll_with_a_session_needs_the_csrf_token(enrolled_student, course):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(enrolled_student)
    response = browser.delete(f"/api/v2/courses/{course.pk}/enroll/")
    assert response.status_code == 403
    assert Enrollment.objects.filter(user=enrolled_student, course=course).exists()


def test_basic_auth_needs_no_csrf_token(student, course):
    api_client = Client(enforce_csrf_checks=True)
    response = api_client.post(f"/api/v2/courses/{course.pk}/enroll/", **basic(student))
    assert response.status_code == 201


# --- contents ------------------------------------------------------------------------------------


@pytest.fixture
def reader(request, db, student, instructor, other_instructor, editor, superuser, course):
    role = request.param
    if role == "enrolled":
        Enrollment.objects.create(user=student, course=course)
        return student
    return {
        "non-enrolled": student,
        "instructor of the course": instructor,
        "another instructor": other_instructor,
        "editor": editor,
        "superuser": superuser,
    }[role]


@pytest.mark.parametrize(
    "reader", ["enrolled", "instructor of the course", "editor", "superuser"], indirect=True
)
def test_contents_are_readable_by(client, reader, course, secret_module):
    data = get_json(client, f"/api/v2/courses/{course.pk}/contents/", **basic(reader))
    assert data["id"] == course.pk
    [module] = data["modules"]
    assert module["title"] == "Limits"
    assert module["body"][0]["type"] == "text"
    assert SECRET in module["body"][0]["value"]


@pytest.mark.parametrize("reader", ["non-enrolled", "another instructor"], indirect=True)
def test_contents_are_403_for(client, reader, course, secret_module):
    response = client.get(f"/api/v2/courses/{course.pk}/contents/", **basic(reader))
    assert response.status_code == 403
    assert BODY_WORD not in response.content.decode()


def test_contents_are_401_with_a_challenge_for_anonymous_clients(client, course, secret_module):
    response = client.get(f"/api/v2/courses/{course.pk}/contents/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'
    assert BODY_WORD not in response.content.decode()


def test_contents_are_403_for_a_former_student(client, enrolled_student, course, secret_module):
    client.delete(f"/api/v2/courses/{course.pk}/enroll/", **basic(enrolled_student))
    response = client.get(f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled_student))
    assert response.status_code == 403


def test_contents_leave_out_a_module_restricted_to_another_group(
    client, enrolled_student, course, secret_module
):
    from django.contrib.auth.models import Group

    hidden = factories.ModulePageFactory(parent=course, title="Editors only")
    restriction = PageViewRestriction.objects.create(page=hidden, restriction_type="groups")
    restriction.groups.add(Group.objects.get(name="Editors"))
    data = get_json(client, f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled_student))
    assert [module["title"] for module in data["modules"]] == ["Limits"]


def test_contents_include_a_login_restricted_module_for_an_enrolled_student(
    client, enrolled_student, course, secret_module
):
    PageViewRestriction.objects.create(page=secret_module, restriction_type="login")
    data = get_json(client, f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled_student))
    assert [module["title"] for module in data["modules"]] == ["Limits"]


def test_contents_list_live_modules_in_order_without_drafts(client, enrolled_student, course):
    factories.ModulePageFactory(parent=course, title="First")
    factories.ModulePageFactory(parent=course, title="Draft", live=False)
    factories.ModulePageFactory(parent=course, title="Second")
    data = get_json(client, f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled_student))
    assert [module["title"] for module in data["modules"]] == ["First", "Second"]


def test_contents_show_the_published_body_not_a_newer_draft(
    client, enrolled_student, course, secret_module
):
    secret_module.body = [{"type": "text", "value": "<p>Work in progress</p>"}]
    secret_module.save_revision()  # not published
    data = get_json(client, f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled_student))
    body = json.dumps(data)
    assert BODY_WORD in body
    assert "Work in progress" not in body


@pytest.fixture
def rich_module(module):
    image = factories.ImageFactory(title="A graph", file__width=1600, file__height=900)
    handout = factories.DocumentFactory(title="Handout", filename="limits.pdf")
    clip = factories.DocumentFactory(title="Clip", filename="clip.mp4", content=b"\x00video")
    captions = factories.DocumentFactory(title="Captions", filename="clip.vtt", content=b"WEBVTT\n")
    module.body = [
        {"type": "text", "value": '<p>Read <a href="https://example.com">this</a>.</p>'},
        {
            "type": "image",
            "value": {"image": image.pk, "alt_text": "A curve near zero", "caption": "Fig. 1"},
        },
        {
            "type": "file",
            "value": {"document": handout.pk, "title": "", "description": "Exercises"},
        },
        {
            "type": "video",
            "value": {
                "title": "Intro",
                "url": "https://youtu.be/dQw4w9WgXcQ",
                "file": None,
                "caption": "",
            },
        },
        {
            "type": "video",
            "value": {
                "title": "Local",
                "url": "",
                "file": clip.pk,
                "captions": captions.pk,
                "caption": "",
            },
        },
        {"type": "quiz", "id": "quiz-1", "value": quiz_value()},
    ]
    module.save_revision().publish()
    module.refresh_from_db()
    module.documents = {"handout": handout, "clip": clip, "captions": captions}
    module.image = image
    return module


@pytest.fixture
def contents_body(client, enrolled_student, course, rich_module):
    data = get_json(client, f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled_student))
    [module] = data["modules"]
    assert module["description"] == rich_module.description
    assert module["html_url"].endswith(rich_module.url)
    for item in module["body"]:
        assert set(item) == {"type", "value", "id"}
    return module["body"]


def test_contents_text_block_is_html(contents_body):
    text = contents_body[0]
    assert text["type"] == "text"
    assert text["value"] == '<p>Read <a href="https://example.com">this</a>.</p>'


def test_contents_image_block_has_alt_text_caption_and_renditions(contents_body, rich_module):
    image = contents_body[1]["value"]
    assert image["alt_text"] == "A curve near zero"
    assert image["caption"] == "Fig. 1"
    assert image["image"]["id"] == rich_module.image.pk
    renditions = image["image"]["renditions"]
    assert set(renditions) == {"small", "medium", "large"}
    for rendition in renditions.values():
        assert rendition["url"].startswith("/media/images/")
        assert rendition["width"] and rendition["height"]
    assert (renditions["small"]["width"], renditions["small"]["height"]) == (400, 225)
    assert renditions["medium"]["width"] == 800
    assert renditions["large"]["width"] == 1200


def test_contents_file_block_has_a_download_url(contents_body, rich_module):
    handout = rich_module.documents["handout"]
    value = contents_body[2]["value"]
    assert value["title"] == "Handout"  # the document's title, as the block's is empty
    assert value["description"] == "Exercises"
    document = value["document"]
    assert document["download_url"] == handout.url
    assert document["download_url"].startswith(f"/documents/{handout.pk}/limits")
    assert document["file_extension"] == "pdf"
    assert document["file_size"] == len(b"%PDF-1.4\n% test document\n")


def test_contents_video_block_from_youtube_has_a_privacy_friendly_embed_url(contents_body):
    value = contents_body[3]["value"]
    assert value["title"] == "Intro"
    assert value["caption"] == ""
    assert value["provider"] == "youtube"
    assert value["url"] == "https://youtu.be/dQw4w9WgXcQ"
    assert value["embed_url"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"
    assert value["file"] is None


def test_contents_video_block_from_a_file_has_its_download_url(contents_body, rich_module):
    clip = rich_module.documents["clip"]
    value = contents_body[4]["value"]
    assert value["provider"] == "file"
    assert value["url"] == value["embed_url"] == ""
    assert value["file"]["download_url"] == clip.url
    assert value["file"]["download_url"].startswith(f"/documents/{clip.pk}/clip")
    assert value["file"]["mime_type"] == "video/mp4"
    assert value["captions"]["download_url"] == rich_module.documents["captions"].url


def test_contents_quiz_block_has_questions_and_choices(contents_body):
    quiz = contents_body[5]
    assert quiz["id"] == "quiz-1"
    assert quiz["value"]["title"] == "Limits quiz"
    assert quiz["value"]["pass_mark"] == 100
    first, second = quiz["value"]["questions"]
    assert first["text"] == "What is the limit of 1/x as x grows?"
    assert first["choices"] == ["Zero-ish answer", "Infinity-ish answer"]
    assert first["multiple"] is False
    assert second["multiple"] is True


def test_contents_quiz_block_never_reveals_the_answers(contents_body):
    quiz = json.dumps(contents_body[5])
    assert "correct" not in quiz
    assert "true" not in quiz.replace('"multiple": true', "")
    assert "explanation" not in quiz
    assert "It shrinks towards zero" not in quiz


def test_contents_of_blocks_with_deleted_media_do_not_fail(
    client, enrolled_student, course, rich_module
):
    rich_module.image.delete()
    for document in rich_module.documents.values():
        document.delete()
    data = get_json(client, f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled_student))
    body = data["modules"][0]["body"]
    assert body[1]["value"]["image"] is None
    assert body[2]["value"]["document"] is None


# --- module bodies are on no public endpoint -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/pages/?type=learning.ModulePage&fields=*",
        "/api/v2/pages/?fields=*",
        "/api/v2/pages/{module}/?fields=*",
        "/api/v2/pages/{module}/",
        "/api/v2/courses/?fields=*",
        "/api/v2/courses/{course}/?fields=*",
        "/api/v2/subjects/?fields=*",
        "/api/v2/pages/?search={word}",
        "/api/v2/pages/?search={word}&fields=*",
        "/api/v2/pages/?type=learning.ModulePage&search={word}&fields=*",
        "/api/v2/courses/?search={word}&fields=*",
        "/api/v2/subjects/?search={word}&fields=*",
        "/api/v2/pages/find/?html_path={module_path}",
    ],
)
def test_module_body_is_on_no_public_endpoint(client, course, secret_module, url):
    url = url.format(
        module=secret_module.pk, course=course.pk, word=BODY_WORD, module_path=secret_module.url
    )
    response = client.get(url, follow=True)
    assert response.status_code == 200, response.content
    assert BODY_WORD not in response.content.decode()


def test_module_page_listing_shows_title_and_description_only(client, secret_module):
    data = get_json(client, "/api/v2/pages/?type=learning.ModulePage&fields=*")
    [item] = data["items"]
    assert item["title"] == "Limits"
    assert item["description"] == "Public summary of the module."
    assert "body" not in item


@pytest.mark.parametrize("endpoint", ["pages", "courses", "subjects"])
def test_searching_a_word_only_in_a_module_body_finds_nothing(
    client, course, secret_module, endpoint
):
    data = get_json(client, f"/api/v2/{endpoint}/?search={BODY_WORD}")
    assert data["items"] == []
    assert data["meta"]["total_count"] == 0


def test_searching_a_module_title_still_finds_the_module(client, secret_module):
    data = get_json(client, "/api/v2/pages/?search=Limits&type=learning.ModulePage")
    assert [item["id"] for item in data["items"]] == [secret_module.pk]
    data = get_json(client, "/api/v2/pages/?search=Limits")
    assert [item["id"] for item in data["items"]] == [secret_module.pk]


def test_searching_pages_still_finds_a_course_by_its_overview(client, subject, secret_module):
    factories.CoursePageFactory(parent=subject, title="Stats", overview="<p>Regression.</p>")
    data = get_json(client, "/api/v2/pages/?search=regression&order=title")
    assert [item["title"] for item in data["items"]] == ["Stats"]
    assert data["meta"]["total_count"] == 1


# --- drafts and view-restricted pages ------------------------------------------------------------


@pytest.fixture
def hidden_pages(subject, home, instructor):
    """A draft course, a login-restricted course, a course under a password-protected subject."""
    draft = factories.CoursePageFactory(parent=subject, title="Draft course", live=False)
    restricted = factories.CoursePageFactory(parent=subject, title="Members course")
    PageViewRestriction.objects.create(page=restricted, restriction_type="login")
    private_subject = factories.SubjectPageFactory(parent=home, title="Private subject")
    PageViewRestriction.objects.create(
        page=private_subject, restriction_type="password", password="hunter2"
    )
    under_private = factories.CoursePageFactory(parent=private_subject, title="Hidden course")
    modules = [
        factories.ModulePageFactory(parent=page, title=f"Module of {page.title}")
        for page in [restricted, under_private]
    ]
    return [draft, restricted, private_subject, under_private, *modules]


@pytest.mark.parametrize(
    ("url", "visible"),
    [
        ("/api/v2/courses/", "Calculus"),
        ("/api/v2/courses/?limit=50&fields=*", "Calculus"),
        ("/api/v2/subjects/?fields=*", "Mathematics"),
        ("/api/v2/pages/?limit=50", "Calculus"),
        ("/api/v2/pages/?type=learning.CoursePage&limit=50", "Calculus"),
        ("/api/v2/pages/?type=learning.ModulePage&limit=50", "Limits"),
        ("/api/v2/pages/?search=course&limit=50", "Calculus"),
    ],
)
def test_drafts_and_restricted_pages_are_absent_from_listings(
    client, module, hidden_pages, url, visible
):
    titles = [item["title"] for item in get_json(client, url)["items"]]
    assert visible in titles
    for page in hidden_pages:
        assert page.title not in titles


# A word that appears only in unpublished revisions.
DRAFT_WORD = "Quuxification"


@pytest.fixture
def unpublished_changes(subject, course, module):
    """Live subject, course and module, each with a newer revision that is not published."""
    subject.title = f"{DRAFT_WORD} subject"
    subject.intro = f"<p>{DRAFT_WORD} intro.</p>"
    subject.save_revision()
    course.title = f"{DRAFT_WORD} course"
    course.overview = f"<p>{DRAFT_WORD} overview.</p>"
    course.level = CoursePage.Level.ADVANCED
    course.duration_hours = 99
    course.save_revision()
    module.title = f"{DRAFT_WORD} module"
    module.description = f"{DRAFT_WORD} description."
    module.save_revision()
    for page in (subject, course, module):
        page.refresh_from_db()
        assert page.live and page.has_unpublished_changes
    return subject, course, module


@pytest.mark.parametrize(
    ("url", "visible"),
    [
        ("/api/v2/pages/?limit=50", "Calculus"),
        ("/api/v2/pages/?limit=50&fields=*", "Calculus"),
        ("/api/v2/pages/?type=learning.CoursePage&fields=*", "Calculus"),
        ("/api/v2/pages/?type=learning.SubjectPage&fields=*", "Mathematics"),
        ("/api/v2/pages/?type=learning.ModulePage&fields=*", "Limits"),
        ("/api/v2/pages/{course}/?fields=*", "Calculus"),
        ("/api/v2/pages/{subject}/?fields=*", "Mathematics"),
        ("/api/v2/pages/{module}/?fields=*", "Limits"),
        ("/api/v2/courses/", "Calculus"),
        ("/api/v2/courses/?fields=*", "Calculus"),
        ("/api/v2/courses/{course}/", "Calculus"),
        ("/api/v2/courses/?subject={subject}&fields=*", "Calculus"),
        ("/api/v2/subjects/", "Mathematics"),
        ("/api/v2/subjects/?fields=*", "Mathematics"),
        ("/api/v2/subjects/{subject}/", "Mathematics"),
    ],
)
def test_unpublished_changes_never_appear_to_anonymous_clients(
    client, unpublished_changes, url, visible
):
    subject, course, module = unpublished_changes
    url = url.format(subject=subject.pk, course=course.pk, module=module.pk)
    response = client.get(url)
    assert response.status_code == 200, response.content
    content = response.content.decode()
    assert visible in content
    assert DRAFT_WORD not in content


def test_live_values_are_served_while_a_change_is_unpublished(client, unpublished_changes):
    subject, course, module = unpublished_changes
    data = get_json(client, f"/api/v2/courses/{course.pk}/")
    assert data["title"] == "Calculus"
    assert data["overview"] == "<p>What this course covers.</p>"
    assert (data["level"], data["duration_hours"]) == ("beginner", 4)
    assert data["subject"]["title"] == "Mathematics"
    assert [m["title"] for m in data["modules"]] == ["Limits"]
    data = get_json(client, f"/api/v2/subjects/{subject.pk}/")
    assert (data["title"], data["intro"]) == ("Mathematics", "<p>A subject.</p>")


@pytest.mark.parametrize("endpoint", ["pages", "courses", "subjects"])
def test_searching_a_word_only_in_unpublished_changes_finds_nothing(
    client, unpublished_changes, endpoint
):
    data = get_json(client, f"/api/v2/{endpoint}/?search={DRAFT_WORD}")
    assert data["items"] == []
    assert data["meta"]["total_count"] == 0


def test_drafts_and_restricted_pages_are_not_found_by_id(client, hidden_pages):
    for page in hidden_pages:
        endpoint = {"SubjectPage": "subjects", "CoursePage": "courses"}.get(
            type(page.specific).__name__, "pages"
        )
        assert client.get(f"/api/v2/{endpoint}/{page.pk}/").status_code == 404, page.title
        assert client.get(f"/api/v2/pages/{page.pk}/").status_code == 404, page.title


def test_restricted_module_title_is_absent_from_its_public_course(client, course, module):
    hidden = factories.ModulePageFactory(parent=course, title="Members-only module")
    PageViewRestriction.objects.create(page=hidden, restriction_type="login")
    data = get_json(client, f"/api/v2/courses/{course.pk}/")
    assert [m["title"] for m in data["modules"]] == ["Limits"]


def test_live_course_under_an_unpublished_subject_is_absent(client, subject, course):
    subject.unpublish()
    assert get_json(client, "/api/v2/courses/")["items"] == []
    assert client.get(f"/api/v2/courses/{course.pk}/").status_code == 404


@pytest.mark.parametrize("by", ["pk", "slug"])
def test_restricted_subject_is_an_unknown_subject_filter(client, hidden_pages, by):
    private_subject = hidden_pages[2]
    response = client.get(f"/api/v2/courses/?subject={getattr(private_subject, by)}")
    assert response.status_code == 400
    assert "does not exist" in response.json()["message"]


# --- query counts --------------------------------------------------------------------------------

MAX_QUERIES = 15


def add_courses(subject, owner, count):
    for _ in range(count):
        course = factories.CoursePageFactory(
            parent=subject, owner=owner, image=factories.ImageFactory()
        )
        for _ in range(3):
            factories.ModulePageFactory(parent=course, owner=owner)


def count_queries(client, url):
    client.get(url)  # warm-up: image renditions are generated (and saved) on the first request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/api/v2/courses/", "/api/v2/courses/?fields=*", "/api/v2/subjects/?fields=*"]
)
def test_api_listing_queries_stay_flat_as_courses_grow(
    client, home, subject, instructor, url, django_assert_max_num_queries
):
    add_courses(subject, instructor, 2)
    few = count_queries(client, url)
    add_courses(subject, instructor, 6)
    factories.SubjectPageFactory(parent=home)
    many = count_queries(client, url)
    assert many == few
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url)


def test_course_detail_queries_stay_flat_as_modules_grow(
    client, subject, instructor, django_assert_max_num_queries
):
    course = factories.CoursePageFactory(
        parent=subject, owner=instructor, image=factories.ImageFactory()
    )
    url = f"/api/v2/courses/{course.pk}/"
    factories.ModulePageFactory(parent=course)
    few = count_queries(client, url)
    for _ in range(8):
        factories.ModulePageFactory(parent=course)
    many = count_queries(client, url)
    assert many == few
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url)


@pytest.mark.parametrize("kind", ["login", "groups", "password"])
def test_the_api_refuses_to_enroll_in_a_restricted_course_as_the_site_does(
    client, student, course, kind
):
    from django.contrib.auth.models import Group

    restriction = PageViewRestriction.objects.create(
        page=course, restriction_type=kind, password="sesame" if kind == "password" else ""
    )
    if kind == "groups":
        group = Group.objects.create(name="Insiders")
        restriction.groups.add(group)
        student.groups.add(group)  # even a member: the site's enroll view refuses it too
    response = client.post(f"/api/v2/courses/{course.pk}/enroll/", **basic(student))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert not Enrollment.objects.filter(user=student, course=course).exists()
    client.force_login(student)
    site = client.post(f"/learn/courses/{course.pk}/enroll/")
    assert site.status_code == 404


def api_base(client):
    """The base URL the API names its own endpoints with (``detail_url``)."""
    detail = get_json(client, "/api/v2/pages/?limit=1")["items"][0]["meta"]["detail_url"]
    return detail[: detail.index("/api/")]


@pytest.mark.parametrize("endpoint", ["pages", "courses"])
def test_html_url_is_on_the_same_base_as_detail_url(client, course, endpoint):
    data = get_json(client, f"/api/v2/{endpoint}/{course.pk}/")
    assert data["meta"]["html_url"] == api_base(client) + course.url


def test_contents_and_my_enrollments_name_pages_on_the_apis_base(
    client, enrolled_student, course, module
):
    base = api_base(client)
    contents = get_json(client, f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled_student))
    assert contents["modules"][0]["html_url"] == base + module.url
    mine = get_json(client, "/api/v2/me/enrollments/", **basic(enrolled_student))
    assert mine["items"][0]["course"]["html_url"] == base + course.url
