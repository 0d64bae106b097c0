"""Quizzes in a real browser, checked with axe-core: every kind of question answered, and a
graded quiz run out of attempts without ever showing its answers (the demo's Calculus course)."""

# ruff: noqa: F811 (the fixtures are test_browser's, imported by name)
import re

from django.conf import settings

from learning.tests.test_browser import (  # noqa: F401 (fixtures)
    COURSE_URL,
    Tab,
    _log_in,
    browser,
    demo,
    expect,
    pytestmark,
    tab,
)

DERIVATIVE_URL = COURSE_URL + "02-the-derivative/"


def _log_in_demo_user(tab, username):
    """A user of the demo data (load_demo), with its password."""
    page = tab.page
    tab.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


INTEGRATION_URL = COURSE_URL + "03-integration/"


def _enroll(tab):
    page = tab.page
    _log_in(tab, "outsider")
    tab.goto(COURSE_URL)
    page.get_by_role("button", name="Enroll").click()
    expect(page.get_by_role("button", name="Enroll")).to_have_count(0)


def test_a_student_answers_every_kind_of_question_and_sees_each_answer_marked(tab):
    page = tab.page
    _enroll(tab)
    tab.goto(INTEGRATION_URL)
    tab.check("a module with a practice quiz of every kind")
    quiz = page.locator(".quiz__form")
    quiz.get_by_label("x² + 5").check()
    quiz.locator("fieldset", has_text="from a to a").get_by_label("True").check()
    quiz.get_by_label(re.compile("links derivatives and integrals")).fill("  Fundamental THEOREM ")
    quiz.get_by_label(re.compile("area under y = x")).fill("8")
    quiz.get_by_label("cos x").select_option(label="sin x")
    quiz.get_by_label("1 / x").select_option(label="ln |x|")
    quiz.get_by_label("eˣ", exact=True).select_option(label="eˣ + 1")
    quiz.get_by_role("button", name="Submit answers").click()
    expect(page.locator(".quiz-result__score")).to_contain_text("Passed: 100%")
    expect(page.locator(".quiz-result__answers").first).to_contain_text("True")
    expect(page.get_by_text("Differentiate each answer to check it.")).to_be_visible()
    tab.check("a passed attempt of every kind")

    # A wrong number, then not a number: a clear message, the other answers kept.
    page.get_by_role("link", name="Back to the module").click()
    quiz = page.locator(".quiz__form")
    quiz.get_by_label("x² + 5").check()
    quiz.get_by_label(re.compile("area under y = x")).fill("eight")
    quiz.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Question 4 takes a number")
    expect(page.get_by_label("x² + 5")).to_be_checked()
    tab.check("a quiz refused for a word where a number goes", status=400)


def _answer_wrong(page):
    """A wrong answer to each of the graded derivatives quiz's questions, in any order."""
    form = page.locator(".quiz__form")
    for wrong in ("The area under its curve up to that point", "x", "−cos x", "Only at x = 0"):
        form.get_by_label(wrong, exact=True).check()
    form.get_by_label("f(x) = x", exact=True).check()
    form.get_by_role("button", name="Submit answers").click()


def test_a_student_runs_out_of_attempts_and_never_sees_the_answers(tab):
    page = tab.page
    _enroll(tab)
    tab.goto(DERIVATIVE_URL)
    expect(page.locator(".quiz__meta").first).to_contain_text("3 attempts · answers once passed")
    page.get_by_role("link", name="Take the quiz").click()
    expect(page.get_by_text("You may submit this quiz 3 times.")).to_be_visible()
    tab.check("a graded quiz's page")
    for left in (2, 1, 0):
        _answer_wrong(page)
        expect(page.locator(".quiz-result__score")).to_contain_text("Not passed yet: 0%")
        expect(page.get_by_text(f"{left} attempt{'s' if left != 1 else ''} left")).to_be_visible()
        expect(page.get_by_text("shown once you pass")).to_be_visible()
        assert "(correct)" not in page.content() and "The power rule" not in page.content()
        tab.check(f"a failed graded attempt, {left} left")
        if left:
            page.get_by_role("link", name="Try again").click()
    expect(page.get_by_text("You have used all 3 attempts at this quiz.")).to_be_visible()
    expect(page.get_by_role("link", name="Try again")).to_have_count(0)
    page.get_by_role("link", name="Review the module").click()
    page.get_by_role("link", name="Take the quiz").click()
    expect(page.get_by_text("Best score 0%")).to_be_visible()
    expect(page.locator(".quiz__form")).to_have_count(0)
    tab.check("a quiz with no attempt left")


def test_on_a_phone_the_header_keeps_its_parts_apart_and_the_home_page_says_where_to_continue(
    browser, live_server
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        tab = Tab(context, live_server.url)
        page = tab.page
        _log_in_demo_user(tab, "student")  # the demo's student: enrolled in Calculus, module 1 done
        tab.goto("/")
        brand = page.locator(".site-header__brand").bounding_box()
        account = page.locator(".site-header__account").bounding_box()
        assert brand["x"] + brand["width"] <= account["x"], (brand, account)
        name = page.locator(".site-header .brand__name")
        assert name.evaluate("e => e.scrollWidth <= e.clientWidth"), "the site name is cut"
        continuing = page.locator(
            "section", has=page.get_by_role("heading", name="Continue learning")
        )
        expect(continuing).to_contain_text("Calculus from scratch")
        expect(continuing).to_contain_text("1 of 4 modules complete")
        tab.check("the logged-in home page on a phone")
        # Every listing marks the student's course.
        tab.goto("/catalog/")
        card = page.locator(".course-card", has_text="Calculus from scratch")
        expect(card.locator(".badge--enrolled")).to_have_text("Enrolled")
        tab.check("the catalogue on a phone")
        # The focus ring of the navigation is drawn whole, not clipped by its scrolling list.
        link = page.locator(".site-nav a").first
        link.focus()
        ring = link.evaluate("e => getComputedStyle(e).outlineOffset")
        assert ring.startswith("-"), ring
        continuing_link = page.get_by_role("link", name="My learning")
        expect(continuing_link).to_be_visible()
    finally:
        context.close()


def test_the_instructor_reads_the_gradebook_and_a_students_answers(tab):
    page = tab.page
    _log_in_demo_user(tab, "instructor")
    tab.goto("/admin/learning/reports/")
    page.get_by_role("row", name=re.compile("Calculus from scratch")).get_by_role(
        "link", name="Gradebook"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gradebook")
    table = page.locator("#listing-results table")
    expect(table).to_contain_text("Sam Student")
    expect(table).to_contain_text("Kim Classmate")
    tab.check("the gradebook", within="main")

    page.get_by_role("link", name="Progress").click()  # sort by progress
    expect(page).to_have_url(re.compile("ordering=done"))
    export = page.request.get(page.url + "&export=csv")  # with the page's session
    assert export.headers["content-type"].startswith("text/csv")
    assert "Sam Student" in export.text() and "1. Limits and continuity" in export.text()

    tab.goto("/admin/learning/reports/")
    page.get_by_role("row", name=re.compile("Calculus from scratch")).get_by_role(
        "link", name="Gradebook"
    ).click()
    page.get_by_role("link", name="Sam Student").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sam Student")
    expect(page.get_by_text("Graded quiz: derivatives, attempt 1")).to_be_visible()
    tab.check("a student's page in the gradebook", within="main")
