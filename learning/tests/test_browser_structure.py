"""Course structure in a real browser (axe-core): an announcement posted in the admin reaches a
student's header live and opens on the course page, a module released days after enrolling, a
sequential course, prerequisites, the private calendar address.

One site for the whole module, as in production: daphne serving the pages and the sockets, the
channel layer on a private redis-server, the task worker in a process of its own, on a copy of
the test database (SQLite) or the test database itself (PostgreSQL), with the demo data and a
user per test (each test changes only its own user's state, in any order). Chromium and axe-core
as in learning/tests/test_browser.py (REQUIRE_BROWSER=1 turns a missing tool into a failure).
"""

import io
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from chat.tests.live_servers import (
    REDIS_SERVER,
    REPO,
    ThrowawayRedis,
    daphne_servers,
    read_log,
    server_env,
    stop,
)
from chat.tests.test_browser_chat import _database_url as database_url
from conftest import restore_migrated_data
from learning.tests.test_browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    COURSE_URL,
    MISSING,
    PASSWORD,
    REQUIRE_BROWSER,
    TIMEOUT_MS,
    Tab,
    expect,
    sync_playwright,
)

# The tests read and change the data only through the site and the worker, in their own
# processes: the module's fixture makes the data (committed) and puts the migrated rows back
# after the last test. The mark is for pytest-django to set the test database up; each test's
# own transaction in this process stays empty.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(
        bool(MISSING) and not REQUIRE_BROWSER, reason="browser tests need " + "; ".join(MISSING)
    ),
]

MECHANICS_URL = "/physics/classical-mechanics/"
PROBABILITY_URL = "/mathematics/probability-for-everyone/"
LINEAR_ALGEBRA_URL = "/mathematics/linear-algebra-essentials/"
DRIP_DAYS = 10
ANNOUNCEMENT = "Exam moved to <b>Friday</b>"
ANNOUNCEMENT_BODY = "The exam is on Friday at 10:00 (UTC).\nBring a pencil."


@dataclass(frozen=True)
class Site:
    origin: str
    env: dict  # the servers' environment, for the worker
    directory: Path  # their logs
    media: Path  # the server's media folder
    dripped_url: str  # Classical mechanics, module 2: opens DRIP_DAYS days after enrolling
    opens_at: datetime  # when it opens for the students enrolled by _make_data


def _make_data():
    """The demo, a user per test, their enrollments (a day ago, on the minute), and module 2 of
    Classical mechanics released DRIP_DAYS days after enrolling."""
    from learning.models import CoursePage, Enrollment, ModulePage

    call_command("load_demo", stdout=io.StringIO())
    users = {
        name: get_user_model().objects.create_user(
            username=name, email=f"{name}@example.com", password=PASSWORD
        )
        for name in ("reader", "dripper", "stepper", "newcomer", "planner")
    }
    courses = {course.slug: course for course in CoursePage.objects.all()}
    mechanics = courses["classical-mechanics"]
    dripped = ModulePage.objects.child_of(mechanics).order_by("path")[1]
    dripped.opens_after_days = DRIP_DAYS
    dripped.save_revision(user=mechanics.owner).publish(user=mechanics.owner)
    enrolled_at = (timezone.now() - timedelta(days=1)).replace(second=0, microsecond=0)
    for name, slug in [
        ("reader", "calculus-from-scratch"),
        ("dripper", "classical-mechanics"),
        ("planner", "classical-mechanics"),
        ("stepper", "probability-for-everyone"),
    ]:
        Enrollment.objects.create(user=users[name], course=courses[slug], created_at=enrolled_at)
    return dripped.url, enrolled_at + timedelta(days=DRIP_DAYS)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    """daphne and a private Redis on the demo data, for every test of the module; the
    migrations' rows are put back after the last one."""
    if MISSING:
        pytest.fail("REQUIRE_BROWSER=1, but browser tests need " + "; ".join(MISSING))
    if REDIS_SERVER is None:
        if REQUIRE_BROWSER:
            pytest.fail("REQUIRE_BROWSER=1, but redis-server is not installed")
        pytest.skip("redis-server is not installed")
    tmp_path = tmp_path_factory.mktemp("structure")
    redis = ThrowawayRedis(tmp_path)
    try:
        with django_db_blocker.unblock():
            dripped_url, opens_at = _make_data()
            url = database_url(tmp_path)  # SQLite: a copy; PostgreSQL: the test database
        redis.start()
        env = server_env(url, redis.url, "structure-browser", tmp_path)
        with daphne_servers(1, env, tmp_path) as (port,):
            media = _share_media(tmp_path)
            origin = f"http://127.0.0.1:{port}"
            yield Site(origin, env, tmp_path, media, dripped_url, opens_at)
    finally:
        redis.stop()
        with django_db_blocker.unblock():
            restore_migrated_data()


