"""Instructors edit only their own courses, through every way the Wagtail admin offers.

Each refusal test checks both the response (403, or Wagtail's redirect to the dashboard with a
"permission" message) and that nothing changed in the database.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.models import Page, Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from learning.models import CoursePage, ModulePage, SubjectPage
from learning.tests import factories

pytestmark = pytest.mark.django_db


def course_form(title, slug, **extra):
    data = {
        "title": title,
        "slug": slug,
        "overview": rich_text(f"<p>Overview of {title}</p>"),
        "level": "beginner",
        "duration_hours": "3",
        "comments": inline_formset([]),
    }
    data.update(extra)
    return nested_form_data(data)


def module_form(title, slug, **extra):
    data = {
        "title": title,
        "slug": slug,
        "description": "About this module",
        "body": streamfield([("text", rich_text("<p>Module text</p>"))]),
        "comments": inline_formset([]),
    }
    data.update(extra)
    return nested_form_data(data)


def assert_refused(response):
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home"), response["Location"]
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert any("permission" in m for m in messages), messages
    else:
        assert response.status_code in (403, 404), response.status_code


def add_url(model, parent):
    return reverse(
        "wagtailadmin_pages:add",
        args=(model._meta.app_label, model._meta.model_name, parent.pk),
    )


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=(page.pk,))


def bulk_url(action, *pages):
    base = reverse("wagtail_bulk_action", args=("wagtailcore", "page", action))
    return base + "?" + "&".join(f"id={page.pk}" for page in pages)


# --- what an instructor can do -------------------------------------------------------------------


def test_instructor_creates_and_publishes_a_course_under_any_subject(client, instructor, subject):
    client.force_login(instructor)
    response = client.post(
        add_url(CoursePage, subject), course_form("Topology", "topology", **{"action-publish": "1"})
    )
    assert response.status_code == 302, response.content[:2000]
    course = CoursePage.objects.get(slug="topology")
    assert course.owner == instructor
    assert course.live
    assert course.get_parent().pk == subject.pk


def test_instructor_creates_a_module_under_their_own_course(client, instructor, course):
    client.force_login(instructor)
    response = client.post(
        add_url(ModulePage, course),
        module_form("Sequences", "sequences", **{"action-publish": "1"}),
    )
    assert response.status_code == 302, response.content[:2000]
    created = ModulePage.objects.child_of(course).get(slug="sequences")
    assert created.live
    assert created.body[0].block_type == "text"


def test_instructor_edits_and_previews_their_own_course(client, instructor, course):
    client.force_login(instructor)
    assert client.get(edit_url(course)).status_code == 200
    data = course_form("Calculus, revised", "calculus")
    preview = reverse("wagtailadmin_pages:preview_on_edit", args=(course.pk,))
    assert client.post(preview, data).json()["is_valid"] is True
    assert b"Calculus, revised" in client.get(preview).content
    response = client.post(edit_url(course), data)
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.draft_title == "Calculus, revised"
    assert course.title == "Calculus"  # a saved draft is not published


def test_instructor_unpublishes_and_deletes_their_own_module(client, instructor, module):
    client.force_login(instructor)
    client.post(reverse("wagtailadmin_pages:unpublish", args=(module.pk,)))
    module.refresh_from_db()
    assert not module.live
    client.post(reverse("wagtailadmin_pages:delete", args=(module.pk,)))
    assert not ModulePage.objects.filter(pk=module.pk).exists()


def test_instructor_edits_a_module_an_editor_added_to_their_course(
    client, instructor, editor, course
):
    module = factories.ModulePageFactory(parent=course, owner=editor)
    client.force_login(instructor)
    assert client.get(edit_url(module)).status_code == 200


def test_instructor_reorders_modules_of_their_own_course(client, instructor, course, module):
    second = factories.ModulePageFactory(parent=course, owner=instructor)
    client.force_login(instructor)
    url = reverse("wagtailadmin_pages:set_page_position", args=(second.pk,))
    assert client.post(url + "?position=0").status_code == 200
    assert list(ModulePage.objects.child_of(course).order_by("path")) == [second, module]


def test_instructor_deletes_a_module_an_editor_added_to_their_course(
    client, instructor, editor, course
):
    module = factories.ModulePageFactory(parent=course, owner=editor)
    client.force_login(instructor)
    client.post(reverse("wagtailadmin_pages:delete", args=(module.pk,)))
    assert not ModulePage.objects.filter(pk=module.pk).exists()


def test_instructor_reorders_a_module_an_editor_added_to_their_course(
    client, instructor, editor, course, module
):
    added = factories.ModulePageFactory(parent=course, owner=editor)
    client.force_login(instructor)
    url = reverse("wagtailadmin_pages:set_page_position", args=(added.pk,))
    client.post(url + "?position=0")
    assert list(ModulePage.objects.child_of(course).order_by("path")) == [added, module]


# --- what an instructor is refused on another instructor's course ------------------------------


def test_instructor_cannot_open_the_editor_of_another_instructors_course(
    client, instructor, other_course, other_module
):
    client.force_login(instructor)
    assert_refused(client.get(edit_url(other_course)))
    assert_refused(client.get(edit_url(other_module)))


def test_instructor_cannot_save_or_publish_another_instructors_course(
    client, instructor, other_course
):
    client.force_login(instructor)
    revisions = Revision.page_revisions.filter(object_id=str(other_course.pk)).count()
    for action in ({}, {"action-publish": "1"}):
        response = client.post(edit_url(other_course), course_form("Hijacked", "algebra", **action))
        assert_refused(response)
    other_course.refresh_from_db()
    assert other_course.title == other_course.draft_title == "Algebra"
    assert Revision.page_revisions.filter(object_id=str(other_course.pk)).count() == revisions


def test_instructor_cannot_add_a_module_under_another_instructors_course(
    client, instructor, other_course
):
    client.force_login(instructor)
    url = add_url(ModulePage, other_course)
    assert_refused(client.get(url))
    assert_refused(client.post(url, module_form("Intruder", "intruder", **{"action-publish": "1"})))
    assert not ModulePage.objects.filter(slug="intruder").exists()


def test_instructor_cannot_preview_another_instructors_module(client, instructor, other_module):
    client.force_login(instructor)
    url = reverse("wagtailadmin_pages:preview_on_edit", args=(other_module.pk,))
    assert_refused(client.post(url, module_form("Peek", "groups")))
    assert_refused(client.get(url))


def test_instructor_cannot_unpublish_another_instructors_course_or_module(
    client, instructor, other_course, other_module
):
    client.force_login(instructor)
    for page in (other_course, other_module):
        url = reverse("wagtailadmin_pages:unpublish", args=(page.pk,))
        assert_refused(client.get(url))
        assert_refused(client.post(url, {"include_descendants": "on"}))
        page.refresh_from_db()
        assert page.live


def test_instructor_cannot_delete_another_instructors_module_or_course(
    client, instructor, other_course, other_module
):
    client.force_login(instructor)
    for page in (other_module, other_course):
        assert_refused(client.post(reverse("wagtailadmin_pages:delete", args=(page.pk,))))
        assert Page.objects.filter(pk=page.pk).exists()


def test_instructor_cannot_move_another_instructors_course(client, instructor, home, other_course):
    elsewhere = factories.SubjectPageFactory(parent=home, title="Physics")
    client.force_login(instructor)
    url = reverse("wagtailadmin_pages:move_confirm", args=(other_course.pk, elsewhere.pk))
    assert_refused(client.post(url))
    other_course.refresh_from_db()
    assert other_course.get_parent().pk != elsewhere.pk


def test_instructor_cannot_move_their_module_into_another_instructors_course(
    client, instructor, module, other_course
):
    client.force_login(instructor)
    url = reverse("wagtailadmin_pages:move_confirm", args=(module.pk, other_course.pk))
    assert_refused(client.post(url))
    assert not ModulePage.objects.child_of(other_course).filter(pk=module.pk).exists()


def test_instructor_cannot_copy_another_instructors_course(
    client, instructor, subject, other_course, other_module
):
    client.force_login(instructor)
    url = reverse("wagtailadmin_pages:copy", args=(other_course.pk,))
    data = {
        "new_title": "Stolen",
        "new_slug": "stolen",
        "new_parent_page": str(subject.pk),
        "copy_subpages": "on",
        "publish_copies": "on",
    }
    assert_refused(client.post(url, data))
    assert not CoursePage.objects.filter(slug="stolen").exists()


def test_instructor_cannot_copy_their_module_into_another_instructors_course(
    client, instructor, module, other_course
):
    client.force_login(instructor)
    url = reverse("wagtailadmin_pages:copy", args=(module.pk,))
    data = {"new_title": "Copy", "new_slug": "copy", "new_parent_page": str(other_course.pk)}
    response = client.post(url, data)
    assert not ModulePage.objects.child_of(other_course).filter(slug="copy").exists()
    assert response.status_code in (200, 302, 403)


def test_instructor_cannot_reorder_another_instructors_modules(
    client, instructor, other_course, other_module
):
    second = factories.ModulePageFactory(parent=other_course, owner=other_course.owner)
    client.force_login(instructor)
    url = reverse("wagtailadmin_pages:set_page_position", args=(second.pk,))
    assert_refused(client.post(url + "?position=0"))
    assert list(ModulePage.objects.child_of(other_course).order_by("path")) == [
        other_module,
        second,
    ]


def test_instructor_cannot_lock_or_view_history_of_another_instructors_course(
    client, instructor, other_course
):
    client.force_login(instructor)
    assert_refused(client.post(reverse("wagtailadmin_pages:lock", args=(other_course.pk,))))
    other_course.refresh_from_db()
    assert not other_course.locked
    assert_refused(client.get(reverse("wagtailadmin_pages:history", args=(other_course.pk,))))


@pytest.mark.parametrize("action", ["publish", "unpublish", "delete"])
def test_instructor_bulk_actions_skip_another_instructors_pages(
    client, instructor, other_course, other_module, action
):
    titles = {}
    for page in (other_course, other_module):
        titles[page.pk] = page.title
        page.title = f"Draft of {page.title}"
        page.save_revision()  # a draft: something the publish action would put live
    client.force_login(instructor)
    response = client.post(
        bulk_url(action, other_course, other_module), {"include_descendants": "on"}
    )
    assert response.status_code in (200, 302, 403)
    for page in (other_course, other_module):
        page = Page.objects.get(pk=page.pk)  # not deleted
        assert page.live  # not unpublished
        assert page.title == titles[page.pk]  # the draft was not published
        assert page.draft_title == f"Draft of {titles[page.pk]}"
        assert page.has_unpublished_changes


def test_instructor_bulk_move_refuses_another_instructors_course(
    client, instructor, home, other_course
):
    elsewhere = factories.SubjectPageFactory(parent=home, title="Physics")
    client.force_login(instructor)
    client.post(bulk_url("move", other_course), {"chooser": str(elsewhere.pk)})
    other_course.refresh_from_db()
    assert other_course.get_parent().pk != elsewhere.pk


def test_instructor_cannot_edit_publish_or_unpublish_subjects_or_the_home_page(
    client, instructor, home, subject
):
    client.force_login(instructor)
    for page in (home, subject):
        assert_refused(client.get(edit_url(page)))
        assert_refused(client.post(reverse("wagtailadmin_pages:unpublish", args=(page.pk,))))
        page.refresh_from_db()
        assert page.live


def test_instructor_cannot_create_a_subject(client, instructor, home):
    client.force_login(instructor)
    response = client.post(
        add_url(SubjectPage, home),
        nested_form_data(
            {"title": "Alchemy", "slug": "alchemy", "intro": rich_text(""), "action-publish": "1"}
        ),
    )
    assert_refused(response)
    assert not SubjectPage.objects.filter(slug="alchemy").exists()


# --- editors and everyone else -------------------------------------------------------------------


def test_editor_edits_and_publishes_any_instructors_course(client, editor, other_course):
    client.force_login(editor)
    response = client.post(
        edit_url(other_course), course_form("Algebra II", "algebra", **{"action-publish": "1"})
    )
    assert response.status_code == 302
    other_course.refresh_from_db()
    assert other_course.title == "Algebra II"
    assert other_course.owner.username == "instructor2"  # the instructor stays the owner


def subject_form(title, slug, **extra):
    data = {"title": title, "slug": slug, "intro": rich_text(""), "comments": inline_formset([])}
    data.update(extra)
    return nested_form_data(data)


@pytest.mark.parametrize("page_type", ["subject", "other_course", "other_module"])
def test_editor_publishes_an_edit_of_every_page_type(request, client, editor, page_type):
    page = request.getfixturevalue(page_type)
    form = {"subject": subject_form, "other_course": course_form, "other_module": module_form}
    client.force_login(editor)
    response = client.post(
        edit_url(page),
        form[page_type]("Published by an editor", page.slug, **{"action-publish": "1"}),
    )
    assert response.status_code == 302, response.content[:2000]
    page.refresh_from_db()
    assert page.live
    assert page.title == "Published by an editor"
    assert not page.has_unpublished_changes


@pytest.mark.parametrize("page_type", ["subject", "other_course", "other_module"])
def test_editor_bulk_publishes_a_draft_of_every_page_type(
    request, client, editor, other_module, page_type
):
    page = request.getfixturevalue(page_type)
    page.title = "Draft by someone"
    page.save_revision()
    client.force_login(editor)
    response = client.post(bulk_url("publish", page))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.title == "Draft by someone"
    assert not page.has_unpublished_changes


@pytest.mark.parametrize("page_type", ["subject", "other_course", "other_module"])
def test_editor_publishes_a_new_page_of_every_page_type(
    client, editor, home, subject, other_course, page_type
):
    model, parent, form = {
        "subject": (SubjectPage, home, subject_form),
        "other_course": (CoursePage, subject, course_form),
        "other_module": (ModulePage, other_course, module_form),
    }[page_type]
    client.force_login(editor)
    response = client.post(
        add_url(model, parent), form("Fresh page", "fresh-page", **{"action-publish": "1"})
    )
    assert response.status_code == 302, response.content[:2000]
    created = model.objects.child_of(parent).get(slug="fresh-page")
    assert created.live
    assert created.title == "Fresh page"


def test_editor_previews_a_draft_of_any_page_type(client, editor, home, subject, course, module):
    client.force_login(editor)
    forms = {
        home.pk: nested_form_data(
            {
                "title": "Draft home",
                "slug": "home",
                "intro": rich_text(""),
                "comments": inline_formset([]),
            }
        ),
        subject.pk: nested_form_data(
            {
                "title": "Draft subject",
                "slug": "mathematics",
                "intro": rich_text(""),
                "comments": inline_formset([]),
            }
        ),
        course.pk: course_form("Draft course", "calculus"),
        module.pk: module_form("Draft module", "limits"),
    }
    for page_id, data in forms.items():
        url = reverse("wagtailadmin_pages:preview_on_edit", args=(page_id,))
        assert client.post(url, data).json()["is_valid"] is True
        response = client.get(url)
        assert response.status_code == 200
        assert data["title"].encode() in response.content


def test_student_is_refused_the_admin(client, student, course):
    client.force_login(student)
    response = client.get(edit_url(course))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_anonymous_visitor_is_sent_to_log_in_for_the_admin(client, course):
    response = client.get(edit_url(course))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- the rest of an instructor's admin ------------------------------------------------------------


def test_instructor_opens_the_dashboard_and_explores_subjects(client, instructor, subject, course):
    client.force_login(instructor)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    response = client.get(reverse("wagtailadmin_explore", args=(subject.pk,)))
    assert response.status_code == 200
    assert b"Calculus" in response.content


def test_instructor_uploads_an_image_and_a_document(client, instructor):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from learning.demo_media import diagram_image

    client.force_login(instructor)
    png = SimpleUploadedFile("diagram.png", diagram_image("A", ((0, 0, 0), (9, 9, 9))), "image/png")
    response = client.post(reverse("wagtailimages:add"), {"title": "Diagram", "file": png})
    assert response.status_code == 302, response.content[:1000]
    assert get_image_model().objects.get(title="Diagram").uploaded_by_user == instructor
    handout = SimpleUploadedFile("handout.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    response = client.post(reverse("wagtaildocs:add"), {"title": "Handout", "file": handout})
    assert response.status_code == 302, response.content[:1000]
    assert get_document_model().objects.filter(title="Handout").exists()


def test_instructor_cannot_upload_a_document_with_a_forbidden_extension(client, instructor):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.documents import get_document_model

    client.force_login(instructor)
    script = SimpleUploadedFile("run.sh", b"#!/bin/sh\nrm -rf /\n", "text/x-shellscript")
    response = client.post(reverse("wagtaildocs:add"), {"title": "Script", "file": script})
    assert response.status_code == 200  # the form again, with the error
    assert not get_document_model().objects.filter(title="Script").exists()
