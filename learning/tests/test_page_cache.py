"""Anonymous pages come from the shared cache; nobody gets a page rendered for someone else."""

import logging
import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Site

from conftest import PASSWORD, make_user
from core import cache as core_cache
from core import kept as core_kept
from core.cache import HEADER
from home.models import HomePage
from learning.tests import factories
from learning.tests.quiz_data import QUIZ_ID, quiz_value

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("page", ["home", "subject", "course", "catalog"])
def test_second_anonymous_request_is_a_cache_hit(client, page, home, subject, course):
    url = {"home": "/", "subject": subject.url, "course": course.url}.get(
        page, reverse("learning:catalog")
    )
    first = get(client, url)
    second = get(client, url)
    assert first[HEADER] == "miss"
    assert second[HEADER] == "hit"
    assert second.content == first.content


def test_logged_in_user_never_gets_the_anonymous_copy(client, course, student):
    get(client, course.url)
    client.force_login(student)
    response = get(client, course.url)
    assert HEADER not in response
    assert student.display_name in response.content.decode()


def test_a_page_rendered_for_a_user_is_never_served_to_anyone_else(client, course, student):
    client.force_login(student)
    get(client, course.url)
    client.logout()
    response = get(client, course.url)
    assert response[HEADER] == "miss"
    assert student.display_name not in response.content.decode()
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_publishing_a_page_invalidates_cached_listings(client, subject, course):
    get(client, subject.url)
    course.title = "Calculus, second edition"
    course.save_revision().publish()
    response = get(client, subject.url)
    assert response[HEADER] == "miss"
    assert "Calculus, second edition" in response.content.decode()


def test_unpublishing_moving_and_deleting_invalidate_the_cache(client, home, subject, course):
    get(client, subject.url)
    course.unpublish()
    assert "Calculus" not in get(client, subject.url).content.decode()

    course.save_revision().publish()
    elsewhere = factories.SubjectPageFactory(parent=home, title="Elsewhere")
    get(client, subject.url)
    course.move(elsewhere, pos="last-child")
    assert "Calculus" not in get(client, subject.url).content.decode()

    get(client, elsewhere.url)
    course.refresh_from_db()
    course.delete()
    assert "Calculus" not in get(client, elsewhere.url).content.decode()


@pytest.mark.parametrize("page", ["home", "course", "catalog"])
def test_a_hit_carries_every_header_of_the_miss_it_was_stored_from(client, page, home, course):
    url = {"home": "/", "course": course.url, "catalog": reverse("learning:catalog")}[page]
    miss, hit = get(client, url), get(client, url)
    assert (miss[HEADER], hit[HEADER]) == ("miss", "hit")
    assert hit["X-Frame-Options"] == "DENY"
    assert headers_but_the_cache_header(hit) == headers_but_the_cache_header(miss)


def headers_but_the_cache_header(response):
    return {name: value for name, value in response.items() if name != HEADER}


def test_pages_are_served_when_the_cache_server_is_down(client, course, caplog):
    broken = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5},
        }
    }
    with (
        override_settings(CACHES=broken, DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS=True),
        caplog.at_level(logging.ERROR),
    ):
        first = get(client, course.url)
        second = get(client, course.url)
    assert "Calculus" in first.content.decode()
    assert second[HEADER] == "miss"  # every lookup is a miss, never an error page
    assert any(record.name.startswith("django_redis") for record in caplog.records)


def leave_then_log_out(client, student, course):
    """Leave a course and log out before the "You have left" message is shown.

    The message waits in the messages cookie, which outlives the session: the visitor is
    anonymous again, with a message pending.
    """
    from learning.models import Enrollment

    Enrollment.objects.create(user=student, course=course)
    client.force_login(student)
    client.post(reverse("learning:leave", args=(course.pk,)))  # redirect not followed
    client.post(reverse("logout"))
    assert client.cookies.get("messages") and client.cookies["messages"].value


@pytest.mark.parametrize("page", ["home", "course", "catalog"])
def test_visitor_with_a_pending_message_gets_a_fresh_page_with_it_not_the_stored_one(
    client, page, home, course, student
):
    url = {"home": "/", "course": course.url, "catalog": reverse("learning:catalog")}[page]
    leave_then_log_out(client, student, course)
    assert get(Client(), url)[HEADER] == "miss"  # a copy is stored for anonymous visitors
    assert get(Client(), url)[HEADER] == "hit"
    response = get(client, url)
    assert response.get(HEADER) != "hit"
    assert "You have left “Calculus”." in response.content.decode()


