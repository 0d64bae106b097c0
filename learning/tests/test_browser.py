"""The student journey in a real browser, on a live server, checked with axe-core.

Debian's Chromium runs headless through Playwright's Python API; axe-core comes from
node_modules (``npm ci``) and is injected into each page by the test. Every request that is not
to the live server is aborted, so nothing leaves the machine (the demo module embeds YouTube).

Without Chromium, axe-core or Playwright the tests are skipped, unless REQUIRE_BROWSER=1 (as in
CI), when they fail instead: a browser suite that silently skips proves nothing.
"""

import io
import json
import os
import re
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # reported by _missing_tools()
    expect = sync_playwright = None

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 15_000  # generous: the first render of a page makes its image renditions

COURSE_URL = "/mathematics/calculus-from-scratch/"
MODULE_URL = COURSE_URL + "01-limits-and-continuity/"
NEXT_MODULE_URL = COURSE_URL + "02-the-derivative/"
PASSWORD = "a-long-Passphrase-4-tests"


def _missing_tools():
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE.exists():
        missing.append(f"axe-core at {AXE.relative_to(REPO)} (npm ci)")
    if sync_playwright is None:
        missing.append("the playwright Python package (pip install -r requirements-dev.txt)")
    return missing


MISSING = _missing_tools()
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"

# serialized_rollback: the live server needs a transactional database, and the flush after each
# test would otherwise take the default Site, its HomePage and the role groups (all made by data
# migrations) away from the next one.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # A skip mark, not pytest.skip() in a fixture: nothing is set up for a skipped test.
    pytest.mark.skipif(
        bool(MISSING) and not REQUIRE_BROWSER,
        reason="browser tests need " + "; ".join(MISSING),
    ),
]


@pytest.fixture(scope="module", autouse=True)
def _browser_tools_are_present():
    """Under REQUIRE_BROWSER=1 (CI) a missing browser or axe-core fails instead of skipping.

    The migrations' data these tests start from is put back after every transactional test by
    the root conftest (restore_migrated_data).
    """
    if MISSING:  # only with REQUIRE_BROWSER=1: otherwise the tests were skipped
        pytest.fail(
            "REQUIRE_BROWSER=1, but browser tests need " + "; ".join(MISSING), pytrace=False
        )


@pytest.fixture
def demo(transactional_db):
    """The demo site, and a second student who is enrolled in nothing."""
    call_command("load_demo", stdout=io.StringIO())
    get_user_model().objects.create_user(
        username="outsider", email="outsider@example.com", password=PASSWORD
    )


@pytest.fixture
def browser(demo, live_server):
    """Chromium, started once the data is in place and stopped before the database is flushed.

    While Playwright's sync API runs, its asyncio loop counts as running on this thread, and
    Django then keeps database connections per asyncio context instead of per thread: an ORM
    call would get a connection of its own rather than the test database's (and would need
    DJANGO_ALLOW_ASYNC_UNSAFE). So no ORM call happens while the browser runs: data is made in
    ``demo``, and results are read from the pages.
    """
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


