"""What the bounded query counts (test_query_counts.py) must not lose: view restrictions above a
page hold for it whichever way they are checked (a query, or the restrictions kept in the process
with the page cache on), a restriction elsewhere does not, and a module list shows the reader's
own completions."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import PageViewRestriction

from conftest import clear_cache
from learning.models import ModuleCompletion
from learning.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["page cache off", "page cache on"])
def page_cache_setting(request, settings):
    """Both ways of checking restrictions: a query, or the restrictions kept in the process."""
    settings.PAGE_CACHE_SECONDS = 60 if request.param == "page cache on" else 0
    clear_cache()
    yield
    clear_cache()


@pytest.mark.parametrize("page", ["course", "module"])
def test_a_group_restriction_on_the_subject_still_holds_below_it(
    student_client, subject, course, module, page, page_cache_setting
):
    """Routing hands the ancestors to the view-restriction check: theirs must still count."""
    url = course.url if page == "course" else module.url
    assert student_client.get(url).status_code == 200  # restrictions read (and kept) before
    restriction = PageViewRestriction.objects.create(
        page=subject, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.get(name="Editors"))

    response = student_client.get(url)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("where", ["home", "subject", "course"])
def test_a_restriction_lifted_or_added_anywhere_above_applies_at_once(
    student_client, enrolled_student, home, subject, course, module, where, page_cache_setting
):
    page = {"home": home, "subject": subject, "course": course}[where]
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.get(name="Editors"))
    assert student_client.get(module.url).status_code == 302

    enrolled_student.groups.add(Group.objects.get(name="Editors"))
    assert student_client.get(module.url).status_code == 200  # the kept groups are current

    restriction.delete()
    enrolled_student.groups.clear()
    assert student_client.get(module.url).status_code == 200


def test_a_restriction_elsewhere_in_the_tree_does_not_apply(
    student_client, home, subject, course, module, page_cache_setting
):
    other = factories.SubjectPageFactory(parent=home, title="Biology", slug="biology")
    restriction = PageViewRestriction.objects.create(
        page=other, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.get(name="Editors"))
    assert student_client.get(other.url).status_code == 302
    response = student_client.get(module.url)
    assert response.status_code == 200
    assert module.title in response.content.decode()


def test_module_page_lists_completed_modules_of_the_student_only(
    student_client, course, module, instructor, student, other_instructor
):
    second = factories.ModulePageFactory(parent=course, owner=instructor, title="Series")
    ModuleCompletion.objects.create(user=student, module=second)
    ModuleCompletion.objects.create(user=other_instructor, module=module)

    response = student_client.get(module.url)

    assert response.context_data["progress"].completed_ids == {second.pk}
    assert not response.context_data["module_completed"]