@pytest.mark.parametrize("page", ["home", "course", "catalog"])
def test_a_page_showing_a_pending_message_is_not_stored_for_other_visitors(
    client, page, home, course, student
):
    url = {"home": "/", "course": course.url, "catalog": reverse("learning:catalog")}[page]
    leave_then_log_out(client, student, course)
    shown = get(client, url)
    assert "You have left “Calculus”." in shown.content.decode()
    assert HEADER not in shown  # not stored
    other = Client()
    response = get(other, url)
    assert response[HEADER] == "miss"
    assert "You have left" not in response.content.decode()


def test_deleting_something_other_than_a_page_keeps_the_cached_pages(client, course, student):
    from learning.models import Enrollment

    enrollment = Enrollment.objects.create(user=student, course=course)
    assert get(client, course.url)[HEADER] == "miss"
    enrollment.delete()
    assert get(client, course.url)[HEADER] == "hit"


# --- shared parts of personal pages (core.kept.shared_value) ---------------------------------
def nav_titles(response):
    return re.findall(
        r'class="site-nav__link[^"]*" href="[^"]*"[^>]*>([^<]*)</a>', response.content.decode()
    )


def test_the_navigation_of_logged_in_pages_is_kept_until_content_changes(
    client, home, subject, course, student
):
    client.force_login(student)
    assert nav_titles(get(client, course.url)) == ["All courses", subject.title]
    # Changed behind Wagtail's back (no signal): the kept navigation still shows the old title.
    type(subject).objects.filter(pk=subject.pk).update(title="Renamed quietly")
    assert nav_titles(get(client, course.url)) == ["All courses", subject.title]

    astronomy = factories.SubjectPageFactory(parent=home, title="Astronomy", slug="astronomy")
    astronomy.save_revision().publish()
    assert nav_titles(get(client, course.url)) == ["All courses", "Renamed quietly", "Astronomy"]


def current_nav_links(response):
    html = response.content.decode()
    active = re.findall(
        r'class="site-nav__link site-nav__link--active" href="[^"]*"[^>]*>([^<]*)<', html
    )
    current = re.findall(r'site-nav__link[^"]*" href="[^"]*" aria-current="page">([^<]*)<', html)
    return active, current


def test_the_kept_navigation_marks_the_section_of_each_page(
    client, home, subject, course, module, enrolled_student
):
    client.force_login(enrolled_student)
    other = factories.SubjectPageFactory(parent=home, title="Astronomy", slug="astronomy")
    other.save_revision().publish()
    for _ in range(2):  # the first time rendered, then kept
        assert current_nav_links(get(client, subject.url)) == ([subject.title], [subject.title])
        assert current_nav_links(get(client, course.url)) == ([subject.title], [])
        assert current_nav_links(get(client, module.url)) == ([subject.title], [])
        assert current_nav_links(get(client, other.url)) == (["Astronomy"], ["Astronomy"])
        catalogue = get(client, reverse("learning:catalog"))
        assert current_nav_links(catalogue) == (["All courses"], ["All courses"])
        assert current_nav_links(get(client, "/")) == ([], [])


def module_marks(response, selector):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(response.content, "html.parser")
    return [
        (item.a.get_text(" ", strip=True), sorted(set(item["class"]) - {selector}))
        for item in soup.select(f"li.{selector}")
    ]


def test_kept_module_lists_show_each_reader_their_own_progress(
    client, course, module, enrolled_student
):
    from learning.models import Enrollment
    from learning.progress import complete_module

    hostile = factories.ModulePageFactory(
        parent=course, title="<script>alert(1)</script>", slug="hostile", owner=course.owner
    )
    other_student = make_user("other-student")
    Enrollment.objects.create(user=other_student, course=course)
    complete_module(enrolled_student, module)
    done = "module-list__item--done"
    readers = [(enrolled_student, [done]), (other_student, [])]
    for _ in range(2):  # the first time rendered, then kept
        for reader, marks in readers:
            client.force_login(reader)
            course_page = get(client, course.url)
            assert module_marks(course_page, "module-list__item") == [
                ("1. Limits" + (" Completed" if marks else ""), marks),
                ("2. <script>alert(1)</script>", []),
            ]
            assert b"<script>alert(1)</script>" not in course_page.content
            nav = module_marks(get(client, hostile.url), "module-nav__item")
            assert nav == [
                (
                    "Limits" + (" (completed)" if marks else ""),
                    ["module-nav__item--done"] * bool(marks),
                ),
                ("<script>alert(1)</script>", ["module-nav__item--current"]),
            ]