def _share_media(directory):
    """The server's media folder (the test settings make one per process, under its TMPDIR),
    with the demo's images made in this process: as the processes of a deployment share one."""
    (media,) = Path(directory).glob("learning-test-media-*")
    shutil.copytree(settings.MEDIA_ROOT, media, dirs_exist_ok=True)
    return media


@pytest.fixture
def chromium(site):
    """Chromium, started after the test's database set-up: while Playwright runs, its event loop
    counts as running on this thread and Django refuses ORM calls (see test_browser.browser)."""
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


class Person:
    """A user logged in, in a browser context of their own."""

    def __init__(self, chromium, site, username, password):
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900})
        self.tab = Tab(self.context, site.origin)
        self.page = self.tab.page
        # Uploaded images, from the server's media folder, as the web server in front of daphne
        # serves them in production (Django serves them only with DEBUG on). Registered after
        # the Tab's route, so asked first.
        self.context.route(site.origin + "/media/**", partial(_serve_media, site.media))
        self.tab.goto("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.get_by_role("button", name="Log out")).to_be_visible()

    def check(self, label, **kwargs):
        """Tab.check once the page's transitions and animations have ended: axe measures the
        contrast of a message or toast fading in against what shows through it."""
        self.page.wait_for_load_state("load")
        self.page.evaluate(SETTLED)
        self.tab.check(label, **kwargs)

    @property
    def header_link(self):
        return self.page.locator("[data-notifications-link]")


#: Resolves once the page's short transitions and animations (a message or a toast fading in)
#: have ended; not the long ones that draw attention (the admin's badge pings for 25 seconds).
SETTLED = """() => Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getComputedTiming().activeDuration <= 2000)
    .map(a => a.finished.catch(() => null)))"""


def _serve_media(media, route):
    path = urlsplit(route.request.url).path.removeprefix("/media/")
    found = (media / path).resolve()
    public = path.startswith(("images/", "original_images/")) and found.is_relative_to(media)
    if public and found.is_file():
        route.fulfill(path=found)
        return
    route.fulfill(status=404, body="Not found")


@pytest.fixture
def person(chromium, site):
    """``person(username)``: that user, logged in; their contexts are closed after the test."""
    people = []

    def log_in(username, password=PASSWORD):
        people.append(Person(chromium, site, username, password))
        return people[-1]

    yield log_in
    for someone in people:
        someone.context.close()


@contextmanager
def worker(env, directory):
    """The task worker in a process of its own, running until the queue is empty; the block
    watches the pages meanwhile (a toast stays ten seconds), then the worker must have ended
    well."""
    log = Path(directory) / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "manage.py"), "db_worker", "--backend", "background"]
            + ["--batch", "--no-startup-delay"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
        assert process.wait(timeout=60) == 0, read_log(log)
    finally:
        stop(process)


def test_an_announcement_posted_in_the_admin_reaches_the_student_live_and_opens_on_the_course(
    site, person
):
    student = person("reader")  # enrolled in Calculus from scratch
    page = student.page
    student.tab.goto(COURSE_URL)
    link = student.header_link
    badge = link.locator("[data-notifications-count]")
    expect(link).to_have_attribute("data-unread", "0")
    expect(badge).to_be_hidden()
    expect(link).to_have_attribute("data-live", "connected")
    student.check("the course page, nothing unread")
    page.evaluate("window.notReloaded = true")

    # The course's instructor posts it from the admin, in a browser of their own.
    teacher = person("instructor", settings.DEMO_PASSWORD)
    admin = teacher.page
    teacher.tab.goto("/admin/learning/announcement/create/")
    admin.get_by_role("combobox", name="Course").select_option(label="Calculus from scratch")
    admin.get_by_role("textbox", name="Title").fill(ANNOUNCEMENT)
    admin.get_by_role("textbox", name="Body").fill(ANNOUNCEMENT_BODY)
    teacher.check("the announcement form", within="main")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator(".messages")).to_contain_text(f"“{ANNOUNCEMENT}” is posted")
    expect(admin.locator("main table")).to_contain_text(ANNOUNCEMENT)
    expect(admin.locator(".messages > ul")).to_have_css("opacity", "1")  # faded in
    teacher.check("the announcements listing", within="main")

    title = f"Calculus from scratch: {ANNOUNCEMENT}"
    with worker(site.env, site.directory):
        expect(badge).to_be_visible()
        expect(link).to_have_attribute("data-unread", "1")
        expect(link.locator("[data-notifications-number]")).to_have_text("1")
        expect(link.locator("[data-notifications-text]")).to_have_text(" (1 unread)")
        live = page.locator("[data-notifications-live]")
        expect(live).to_have_text(f"New notification: {title}")
        expect(page.locator(".notification-toast")).to_contain_text(title)
        assert page.evaluate("window.notReloaded === true"), "the page was reloaded"
        student.check("the course page with a live notification")

    link.click()
    expect(page).to_have_url(site.origin + "/notifications/")
    unread = page.locator(".notification--unread")
    expect(unread).to_have_count(1)
    expect(unread.locator(".notification__title")).to_have_text(title)  # the markup as text
    expect(unread).to_contain_text("Bring a pencil.")
    student.check("the notification centre")

    unread.get_by_role("link", name=title).click()
    expect(page).to_have_url(site.origin + COURSE_URL)
    posted = page.locator(".course__announcements .announcement", has_text=ANNOUNCEMENT)
    expect(posted.get_by_role("heading", level=3)).to_have_text(ANNOUNCEMENT)
    expect(posted).to_contain_text("Isaac Newton-Smith")
    expect(posted).to_contain_text("Bring a pencil.")
    assert posted.locator("b").count() == 0
    expect(link).to_have_attribute("data-unread", "0")
    expect(badge).to_be_hidden()
    student.check("the course page showing the announcement")

    student.tab.goto("/notifications/")
    expect(page.locator(".notification--unread")).to_have_count(0)
    expect(page.locator(".notification").first).to_contain_text(title)
    expect(page.get_by_text("You are all caught up.")).to_be_visible()
    student.check("the notification centre, all read")


