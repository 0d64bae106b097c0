"""What an anonymous visitor sees of each page type, and what they never see: drafts."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone
from django.utils.html import escape

from learning.models import CoursePage
from learning.tests.factories import (
    CoursePageFactory,
    ImageFactory,
    ModulePageFactory,
    SubjectPageFactory,
)

pytestmark = pytest.mark.django_db

DRAFT_TEXT = "Unreviewed draft wording"


def get_page(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def text_of(soup):
    return " ".join(soup.get_text(" ").split())


def hrefs(element):
    return [link["href"] for link in element.find_all("a", href=True)]


def numbered_list_of(soup, pages):
    """The ordered list (<ol>) whose links are exactly ``pages``, in that order, or None."""
    urls = [page.url for page in pages]
    return next((ol for ol in soup.find_all("ol") if hrefs(ol) == urls), None)


def text_body(text):
    return [{"type": "text", "value": f"<p>{text}</p>"}]


@pytest.fixture
def three_modules(course, instructor):
    return [
        ModulePageFactory(parent=course, title=title, slug=title.lower(), owner=instructor)
        for title in ("Limits", "Derivatives", "Integrals")
    ]


# Home


def test_home_page_renders_for_an_anonymous_visitor(client, home):
    assert home.title in text_of(get_page(client, home))


def test_home_page_lists_live_subjects(client, home, subject):
    SubjectPageFactory(parent=home, title="Hidden subject", live=False)
    soup = get_page(client, home)
    assert subject.url in hrefs(soup)
    assert "Hidden subject" not in text_of(soup)


def test_home_page_lists_recent_live_courses_with_their_instructor(client, home, course):
    CoursePageFactory(parent=course.get_parent(), title="Draft course", live=False)
    soup = get_page(client, home)
    assert course.url in hrefs(soup)
    assert "Ida Instructor" in text_of(soup)
    assert "Draft course" not in text_of(soup)


def test_home_page_lists_only_the_most_recently_published_courses(client, home, subject):
    now = timezone.now()
    courses = [
        CoursePageFactory(
            parent=subject, title=f"Course {n}", first_published_at=now - timedelta(days=n)
        )
        for n in range(home.recent_course_count + 1)
    ]
    links = hrefs(get_page(client, home))
    assert all(course.url in links for course in courses[:-1])
    assert courses[-1].url not in links


# Subject


def test_subject_page_lists_only_its_live_courses(client, subject, course, other_course):
    CoursePageFactory(parent=subject, title="Unpublished course", live=False)
    elsewhere = SubjectPageFactory(parent=subject.get_parent(), title="Physics")
    CoursePageFactory(parent=elsewhere, title="Mechanics")
    soup = get_page(client, subject)
    links = hrefs(soup)
    assert course.url in links
    assert other_course.url in links
    assert "Unpublished course" not in text_of(soup)
    assert "Mechanics" not in text_of(soup)


# Course


def test_course_page_shows_instructor_level_and_duration(client, course):
    course.level = CoursePage.Level.ADVANCED
    course.duration_hours = 12
    course.save()
    text = text_of(get_page(client, course))
    assert course.title in text
    assert "Ida Instructor" in text
    assert "Advanced" in text
    assert "12 hours" in text


def test_course_page_shows_its_overview_as_rich_text(client, course):
    course.overview = "<p>Limits, <b>derivatives</b> and integrals.</p>"
    course.save()
    overview = get_page(client, course).find("section", class_="course__overview")
    assert text_of(overview) == "Overview Limits, derivatives and integrals."
    assert overview.find("b").get_text() == "derivatives"  # formatting kept, not escaped


def test_course_page_shows_its_image_with_a_srcset_of_two_renditions(client, course):
    course.image = ImageFactory(file__width=1200, file__height=800)
    course.save()
    image = get_page(client, course).find("img", class_="course__image")
    assert image is not None
    small = course.image.get_rendition("fill-480x270")
    large = course.image.get_rendition("fill-960x540")
    assert image["srcset"].split(", ") == [f"{small.url} 480w", f"{large.url} 960w"]
    assert image["src"] == small.url
    assert image["sizes"]
    assert image["alt"] == ""  # decorative: the title is right beside it


def test_course_page_without_an_image_has_no_course_image(client, course):
    assert course.image is None
    assert get_page(client, course).find("img", class_="course__image") is None


def test_course_page_numbers_its_live_modules_in_tree_order(client, course, three_modules):
    ModulePageFactory(parent=course, title="Unfinished module", live=False)
    soup = get_page(client, course)
    assert numbered_list_of(soup, three_modules) is not None
    assert "Unfinished module" not in text_of(soup)


def test_course_page_follows_a_reordering_of_its_modules(client, course, three_modules):
    limits, derivatives, integrals = three_modules
    integrals.move(limits, pos="left")
    soup = get_page(client, course)
    assert numbered_list_of(soup, [integrals, limits, derivatives]) is not None


# Module


def test_module_page_shows_its_description_and_body_blocks(student_client, module):
    module.description = "Approaching a value."
    module.body = text_body("An epsilon-delta argument.")
    module.save()
    text = text_of(get_page(student_client, module))
    assert module.title in text
    assert "Approaching a value." in text
    assert "An epsilon-delta argument." in text


def test_middle_module_links_to_the_previous_and_next_modules(student_client, three_modules):
    limits, derivatives, integrals = three_modules
    soup = get_page(student_client, derivatives)
    assert soup.find("a", rel="prev")["href"] == limits.url
    assert soup.find("a", rel="next")["href"] == integrals.url


def test_first_module_has_no_previous_link(student_client, three_modules):
    soup = get_page(student_client, three_modules[0])
    assert soup.find("a", rel="prev") is None
    assert soup.find("a", rel="next")["href"] == three_modules[1].url


def test_last_module_has_no_next_link_but_leads_back_to_the_course(
    student_client, course, three_modules
):
    soup = get_page(student_client, three_modules[-1])
    assert soup.find("a", rel="prev")["href"] == three_modules[1].url
    assert soup.find("a", rel="next") is None
    assert course.url in hrefs(soup)


def test_module_pager_skips_unpublished_modules(student_client, course, instructor):
    first = ModulePageFactory(parent=course, title="First", owner=instructor)
    ModulePageFactory(parent=course, title="Hidden middle", live=False)
    last = ModulePageFactory(parent=course, title="Last", owner=instructor)
    soup = get_page(student_client, first)
    assert soup.find("a", rel="next")["href"] == last.url
    assert "Hidden middle" not in text_of(soup)


def test_module_page_escapes_its_title_and_description(student_client, module):
    hostile = '<script>alert("x")</script>"\'&'
    module.title = hostile
    module.description = hostile
    module.save()
    html = student_client.get(module.url).content.decode()
    assert hostile not in html
    assert escape(hostile) in html


# Drafts and unpublished pages


@pytest.fixture(params=["subject", "course", "module"])
def any_learning_page(request):
    return request.getfixturevalue(request.param)


def test_unpublished_page_is_not_found_for_an_anonymous_visitor(client, any_learning_page):
    url = any_learning_page.url
    any_learning_page.unpublish()
    assert client.get(url).status_code == 404


def test_page_created_as_a_draft_is_not_found_for_an_anonymous_visitor(client, course):
    draft = ModulePageFactory(parent=course, title="Draft module", slug="draft-module", live=False)
    draft.body = text_body(DRAFT_TEXT)
    draft.save_revision()
    response = client.get(f"{course.url}draft-module/")
    assert response.status_code == 404
    assert DRAFT_TEXT not in response.content.decode()


def test_draft_change_to_a_live_module_is_not_shown_publicly(student_client, module):
    module.body = text_body("Published wording.")
    module.save_revision().publish()
    module.title = "Draft title"
    module.description = DRAFT_TEXT
    module.body = text_body(DRAFT_TEXT)
    module.save_revision()

    text = text_of(get_page(student_client, module))
    assert "Limits" in text
    assert "Published wording." in text
    assert "Draft title" not in text
    assert DRAFT_TEXT not in text


def test_draft_title_of_a_live_module_is_not_shown_in_its_course(client, course, module):
    module.title = "Draft title"
    module.save_revision()
    text = text_of(get_page(client, course))
    assert "Limits" in text
    assert "Draft title" not in text


def test_draft_change_to_a_live_course_is_not_shown_in_any_listing(client, home, subject, course):
    course.title = "Draft title"
    course.overview = f"<p>{DRAFT_TEXT}</p>"
    course.save_revision()
    for page in (home, subject, course):
        text = text_of(get_page(client, page))
        assert "Calculus" in text
        assert "Draft title" not in text
        assert DRAFT_TEXT not in text


def test_course_and_module_under_an_unpublished_subject_are_not_found(
    client, student_client, home, subject, course, module
):
    subject.unpublish()  # Wagtail leaves the children live
    assert student_client.get(course.url).status_code == 404
    assert student_client.get(module.url).status_code == 404
    client.logout()
    assert "Calculus" not in text_of(get_page(client, home))


def test_module_under_an_unpublished_course_is_not_found(student_client, course, module):
    course.unpublish()
    response = student_client.get(module.url)
    assert response.status_code == 404
    assert b"Limits" not in response.content