def test_a_logged_in_catalogue_search_reuses_its_result_ids_until_content_changes(
    client, subject, course, student, monkeypatch
):
    from learning.views import courses

    searches = []
    search = courses._search_course_ids

    def counted(query, private):
        searches.append(query)
        return search(query, private)

    monkeypatch.setattr(courses, "_search_course_ids", counted)
    client.force_login(student)
    url = reverse("learning:catalog") + "?q=Calculus"
    assert "Calculus" in get(client, url).content.decode()
    assert "Calculus" in get(client, url).content.decode()
    assert searches == ["Calculus"]
    get(client, reverse("learning:catalog") + "?q=Algebra")
    assert searches == ["Calculus", "Algebra"]

    sequel = factories.CoursePageFactory(parent=subject, title="Calculus II", slug="calculus-ii")
    sequel.save_revision().publish()
    assert "Calculus II" in get(client, url).content.decode()
    assert searches == ["Calculus", "Algebra", "Calculus"]


# --- the site and its home page ------------------------------------------------------------
def test_a_site_moved_to_another_home_page_is_served_at_once(client, home, subject, student):
    client.force_login(student)
    assert subject.title in get(client, "/").content.decode()
    root = home.get_parent()
    other = root.add_child(instance=HomePage(title="Another school", slug="another-school"))
    site = Site.objects.get(is_default_site=True)
    site.root_page = other
    site.save()
    page = get(client, "/").content.decode()
    assert "Another school" in page and subject.title not in page


def test_an_unpublished_or_renamed_module_is_served_at_once(client, course, module, student_client):
    assert "<h1>Limits</h1>" in get(student_client, module.url).content.decode()
    module.title = "Limits, revised"
    module.save_revision().publish()
    assert "<h1>Limits, revised</h1>" in get(student_client, module.url).content.decode()
    module.unpublish()
    assert student_client.get(module.url).status_code == 404


def test_a_renamed_instructor_is_shown_at_once_on_kept_pages(
    client, subject, course, instructor, enrolled_student
):
    client.force_login(enrolled_student)
    assert instructor.display_name in get(client, course.url).content.decode()
    get(client, subject.url)
    instructor.first_name, instructor.last_name = "Ada", "Lovelace"
    instructor.save()
    assert "Ada Lovelace" in get(client, course.url).content.decode()
    assert "Ada Lovelace" in get(client, subject.url).content.decode()


def test_logging_in_does_not_retire_the_cached_pages(client, course, student):
    assert get(client, course.url)[HEADER] == "miss"
    response = client.post(reverse("login"), {"username": student.username, "password": PASSWORD})
    assert response.status_code == 302  # logged in: Django saved the user's last_login
    client.logout()
    assert get(client, course.url)[HEADER] == "hit"


def test_changing_a_password_does_not_retire_the_cached_pages(client, course, student):
    assert get(client, course.url)[HEADER] == "miss"
    client.force_login(student)
    new = "another-horse-battery-staple"
    form = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    assert client.post(reverse("password_change"), form).status_code == 302
    client.logout()
    assert get(client, course.url)[HEADER] == "hit"


def test_a_deleted_instructor_is_gone_at_once_from_kept_pages(
    client, course, instructor, enrolled_student
):
    client.force_login(enrolled_student)
    assert instructor.display_name in get(client, course.url).content.decode()
    instructor.delete()
    page = get(client, course.url).content.decode()
    assert instructor.display_name not in page and "To be announced" in page


def test_a_new_course_owner_is_served_at_once(client, course, module, instructor, other_instructor):
    client.force_login(instructor)
    assert instructor.display_name in get(client, course.url).content.decode()
    assert client.get(module.url).status_code == 200  # the instructor reads the modules

    course.owner = other_instructor
    course.save()

    page = get(client, course.url).content.decode()
    assert other_instructor.display_name in page
    assert client.get(module.url).status_code == 403  # no longer this course's instructor