def _module_item(page, number, title):
    """The course page's item for module ``number`` (from 1), checked to be ``title``."""
    item = page.locator(".module-list > .module-list__item").nth(number - 1)
    expect(item.locator(".module-list__link")).to_contain_text(f"{number}. {title}")
    return item


def test_a_module_released_days_after_enrolling_shows_its_date_and_stays_closed(site, person):
    student = person("dripper")  # enrolled a day ago; module 2 opens DRIP_DAYS days after
    page = student.page
    student.tab.goto(MECHANICS_URL)
    opens = f"Opens on {site.opens_at:%-d %B %Y, %H:%M}"
    locked = _module_item(page, 2, "Newton's laws")
    expect(locked).to_have_class(re.compile("module-list__item--locked"))
    expect(locked.locator(".badge--locked")).to_have_text(opens)
    expect(locked.get_by_role("link")).to_have_count(0)
    for number, title in [(1, "Motion in one dimension"), (3, "Energy and momentum")]:
        expect(_module_item(page, number, title).get_by_role("link")).to_be_visible()
    student.check("a course page with a module not open yet")

    response = student.tab.goto(site.dripped_url)
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("“Newton's laws” is not open yet")
    expect(page.locator(".lead time")).to_have_text(f"{site.opens_at:%A %-d %B %Y, %H:%M}")
    expect(page.locator(".lead time")).to_have_attribute("datetime", site.opens_at.isoformat())
    assert "Forces and the motion they cause." in page.content()
    student.check("the module's not-open-yet page", status=403)