class Tab:
    """A browser page on the live server that records console errors and blocked requests."""

    def __init__(self, context, origin):
        self.origin = origin
        self.console_errors = []
        self.blocked = set()
        context.route("**/*", self._only_our_server)
        self.page = context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))

    def _only_our_server(self, route):
        url = route.request.url
        if _origin(url) == self.origin:
            route.continue_()
        else:
            self.blocked.add(url)
            route.abort()

    def _on_console(self, message):
        if message.type != "error":
            return
        source = message.location.get("url", "")
        # A request the test itself aborted (the YouTube player) fails with a console error of
        # its own: the test caused it, not the site. Every other error counts.
        if source in self.blocked:
            return
        self.console_errors.append(f"{message.text} ({source or 'no location'})")

    def goto(self, path):
        return self.page.goto(self.origin + path)

    @property
    def path(self):
        return urlsplit(self.page.url).path

    def check(self, label, status=200, within=None):
        """No console errors since the last check, and no WCAG 2.1 A/AA violation, on this page.

        Chromium reports a page served with an error status as a failed resource: for a page
        that is meant to be an error page (``status``), that one message is expected.
        """
        self.page.wait_for_load_state("load")
        # Fade-ins (the admin's messages, a notification's toast) are checked once finished:
        # mid-fade, their colours are not the ones a reader sees.
        self.page.evaluate(
            "() => Promise.all(document.getAnimations()"
            ".filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)"
            ".map(a => a.finished.catch(() => null)))"
        )
        if not self.page.evaluate("typeof window.axe === 'object'"):
            self.page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        # iframes: false keeps axe out of the (blocked) third-party player; the <iframe> element
        # itself, its title included, is still checked.
        # ``within``: a selector, for pages whose frame is not ours (the Wagtail admin's).
        results = self.page.evaluate(
            """([tags, within]) => axe.run(within ? {include: [within]} : document, {
                runOnly: {type: "tag", values: tags}, iframes: false, resultTypes: ["violations"]
            })""",
            [AXE_TAGS, within],
        )
        violations = [
            {
                "rule": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "nodes": [
                    {"target": node["target"], "html": node["html"][:200]}
                    for node in violation["nodes"]
                ],
            }
            for violation in results["violations"]
        ]
        errors, self.console_errors = self.console_errors, []
        if status >= 400:
            expected = (
                f"Failed to load resource: the server responded with a status of {status} "
                f"({HTTPStatus(status).phrase}) ({self.page.url})"
            )
            assert expected in errors, f"{label} was not served with HTTP {status}"
            errors.remove(expected)
        assert violations == [], f"axe on {label} ({self.path}):\n" + json.dumps(
            violations, indent=2
        )
        assert errors == [], f"console errors on {label} ({self.path}): {errors}"


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
def tab(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield Tab(context, live_server.url)
    context.close()


def test_student_signs_up_finds_a_course_enrolls_studies_and_logs_out(tab):
    page = tab.page

    tab.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    tab.check("the home page")

    page.get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    tab.check("the sign-up page")
    page.get_by_label("Username").fill("newstudent")
    page.get_by_label("Email").fill("newstudent@example.com")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Newcomer")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    tab.check("My learning, empty, after signing up")

    page.get_by_role("link", name="All courses").click()
    page.get_by_label("Search", exact=True).fill("derivatives")
    page.get_by_label("Subject", exact=True).select_option("mathematics")
    page.get_by_role("button", name="Show courses").click()
    expect(page).to_have_url(re.compile(r"/catalog/\?.*q=derivatives"))
    result = page.locator(".course-grid").get_by_role("link", name="Calculus from scratch")
    expect(result).to_be_visible()
    tab.check("the catalogue search results")

    result.click()
    expect(page).to_have_url(re.compile(re.escape(COURSE_URL) + "$"))
    tab.check("the course page")

    page.get_by_role("button", name="Enroll").click()
    expect(page).to_have_url(re.compile(re.escape(MODULE_URL) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Limits and continuity")
    expect(page.locator(".messages")).to_contain_text("You are enrolled in “Calculus from scratch”")
    _assert_every_block_works(tab)
    tab.check("the module with every block type")

    page.locator("a[rel=next]").first.click()
    expect(page).to_have_url(re.compile(re.escape(NEXT_MODULE_URL) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("The derivative")
    tab.check("the next module")

    page.get_by_role("link", name="My learning").click()
    expect(page).to_have_url(re.compile(r"/learn/$"))
    expect(page.locator(".learning-list")).to_contain_text("Calculus from scratch")
    tab.check("My learning")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    tab.check("the page after logging out")

    # The only third party the journey's pages asked for: the YouTube player (no CDN, no fonts).
    assert {urlsplit(url).hostname for url in tab.blocked} == {"www.youtube-nocookie.com"}


def _assert_every_block_works(tab):
    """Text, image, YouTube player, uploaded video and file download, each really there."""
    page = tab.page
    body = page.locator(".module__body")
    expect(body.locator(".block--text h2")).to_have_text("Limits and continuity")

    image = body.locator(".block--image img")
    image.scroll_into_view_if_needed()
    expect(image).to_have_attribute("alt", re.compile(r"\S"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )

    player = body.locator(".block--video iframe")
    expect(player).to_have_attribute("src", re.compile(r"^https://www\.youtube-nocookie\.com/"))
    expect(player).to_have_attribute("title", re.compile(r"\S"))
    player.scroll_into_view_if_needed()

    video = body.locator(".block--video video")
    video.scroll_into_view_if_needed()
    # HAVE_METADATA: the uploaded clip was served by our server and Chromium can decode it.
    page.wait_for_function("video => video.readyState >= 1", arg=video.element_handle())

    download = body.locator(".block--file a[download]")
    expect(download).to_be_visible()
    response = page.request.get(tab.origin + download.get_attribute("href"))
    assert response.ok, f"file block download: HTTP {response.status}"


def test_module_is_refused_to_a_student_who_is_not_enrolled(tab):
    page = tab.page

    tab.goto(MODULE_URL)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    tab.check("the log-in page")

    page.get_by_label("Username").fill("outsider")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: urlsplit(r.url).path == MODULE_URL) as refused:
        page.get_by_role("button", name="Log in").click()
    assert refused.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enroll to read “Limits and continuity”"
    )
    expect(page.locator(".module__body")).to_have_count(0)
    tab.check("the 403 page for a module", status=403)
    assert not tab.blocked, f"the refusal page asked a third party for {tab.blocked}"


OPTICS_URL = "/physics/light-and-optics/"


def _log_in(tab, username):
    page = tab.page
    tab.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _answer_quiz(page, single, multiple):
    form = page.locator(".quiz__form").first
    form.locator(f'input[name="q1"][value="{single}"]').check()
    for value in multiple:
        form.locator(f'input[name="q2"][value="{value}"]').check()
    form.get_by_role("button", name="Submit answers").click()


def test_student_fails_a_quiz_retries_passes_completes_the_course_and_opens_the_certificate(tab):
    page = tab.page
    _log_in(tab, "outsider")
    tab.goto(OPTICS_URL)
    page.get_by_role("button", name="Enroll").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reflection")
    # The correct answers are not in the page before the quiz is graded.
    assert "(correct)" not in page.content()
    tab.check("a module with a quiz")

    _answer_quiz(page, single=1, multiple=[0])  # wrong, and half right
    expect(page.locator(".quiz-result__score")).to_contain_text("Not passed yet: 0%")
    expect(page.locator(".quiz-result__explanation").first).to_be_visible()
    tab.check("a failed quiz attempt")

    page.get_by_role("link", name="Try again").click()
    expect(page).to_have_url(re.compile(r"/learn/modules/\d+/quiz/"))
    tab.check("the quiz page")
    _answer_quiz(page, single=0, multiple=[0, 1])
    expect(page.locator(".quiz-result__score")).to_contain_text("Passed: 100%")
    tab.check("a passed quiz attempt")

    page.get_by_role("link", name=re.compile(r"^Next: Refraction and lenses")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refraction and lenses")
    expect(page.locator(".progress__label").first).to_have_text("1 of 2 modules complete")
    _answer_quiz(page, single=0, multiple=[0, 1])
    expect(page.locator(".quiz-result__score")).to_contain_text("Passed")

    page.get_by_role("link", name="My learning").click()
    completed = page.locator("section", has=page.get_by_role("heading", name="Completed"))
    expect(completed).to_contain_text("Light and optics")
    tab.check("My learning with a completed course")

    completed.get_by_role("link", name=re.compile("Certificate")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("outsider")
    expect(page.locator(".certificate")).to_contain_text("Light and optics")
    expect(page.locator(".certificate")).to_contain_text("Certificate of completion")
    tab.check("the certificate")
    certificate_url = page.url

    # Printed (A4 landscape within 12 mm margins: 1032 x 703 CSS pixels), it is centred alone.
    page.set_viewport_size({"width": 1032, "height": 703})
    page.emulate_media(media="print")
    box = page.locator(".certificate").bounding_box()
    text = page.locator(".certificate__student").bounding_box()
    assert abs(box["x"] - (1032 - box["x"] - box["width"])) <= 2, box
    assert abs(text["x"] + text["width"] / 2 - 516) <= 2, text
    assert box["height"] <= 703 and page.locator(".site-header").is_hidden()
    page.emulate_media(media="screen")

    # Anyone can verify it: a fresh browser without a session sees the same certificate.
    other = page.context.browser.new_context()
    try:
        visitor = other.new_page()
        visitor.goto(certificate_url)
        expect(visitor.locator(".certificate")).to_contain_text("Light and optics")
    finally:
        other.close()


def test_the_404_page_is_in_the_sites_frame_and_accessible(tab):
    page = tab.page
    response = tab.goto("/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    tab.check("the 404 page", status=404)
