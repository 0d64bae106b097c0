"""A document used in a module body downloads only for the people who may read that module."""

import base64

import pytest
from django.test import Client

from conftest import PASSWORD
from learning.models import Enrollment
from learning.tests import factories

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.4\n% the module's handout\n"


def file_block(document):
    return {"type": "file", "value": {"document": document.pk, "title": "", "description": ""}}


@pytest.fixture
def handout(module):
    """A document that the ``module`` body uses in a file block."""
    document = factories.DocumentFactory(title="Handout", filename="handout.pdf", content=CONTENT)
    module.body = [file_block(document)]
    module.save_revision().publish()
    return document


def downloaded(response):
    return b"".join(response.streaming_content)


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


def test_anonymous_visitor_is_sent_to_log_in(client, handout):
    response = client.get(handout.url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={handout.url}"


@pytest.mark.parametrize(
    "reader", ["enrolled", "instructor of the course", "editor", "superuser"], indirect=True
)
def test_module_document_downloads_for(client, reader, handout):
    client.force_login(reader)
    response = client.get(handout.url)
    assert response.status_code == 200
    assert downloaded(response) == CONTENT


@pytest.mark.parametrize("reader", ["non-enrolled", "another instructor"], indirect=True)
def test_module_document_is_403_for(client, reader, handout):
    client.force_login(reader)
    response = client.get(handout.url)
    assert response.status_code == 403
    assert CONTENT not in response.content
    assert "Enroll in the course to download it" in response.content.decode()


def test_former_student_can_no_longer_download(client, enrolled_student, course, handout):
    client.force_login(enrolled_student)
    assert client.get(handout.url).status_code == 200
    Enrollment.objects.filter(user=enrolled_student).delete()
    assert client.get(handout.url).status_code == 403


def test_document_used_by_no_module_stays_public(client, module):
    document = factories.DocumentFactory(title="Syllabus", content=b"public syllabus")
    response = client.get(document.url)
    assert response.status_code == 200
    assert downloaded(response) == b"public syllabus"


def test_document_linked_from_module_text_is_protected(client, student, module):
    document = factories.DocumentFactory(title="Notes")
    module.body = [
        {
            "type": "text",
            "value": f'<p>See <a linktype="document" id="{document.pk}">the notes</a>.</p>',
        }
    ]
    module.save_revision().publish()
    assert client.get(document.url).status_code == 302
    client.force_login(student)
    assert client.get(document.url).status_code == 403


def test_video_file_and_its_captions_of_a_module_are_protected(client, student, module):
    clip = factories.DocumentFactory(title="Clip", filename="clip.mp4", content=b"\x00video")
    captions = factories.DocumentFactory(title="Captions", filename="clip.vtt", content=b"WEBVTT")
    video = {"title": "Clip", "url": "", "file": clip.pk, "captions": captions.pk, "caption": ""}
    module.body = [{"type": "video", "value": video}]
    module.save_revision().publish()
    client.force_login(student)
    assert client.get(clip.url).status_code == 403
    assert client.get(captions.url).status_code == 403


def test_document_shared_by_two_courses_downloads_for_a_student_of_either(
    client, student, other_course, other_module, handout
):
    other_module.body = [file_block(handout)]
    other_module.save_revision().publish()
    Enrollment.objects.create(user=student, course=other_course)
    client.force_login(student)
    response = client.get(handout.url)
    assert response.status_code == 200
    assert downloaded(response) == CONTENT


def test_document_removed_from_the_module_body_is_public_again(client, module, handout):
    module.body = [{"type": "text", "value": "<p>No handout any more.</p>"}]
    module.save_revision().publish()
    assert client.get(handout.url).status_code == 200


# --- the download_url of the contents API --------------------------------------------------------


def basic(user):
    credentials = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {credentials}"}


@pytest.fixture
def download_url(client, enrolled_student, course, handout):
    response = client.get(f"/api/v2/courses/{course.pk}/contents/", **basic(enrolled_student))
    assert response.status_code == 200
    [block] = response.json()["modules"][0]["body"]
    return block["value"]["document"]["download_url"]


def test_download_url_of_the_contents_api_works_for_the_enrolled_student(
    enrolled_student, download_url
):
    browser = Client()
    browser.force_login(enrolled_student)
    response = browser.get(download_url)
    assert response.status_code == 200
    assert downloaded(response) == CONTENT


def test_download_url_of_the_contents_api_is_403_for_a_non_enrolled_user(
    other_instructor, download_url
):
    browser = Client()
    browser.force_login(other_instructor)
    assert browser.get(download_url).status_code == 403


def test_download_url_of_the_contents_api_sends_anonymous_visitors_to_log_in(download_url):
    response = Client().get(download_url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


# --- API clients: a token or basic auth instead of the session --------------------------------
def bearer(user):
    from wagtail.models import APIToken

    return {"HTTP_AUTHORIZATION": f"Bearer {APIToken.create_token(user=user, name='app')[1]}"}


def test_download_url_of_the_contents_api_works_with_the_students_token_or_password(
    enrolled_student, download_url
):
    for credentials in (bearer(enrolled_student), basic(enrolled_student)):
        response = Client().get(download_url, **credentials)
        assert response.status_code == 200
        assert downloaded(response) == CONTENT


def test_download_url_is_403_with_the_token_of_someone_not_enrolled(other_instructor, download_url):
    response = Client().get(download_url, **bearer(other_instructor))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "header", ["Bearer wagtail_not-a-real-token", "Bearer", "Basic bm9ib2R5Om5vdGhpbmc="]
)
def test_download_url_is_401_with_wrong_credentials_and_never_sends_the_file(download_url, header):
    response = Client().get(download_url, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert CONTENT not in response.content


def test_download_url_is_401_with_a_revoked_token(enrolled_student, download_url):
    from wagtail.models import APIToken

    credentials = bearer(enrolled_student)
    APIToken.objects.filter(user=enrolled_student).update(revoked_at="2026-01-01T00:00:00Z")
    assert Client().get(download_url, **credentials).status_code == 401