def test_in_a_sequential_course_the_second_module_opens_once_the_first_is_passed(site, person):
    student = person("stepper")  # enrolled in Probability for everyone: modules open in order
    page = student.page
    student.tab.goto(PROBABILITY_URL)
    expect(page.get_by_text("The modules open one after the other")).to_be_visible()
    second = _module_item(page, 2, "Conditional probability")
    expect(second.locator(".badge--locked")).to_have_text("Complete “Counting outcomes” first")
    expect(second.get_by_role("link")).to_have_count(0)
    third = _module_item(page, 3, "Expectation and variance")
    expect(third.locator(".badge--locked")).to_have_text("Complete “Conditional probability” first")
    student.check("a sequential course's page")

    response = student.tab.goto(PROBABILITY_URL + "02-conditional-probability/")
    assert response.status == 403
    expect(page.locator(".lead")).to_contain_text("complete Counting outcomes first")
    student.check("a module waiting for the one before it", status=403)

    page.locator(".lead").get_by_role("link", name="Counting outcomes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Counting outcomes")
    quiz = page.locator(".quiz__form")
    quiz.get_by_label("A worked example").check()
    quiz.get_by_label("Explaining it in your own words").check()
    quiz.get_by_label("Writing down the three ideas you remember").check()
    quiz.get_by_role("button", name="Submit answers").click()
    expect(page.locator(".quiz-result__score")).to_contain_text("Passed: 100%")
    student.check("the first module's quiz, passed")

    student.tab.goto(PROBABILITY_URL)
    expect(_module_item(page, 1, "Counting outcomes").locator(".badge--done")).to_have_text(
        "Completed"
    )
    expect(second.locator(".badge--locked")).to_have_count(0)
    expect(third.locator(".badge--locked")).to_have_text("Complete “Conditional probability” first")
    student.check("the sequential course, its first module complete")
    second.get_by_role("link", name=re.compile("Conditional probability")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conditional probability")
    student.check("the second module, open")


def test_a_student_without_the_required_course_is_told_to_complete_it_and_cannot_enroll(
    site, person
):
    student = person("newcomer")
    page = student.page
    student.tab.goto(LINEAR_ALGEBRA_URL)
    notice = page.locator(".course__actions .notice")
    expect(notice).to_contain_text("Before you can enroll, complete this course:")
    required = notice.get_by_role("link", name="Calculus from scratch")
    expect(required).to_have_attribute("href", COURSE_URL)
    expect(page.get_by_role("button", name=re.compile("Enroll"))).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Enroll"))).to_have_count(0)
    expect(page.locator(".course__prerequisites")).to_contain_text("Calculus from scratch")
    student.check("a course whose prerequisite the student lacks")

    required.click()
    expect(page).to_have_url(site.origin + COURSE_URL)
    expect(page.get_by_role("button", name=re.compile("Enroll"))).to_be_visible()


def test_the_calendar_page_shows_a_private_address_and_makes_a_new_one(site, person):
    student = person("planner")  # enrolled in Classical mechanics, whose module 2 is dated
    page = student.page
    student.tab.goto("/learn/calendar/")
    address = page.get_by_label("Calendar address")
    pattern = re.compile(re.escape(site.origin) + r"/learn/calendar/[\w-]{20,}\.ics")
    expect(address).to_have_value(pattern)
    first = address.input_value()
    dates = page.locator(".due-list")
    expect(dates).to_contain_text("Newton's laws")
    expect(dates).to_contain_text(f"Opens {site.opens_at:%-d %B %Y, %H:%M}")
    feed = page.request.get(first)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert "Newton's laws" in feed.text()
    student.check("the calendar page")

    page.get_by_role("button", name="Make a new address").click()
    expect(page.locator(".messages")).to_contain_text("Your calendar has a new address")
    expect(address).not_to_have_value(first)
    expect(address).to_have_value(pattern)
    assert page.request.get(first).status == 404
    assert page.request.get(address.input_value()).status == 200
    student.check("the calendar page with a new address")