def test_an_unpublished_course_is_gone_at_once_for_logged_in_users(
    client, course, enrolled_student
):
    client.force_login(enrolled_student)
    get(client, course.url)
    course.unpublish()
    assert client.get(course.url).status_code == 404


# --- module bodies: the HTML of blocks that are the same for every reader ----------------------
@pytest.fixture
def rich_module(module, enrolled_student):
    image = factories.ImageFactory()
    document = factories.DocumentFactory(title="Limits worksheet")
    module.body = [
        {"type": "text", "value": "<p>Limits, step by step.</p>"},
        {"type": "image", "value": {"image": image.pk, "alt_text": "A graph", "caption": "Fig 1"}},
        {"type": "file", "value": {"document": document.pk, "title": "", "description": "Do"}},
        {"type": "quiz", "id": QUIZ_ID, "value": quiz_value()},
    ]
    module.save_revision().publish()
    module.refresh_from_db()
    return module


def test_a_module_body_is_rendered_once_for_every_reader(client, rich_module, enrolled_student):
    client.force_login(enrolled_student)
    first = get(client, rich_module.url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = get(client, rich_module.url).content.decode()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "wagtailimages_image" not in sql and "wagtaildocs_document" not in sql
    assert "wagtailimages_rendition" not in sql
    for text in ("Limits, step by step.", "Fig 1", "Limits worksheet", "quiz__title"):
        assert text in first and text in again
    assert re.sub(r'value="[^"]{40,}"', "", first) == re.sub(r'value="[^"]{40,}"', "", again)


def test_a_kept_module_body_still_shows_each_reader_their_own_quiz_result(
    client, rich_module, enrolled_student, course
):
    from learning.models import Enrollment
    from learning.tests.test_quizzes import RIGHT, submit

    other = make_user("other-student")
    Enrollment.objects.create(user=other, course=course)
    client.force_login(enrolled_student)
    get(client, rich_module.url)
    submit(client, rich_module, RIGHT)
    assert 'badge--done">Passed' in get(client, rich_module.url).content.decode()

    client.force_login(other)
    page = get(client, rich_module.url).content.decode()
    assert "Limits, step by step." in page
    assert 'badge--done">Passed' not in page


def test_a_kept_quiz_form_carries_each_readers_own_csrf_token(rich_module, course, student):

    from learning.models import Enrollment
    from learning.tests.quiz_data import RIGHT

    quiz_url = reverse("learning:quiz", args=(rich_module.pk, QUIZ_ID))
    tokens = []
    for reader in (student, make_user("second-reader"), student):
        Enrollment.objects.get_or_create(user=reader, course=course)
        client = Client(enforce_csrf_checks=True)
        client.force_login(reader)
        page = get(client, rich_module.url).content.decode()
        form = page[page.index(f'action="{quiz_url}"') :]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        tokens.append(token)
        response = client.post(quiz_url, {**RIGHT, "csrfmiddlewaretoken": token})
        assert response.status_code == 302  # graded: the token was the reader's own
    assert len(set(tokens)) == 3
    assert not [html for html in core_kept._in_process.kept().values() if token in str(html)]


def test_kept_quiz_parts_show_the_published_quiz_to_each_reader(
    client, rich_module, enrolled_student, instructor
):
    quiz_url = reverse("learning:quiz", args=(rich_module.pk, QUIZ_ID))
    for _ in range(2):  # the first time rendered, then kept
        client.force_login(enrolled_student)
        page = get(client, rich_module.url).content.decode()
        assert '<h2 class="quiz__title" id="quiz-quiz-1-title">Limits quiz</h2>' in page
        assert "<p>Two questions.</p>" in page
        assert "2 questions · pass mark 100%" in page
        assert f'action="{quiz_url}"' in page and "Sine wave" in page
        client.force_login(instructor)  # the course's instructor: the quiz, not its form
        page = get(client, rich_module.url).content.decode()
        assert "Limits quiz" in page and "Enrolled students take this quiz here" in page
        assert f'action="{quiz_url}"' not in page

    body = rich_module.body.raw_data
    quiz = {**quiz_value(), "title": "<b>Limits</b> & more", "pass_mark": 50}
    quiz["questions"] = quiz["questions"][:1]
    rich_module.body = [*body[:-1], {"type": "quiz", "id": QUIZ_ID, "value": quiz}]
    rich_module.save_revision().publish()
    client.force_login(enrolled_student)
    page = get(client, rich_module.url).content.decode()
    assert "&lt;b&gt;Limits&lt;/b&gt; &amp; more" in page and "<b>Limits</b>" not in page
    assert "1 question · pass mark 50%" in page and "Sine wave" not in page


def test_a_change_in_a_transaction_retires_the_cache_again_when_it_commits(
    django_capture_on_commit_callbacks,
):
    before = core_cache.generation()
    with django_capture_on_commit_callbacks() as callbacks:
        core_cache.bump()  # at once: the change is being made
        during = core_cache.generation()
    assert during != before and len(callbacks) == 1
    callbacks[0]()  # the commit: what a request read in between is retired too
    assert core_cache.generation() not in (before, during)


def test_a_request_of_an_older_generation_never_writes_into_a_newer_store():
    kept = core_kept._Kept()
    kept.values("new")["shared"] = "built from the new rows"
    kept.values("old")["title"] = "built from the old rows"  # a request still on the old one
    assert kept.values("new") == {}  # rebuilt, never the old request's values


def test_a_process_keeps_only_the_most_recently_read_module_bodies(monkeypatch):
    monkeypatch.setattr(core_kept, "RECENT_SIZE", 2)
    built = []

    def keep(name, current="g1"):
        return core_kept.recent_value(name, lambda: built.append(name) or name, current)

    for name in ("a", "b", "a", "c", "a", "b"):  # c pushes out b (read least recently)
        assert keep(name) == name
    assert built == ["a", "b", "c", "b"]
    assert keep("a", current="g2") == "a" and built[-1] == "a"  # a new generation: built again
    assert core_kept.recent_value("none", lambda: None, "g2") is None
    assert len(core_kept._recent.kept()) <= 2


def test_a_published_change_of_a_module_body_is_served_at_once(
    client, rich_module, enrolled_student
):
    client.force_login(enrolled_student)
    assert "Limits, step by step." in get(client, rich_module.url).content.decode()
    rich_module.body = [("text", "<p>Rewritten from scratch.</p>")]
    rich_module.save_revision()  # a draft: readers still get the published body
    assert "Limits, step by step." in get(client, rich_module.url).content.decode()
    rich_module.get_latest_revision().publish()
    page = get(client, rich_module.url).content.decode()
    assert "Rewritten from scratch." in page and "Limits, step by step." not in page


def test_a_preview_of_a_draft_body_is_never_the_kept_one(client, rich_module, editor):
    from learning.tests.test_admin_permissions import module_form

    client.force_login(editor)
    get(client, rich_module.url)  # the published body is kept
    url = reverse("wagtailadmin_pages:preview_on_edit", args=(rich_module.pk,))
    data = module_form(rich_module.title, rich_module.slug)  # body: "Module text"
    assert client.post(url, data).json()["is_valid"] is True
    preview = client.get(url).content.decode()
    assert "Module text" in preview and "Limits, step by step." not in preview


def test_previews_of_drafts_never_show_the_kept_header_facts_or_overview(
    client, course, module, editor
):
    from learning.tests.test_admin_permissions import course_form, module_form

    client.force_login(editor)
    get(client, course.url)  # the published course's fragments are kept
    get(client, module.url)
    url = reverse("wagtailadmin_pages:preview_on_edit", args=(course.pk,))
    form = course_form("Calculus, revised", course.slug, duration_hours="7")
    assert client.post(url, form).json()["is_valid"] is True
    preview = client.get(url).content.decode()
    assert "<h1>Calculus, revised</h1>" in preview
    assert "Overview of Calculus, revised" in preview and "7 hours" in preview

    url = reverse("wagtailadmin_pages:preview_on_edit", args=(module.pk,))
    assert client.post(url, module_form("Limits, revised", module.slug)).json()["is_valid"]
    preview = client.get(url).content.decode()
    assert "<h1>Limits, revised</h1>" in preview and "About this module" in preview
    # The live pages still show what is published.
    assert "<h1>Calculus</h1>" in get(client, course.url).content.decode()
    assert "<h1>Limits</h1>" in get(client, module.url).content.decode()


def test_a_document_renamed_in_place_shows_at_once_in_kept_bodies(
    client, rich_module, enrolled_student
):
    from wagtail.documents import get_document_model

    client.force_login(enrolled_student)
    assert "Limits worksheet" in get(client, rich_module.url).content.decode()
    document = get_document_model().objects.get(title="Limits worksheet")
    document.title = "Limits exercises"
    document.save()
    assert "Limits exercises" in get(client, rich_module.url).content.decode()


# --- {% kept %}: the listings of logged-in home and subject pages --------------------------------
@pytest.mark.parametrize("page", ["home", "subject"])
def test_a_logged_in_listing_page_reuses_its_kept_listing(
    client, home, subject, course, student, page
):
    url = "/" if page == "home" else subject.url
    client.force_login(student)
    first = get(client, url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = get(client, url).content.decode()
    # The listing comes from the kept fragment; the reader's own courses ("Continue learning",
    # their marks) are read from their enrollments only.
    listing = [q["sql"] for q in queries.captured_queries if "learning_coursepage" in q["sql"]]
    assert not [sql for sql in listing if "learning_enrollment" not in sql]
    assert course.title in first and course.title in again
    assert re.sub(r'value="[^"]{40,}"', "", first) == re.sub(r'value="[^"]{40,}"', "", again)


def test_the_kept_listing_never_carries_the_readers_own_header(client, subject, course, student):
    other = make_user("other-reader", first_name="Olga", last_name="Other")
    client.force_login(student)
    get(client, subject.url)
    client.force_login(other)
    page = get(client, subject.url).content.decode()
    assert "Olga Other" in page and student.display_name not in page


def test_a_course_published_later_appears_at_once_in_kept_listings(
    client, home, subject, course, instructor, student
):
    client.force_login(student)
    get(client, subject.url)
    get(client, "/")
    sequel = factories.CoursePageFactory(
        parent=subject, owner=instructor, title="Calculus II", slug="calculus-ii"
    )
    sequel.save_revision().publish()
    assert "Calculus II" in get(client, subject.url).content.decode()
    assert "Calculus II" in get(client, "/").content.decode()


def test_a_kept_fragment_is_kept_per_site_whatever_the_host_says(rf, home):
    from django.template import Context, Template

    other_home = home.add_child(instance=HomePage(title="Other", slug="other-home"))
    Site.objects.create(hostname="127.0.0.1", port=80, root_page=other_home)
    template = Template('{% load site_tags %}{% kept "greeting" %}{{ word }}{% endkept %}')
    first, same_site = rf.get("/", HTTP_HOST="localhost"), rf.get("/", HTTP_HOST="localhost:8123")
    other_site = rf.get("/", HTTP_HOST="127.0.0.1")
    assert template.render(Context({"request": first, "word": "hello"})) == "hello"
    assert template.render(Context({"request": first, "word": "changed"})) == "hello"
    assert template.render(Context({"request": same_site, "word": "changed"})) == "hello"
    assert template.render(Context({"request": other_site, "word": "other"})) == "other"


def test_a_fragment_holding_a_csrf_token_is_never_kept(rf):
    from django.template import Context, Template

    template = Template(
        '{% load site_tags %}{% kept "form" %}'
        '<input name="csrfmiddlewaretoken" value="{{ token }}">{% endkept %}'
    )
    request = rf.get("/")
    assert "token-of-a" in template.render(Context({"request": request, "token": "token-of-a"}))
    assert "token-of-b" in template.render(Context({"request": request, "token": "token-of-b"}))


def test_a_logged_in_catalogue_page_reuses_its_kept_listing_per_url(
    client, subject, course, student
):
    sequel = factories.CoursePageFactory(parent=subject, title="Topology", slug="topology")
    sequel.save_revision().publish()
    client.force_login(student)
    calculus = reverse("learning:catalog") + "?q=Calculus"
    topology = reverse("learning:catalog") + "?q=Topology"
    get(client, calculus)
    with CaptureQueriesContext(connection) as queries:
        page = get(client, calculus).content.decode()
    # The listing comes from the kept fragment; the reader's own courses ("Continue learning",
    # their marks) are read from their enrollments only.
    listing = [q["sql"] for q in queries.captured_queries if "learning_coursepage" in q["sql"]]
    assert not [sql for sql in listing if "learning_enrollment" not in sql]
    assert "Calculus" in page and ">Topology<" not in page
    other = get(client, topology).content.decode()
    assert "1 course matching “Topology”" in other


def test_a_hostile_search_stays_escaped_in_the_kept_catalogue(client, course, student):
    client.force_login(student)
    url = reverse("learning:catalog") + "?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    for _ in range(2):
        page = get(client, url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
