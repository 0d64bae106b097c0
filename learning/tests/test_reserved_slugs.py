"""A subject cannot take the slug of one of the site's own top-level routes.

Subjects sit right under the home page: a subject with the slug ``catalog`` would live at
``/catalog/``, where the catalog view answers first, and nobody could ever reach it.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from config.urls import urlpatterns as site_urlpatterns
from learning.models import SubjectPage
from learning.models.pages import reserved_subject_slugs
from learning.tests import factories

pytestmark = pytest.mark.django_db

# Every top-level route of config/urls.py (and the static and media prefixes) today.
TOP_LEVEL_ROUTES = [
    "catalog",
    "learn",
    "admin",
    "django-admin",
    "accounts",
    "api",
    "chat",
    "documents",
    "static",
    "media",
    "healthz",
    "readyz",
]

# A URL configuration with one more top-level route (used by ROOT_URLCONF below).
urlpatterns = [path("shop/", lambda request: None), *site_urlpatterns]


def subject_form(title, slug, **extra):
    data = {"title": title, "slug": slug, "intro": rich_text(""), "comments": inline_formset([])}
    data.update(extra)
    return nested_form_data(data)


def add_subject_url(home):
    return reverse("wagtailadmin_pages:add", args=("learning", "subjectpage", home.pk))


# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", TOP_LEVEL_ROUTES)
def test_subject_clean_rejects_the_slug_of_a_top_level_route(subject, slug):
    subject.slug = slug
    with pytest.raises(ValidationError) as error:
        subject.clean()
    [message] = error.value.message_dict["slug"]
    assert f"“{slug}” is reserved" in message


def test_subject_clean_rejects_a_reserved_slug_whatever_its_case(subject):
    subject.slug = "Catalog"
    with pytest.raises(ValidationError) as error:
        subject.clean()
    assert "slug" in error.value.message_dict


def test_subject_clean_accepts_an_ordinary_slug_and_a_route_name_inside_a_longer_one(subject):
    refused = []
    for slug in ("physics", "learning", "catalogue", "admin-skills", "api-design"):
        subject.slug = slug
        try:
            subject.clean()
        except ValidationError:
            refused.append(slug)
    assert refused == []


def test_publishing_a_subject_with_a_reserved_slug_is_refused(home):
    with pytest.raises(ValidationError):
        factories.SubjectPageFactory(parent=home, title="Catalog", slug="catalog")
    assert not SubjectPage.objects.filter(slug="catalog").exists()


def test_reserved_slugs_are_read_from_the_url_configuration(settings):
    assert set(TOP_LEVEL_ROUTES) <= reserved_subject_slugs()
    settings.ROOT_URLCONF = __name__
    assert "shop" in reserved_subject_slugs()


def test_route_converters_and_wagtails_page_route_reserve_nothing():
    reserved = reserved_subject_slugs()
    assert "" not in reserved
    assert not any("<" in slug or "(" in slug or "/" in slug for slug in reserved)


def test_course_and_module_slugs_are_not_restricted(subject, instructor):
    course = factories.CoursePageFactory(parent=subject, slug="catalog", owner=instructor)
    module = factories.ModulePageFactory(parent=course, slug="admin", owner=instructor)
    assert course.url.endswith("/mathematics/catalog/")
    assert module.live


# --- through the Wagtail admin -------------------------------------------------------------------


@pytest.mark.parametrize("action", [{}, {"action-publish": "1"}], ids=["draft", "publish"])
@pytest.mark.parametrize("slug", ["catalog", "learn", "admin", "api"])
def test_editor_adding_a_subject_with_a_reserved_slug_gets_a_slug_error(
    client, editor, home, slug, action
):
    client.force_login(editor)
    response = client.post(add_subject_url(home), subject_form("Shadowed", slug, **action))
    assert response.status_code == 200  # the form again
    errors = response.context["form"].errors
    assert list(errors) == ["slug"], errors
    assert "is reserved" in errors["slug"][0]
    assert "is reserved" in response.content.decode()
    assert not SubjectPage.objects.filter(title="Shadowed").exists()


def test_editor_adds_a_subject_with_an_ordinary_slug(client, editor, home):
    """The counterpart of the test above: the same form with another slug is accepted."""
    client.force_login(editor)
    response = client.post(
        add_subject_url(home), subject_form("Biology", "biology", **{"action-publish": "1"})
    )
    assert response.status_code == 302, response.content[:2000]
    assert SubjectPage.objects.get(slug="biology").live


def test_editor_cannot_rename_a_subjects_slug_to_a_reserved_one(client, editor, subject):
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=(subject.pk,))
    response = client.post(url, subject_form("Mathematics", "learn", **{"action-publish": "1"}))
    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    subject.refresh_from_db()
    assert subject.slug == "mathematics"
    assert subject.url == "/mathematics/"


def test_instructor_is_refused_before_any_slug_check(client, instructor, home):
    """Instructors may not add subjects at all: they get the refusal, not the form error."""
    client.force_login(instructor)
    response = client.post(
        add_subject_url(home), subject_form("Shadowed", "catalog", **{"action-publish": "1"})
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert not SubjectPage.objects.filter(title="Shadowed").exists()


def test_editor_cannot_copy_a_subject_to_a_reserved_slug(client, editor, home, subject):
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:copy", args=(subject.pk,))
    data = {"new_title": "Copy", "new_slug": "catalog", "new_parent_page": str(home.pk)}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "is reserved" in response.content.decode()
    assert not SubjectPage.objects.filter(slug="catalog").exists()


def test_editor_copies_a_subject_to_an_ordinary_slug(client, editor, home, subject):
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:copy", args=(subject.pk,))
    data = {"new_title": "Copy", "new_slug": "mathematics-2", "new_parent_page": str(home.pk)}
    client.post(url, data)
    assert SubjectPage.objects.filter(slug="mathematics-2").exists()


# --- existing data -------------------------------------------------------------------------------


def test_no_demo_subject_uses_a_reserved_slug():
    from learning.demo_content import SUBJECTS

    assert not {data["slug"] for data in SUBJECTS} & reserved_subject_slugs()
