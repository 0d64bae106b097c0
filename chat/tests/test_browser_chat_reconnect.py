"""What static/js/chat.js promises beyond sending, checked in a real browser on real daphne
processes: it reconnects by itself with backoff after the server goes away and fills the gap
from history without duplicates, showing a clear offline state meanwhile; a moderator's
deletion disappears live from everyone's page; older history pages in, in order; times are shown
in the reader's own time zone.

The servers are daphne processes (chat/tests/live_servers.py) on this test's database: a file
copy of it on SQLite, the test database itself on PostgreSQL. Everything a server must see
(users, sessions, enrollments, messages) is written with the ORM *before* Chromium starts: while
Playwright's sync API runs, Django would give ORM calls a connection of their own (see
learning/tests/test_browser.py), so each test seeds, starts its servers, then opens the browser,
and reads every result from the pages. Skipped without Chromium, axe-core or Playwright unless
REQUIRE_BROWSER=1, as in test_browser_chat.py; the migrations' data is put back after each test
by the root conftest.
"""

import re
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from chat.models import Message
from chat.tests.live_servers import (
    DAPHNE,
    REPO,
    START_TIMEOUT,
    free_port,
    server_env,
    wait_for_port,
)
from chat.tests.live_servers import stop as stop_process
from chat.tests.test_browser_chat import _database_url
from conftest import make_user
from learning.models import Enrollment
from learning.tests.test_browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    MISSING,
    REQUIRE_BROWSER,
    TIMEOUT_MS,
    Tab,
    expect,
    sync_playwright,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        bool(MISSING) and not REQUIRE_BROWSER, reason="browser tests need " + "; ".join(MISSING)
    ),
]

RECONNECT_TIMEOUT_MS = 30_000  # backoff: retries ~1, 2, 4, 8 s apart while the server restarts
# What Chromium logs for each retry that finds no server: expected while the server is down.
REFUSED_WEBSOCKET = re.compile(
    r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/ws/(chat|notifications)/"
)
# Every change of the room's status line, kept in the page so the backoff can be read back.
RECORD_STATUS = """
window.chatStatuses = [];
document.addEventListener("DOMContentLoaded", function () {
    const line = document.querySelector("[data-chat-status]");
    if (!line) return;
    new MutationObserver(function () { window.chatStatuses.push(line.textContent); })
        .observe(line, {childList: true, characterData: true, subtree: true});
});
"""


@pytest.fixture(scope="module", autouse=True)
def _browser_tools_are_present():
    if MISSING:  # only with REQUIRE_BROWSER=1: otherwise the tests were skipped
        pytest.fail(
            "REQUIRE_BROWSER=1, but browser tests need " + "; ".join(MISSING), pytrace=False
        )


# --- servers -------------------------------------------------------------------------------------
class Daphne:
    """One daphne process that can be stopped and started again on the same port."""

    def __init__(self, env, directory, name):
        self.env, self.directory, self.name = env, Path(directory), name
        self.port = free_port()
        self.process = None
        self.starts = 0

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self):
        return self.directory / f"daphne-{self.name}-{self.starts}.log"

    def spawn(self):
        self.starts += 1
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [str(DAPHNE), "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait(self):
        wait_for_port(self.port, self.process, self.log, START_TIMEOUT)

    def start(self):
        self.spawn()
        self.wait()

    def stop(self):
        if self.process is not None:
            stop_process(self.process)  # SIGTERM, as a deployment or a crash-restart would
            self.process = None


@pytest.fixture
def servers(transactional_db, tmp_path):
    """start(*names): daphne processes, started in parallel, that share this test's data as it
    is at that moment (one SQLite copy for all of them; on PostgreSQL the test database itself).
    All are stopped at the end of the test, before its database is flushed."""
    started = []

    def start(*names):
        env = server_env(_database_url(tmp_path), "", "chat-reconnect", tmp_path)
        group = [Daphne(env, tmp_path, name) for name in names]
        started.extend(group)
        for server in group:
            server.spawn()
        for server in group:
            server.wait()
        return group

    yield start
    for server in started:  # all at once: each takes most of a second to shut down
        if server.process is not None:
            server.process.terminate()
    for server in started:
        server.stop()


@contextmanager
def chromium():
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


# --- data ----------------------------------------------------------------------------------------
@pytest.fixture
def people(course, instructor, enrolled_student):
    """Session cookies of the course's instructor and of two enrolled students."""
    classmate = make_user("classmate", first_name="Cleo", last_name="Classmate")
    Enrollment.objects.create(user=classmate, course=course)
    cookies = {}
    for name, user in (
        ("instructor", instructor),
        ("student", enrolled_student),
        ("classmate", classmate),
    ):
        client = Client()
        client.force_login(user)
        cookies[name] = client.cookies["sessionid"].value
    return cookies


def seed(course, author, texts, first_at, step=timedelta(minutes=1)):
    Message.objects.bulk_create(
        Message(course=course, author=author, text=text, created_at=first_at + n * step)
        for n, text in enumerate(texts)
    )


# --- pages ---------------------------------------------------------------------------------------
def open_room(browser, server, cookie, course, **options):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, **options)
    context.add_cookies(
        [{"name": "sessionid", "value": cookie, "domain": "127.0.0.1", "path": "/"}]
    )
    context.add_init_script(RECORD_STATUS)
    tab = Tab(context, server.origin)
    tab.goto(f"/chat/room/{course.pk}/")
    expect(tab.page.locator("[data-chat-status]")).to_have_text("Connected")
    return context, tab


def shown(tab):
    """(id, text) of every message on the page, in page order."""
    return [
        (int(item["id"]), item["text"])
        for item in tab.page.locator(".chat__message").evaluate_all(
            """items => items.map(item => ({
                id: item.dataset.id, text: item.querySelector(".chat__text").textContent
            }))"""
        )
    ]


def texts(tab):
    return [text for _, text in shown(tab)]


def assert_once_each_in_order(tab):
    ids = [message_id for message_id, _ in shown(tab)]
    assert len(ids) == len(set(ids)), f"a message is shown twice: {ids}"
    assert ids == sorted(ids), f"messages out of order: {ids}"


def send(tab, text):
    tab.page.get_by_label("Your message").fill(text)
    tab.page.keyboard.press("Enter")


def console_errors_besides_refused_websockets(tab):
    errors, tab.console_errors = tab.console_errors, []
    return [error for error in errors if not REFUSED_WEBSOCKET.search(error)]


# --- tests ---------------------------------------------------------------------------------------
def test_page_goes_offline_when_its_server_stops_and_reconnects_with_the_gap_filled_once(
    course, instructor, people, servers
):
    seed(course, instructor, ["Earlier 1", "Earlier 2", "Earlier 3"], timezone.now())
    # The page's server, and a second one on the same database for a classmate to post through
    # while the page's server is down.
    pages_server, other_server = servers("page", "other")
    room = "#chat"
    with chromium() as browser:
        student_context, student = open_room(browser, pages_server, people["student"], course)
        classmate_context, classmate = open_room(browser, other_server, people["classmate"], course)
        try:
            status = student.page.locator("[data-chat-status]")
            send(student, "Before the drop")
            expect(student.page.locator(".chat__message").last).to_contain_text("Before the drop")
            before = shown(student)
            assert [text for _, text in before] == [
                "Earlier 1",
                "Earlier 2",
                "Earlier 3",
                "Before the drop",
            ]

            pages_server.stop()

            # A clear offline state: said in the status line (a live region), sending disabled,
            # and a message typed now is refused with an explanation, not lost.
            expect(student.page.locator(room)).to_have_attribute("data-state", "offline")
            expect(status).to_have_text(re.compile(r"^You are offline\. Trying again in \d+ s…$"))
            expect(status).to_have_attribute("role", "status")
            expect(student.page.get_by_role("button", name="Send")).to_be_disabled()
            send(student, "Typed while offline")
            expect(student.page.get_by_role("alert")).to_have_text(
                "You are offline: the message was not sent."
            )
            expect(student.page.get_by_label("Your message")).to_have_value("Typed while offline")

            send(classmate, "Missed while offline")
            expect(classmate.page.locator(".chat__message").last).to_contain_text(
                "Missed while offline"
            )

            pages_server.start()  # the same port: the page retries it by itself

            expect(status).to_have_text("Connected", timeout=RECONNECT_TIMEOUT_MS)
            expect(student.page.locator(room)).to_have_attribute("data-state", "online")
            expect(student.page.get_by_role("alert")).to_be_hidden()
            expect(student.page.get_by_role("button", name="Send")).to_be_enabled()
            expect(student.page.locator(".chat__message").last).to_contain_text(
                "Missed while offline"
            )
            after = shown(student)
            assert after[:4] == before, "the messages shown before the drop changed"
            assert [text for _, text in after] == [
                "Earlier 1",
                "Earlier 2",
                "Earlier 3",
                "Before the drop",
                "Missed while offline",
            ]
            assert_once_each_in_order(student)

            # Backoff: each failed retry waits about twice as long as the one before
            # (1 s ± 25 %, then 2 s, 4 s, …), as the status line said each time.
            delays = [
                int(seconds)
                for line in student.page.evaluate("window.chatStatuses")
                for seconds in re.findall(r"Trying again in (\d+) s", line)
            ]
            assert delays, "the status line never said when it would try again"
            assert delays[0] == 1, delays
            assert delays == sorted(set(delays)), f"the retries did not back off: {delays}"
            if len(delays) > 1:
                assert delays[1] == 2, delays

            # The new connection works: the message kept in the box is sent now, once.
            student.page.get_by_role("button", name="Send").click()
            expect(student.page.locator(".chat__message").last).to_contain_text(
                "Typed while offline"
            )
            assert texts(student)[-2:] == ["Missed while offline", "Typed while offline"]
            assert_once_each_in_order(student)
            assert console_errors_besides_refused_websockets(student) == []
            assert console_errors_besides_refused_websockets(classmate) == []
        finally:
            student_context.close()
            classmate_context.close()


def outside_the_browsers_loop(function, *args):
    """Run an ORM call on another thread: Playwright's sync API keeps an event loop running on
    this one, where Django refuses database calls."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(_closing_connections, function, *args).result()


def _closing_connections(function, *args):
    from django.db import connections

    try:
        return function(*args)
    finally:
        connections.close_all()


def post_behind_the_servers(tmp_path, course, author, texts, started_at):
    """Messages stored while the page is offline, straight into the servers' database (on
    SQLite the copy they read; on PostgreSQL the test database itself): more than one history
    holds, faster than the per-user rate limit would let anyone post them."""
    rows = [
        (course.pk, author.pk, text, started_at + timedelta(seconds=n))
        for n, text in enumerate(texts)
    ]
    if connection.vendor == "postgresql":
        outside_the_browsers_loop(seed, course, author, texts, started_at, timedelta(seconds=1))
        return
    database = sqlite3.connect(tmp_path / "chat-browser.sqlite3")
    try:
        with database:
            database.executemany(
                f"INSERT INTO {Message._meta.db_table} (course_id, author_id, text, created_at)"
                " VALUES (?, ?, ?, ?)",
                [
                    (c, a, t, when.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "))
                    for c, a, t, when in rows
                ],
            )
    finally:
        database.close()


def delete_behind_the_servers(tmp_path, message_id):
    if connection.vendor == "postgresql":
        outside_the_browsers_loop(lambda: Message.objects.filter(pk=message_id).delete())
        return
    database = sqlite3.connect(tmp_path / "chat-browser.sqlite3")
    try:
        with database:
            database.execute(f"DELETE FROM {Message._meta.db_table} WHERE id = ?", [message_id])
    finally:
        database.close()


def test_after_a_long_gap_the_page_shows_the_latest_messages_without_a_hole_or_deleted_ones(
    course, instructor, people, servers, tmp_path
):
    seed(
        course,
        instructor,
        ["Earlier 1", "Earlier 2", "Doomed"],
        timezone.now() - timedelta(hours=1),
    )
    (pages_server,) = servers("page")
    with chromium() as browser:
        context, student = open_room(browser, pages_server, people["student"], course)
        try:
            # "Connected" shows when the socket opens; the history follows in its own frame.
            expect(student.page.locator(".chat__message")).to_have_count(3)
            assert texts(student) == ["Earlier 1", "Earlier 2", "Doomed"]
            doomed = shown(student)[-1][0]
            pages_server.stop()
            expect(student.page.locator("#chat")).to_have_attribute("data-state", "offline")

            # While the page is offline, a moderator deletes a message and 60 are posted: more
            # than the 50 a history holds.
            delete_behind_the_servers(tmp_path, doomed)
            missed = [f"Missed {n:02d}" for n in range(1, 61)]
            post_behind_the_servers(tmp_path, course, instructor, missed, timezone.now())
            pages_server.start()

            expect(student.page.locator("[data-chat-status]")).to_have_text(
                "Connected", timeout=RECONNECT_TIMEOUT_MS
            )
            expect(student.page.locator(".chat__message").last).to_contain_text("Missed 60")
            # The latest 50, contiguous: no hole between what was shown and what was missed.
            assert texts(student) == missed[10:]
            assert_once_each_in_order(student)

            # The rest pages in, in order, and the deleted message never comes back.
            student.page.get_by_role("button", name="Show older messages").click()
            expect(student.page.locator(".chat__message").first).to_contain_text("Earlier 1")
            assert texts(student) == ["Earlier 1", "Earlier 2", *missed]
            assert_once_each_in_order(student)
        finally:
            context.close()


def test_a_message_deleted_by_the_moderator_disappears_live_from_a_students_page(
    course, people, enrolled_student, servers
):
    seed(
        course,
        enrolled_student,
        ["Keep me", "Delete me in the room", "Delete me in the admin", "Keep me too"],
        timezone.now(),
    )
    (server,) = servers("room")
    with chromium() as browser:
        student_context, student = open_room(browser, server, people["student"], course)
        teacher_context, teacher = open_room(browser, server, people["instructor"], course)
        try:
            # "Connected" comes before the history frame: wait for the messages themselves.
            expect(student.page.locator(".chat__message")).to_have_count(4)
            expect(teacher.page.locator(".chat__delete")).to_have_count(4)
            assert student.page.locator(".chat__delete").count() == 0  # students cannot

            # In the room: the instructor's Delete button, which asks first.
            delete = teacher.page.locator(
                ".chat__message", has_text="Delete me in the room"
            ).get_by_role("button", name=re.compile(r"^Delete the message by "))
            asked = []

            def answer(dialog, accept):
                asked.append(dialog.message)
                dialog.accept() if accept else dialog.dismiss()

            teacher.page.once("dialog", lambda dialog: answer(dialog, False))
            delete.click()  # and says no: nothing happens
            teacher.page.wait_for_timeout(300)
            assert asked and "cannot be undone" in asked[0]
            expect(
                student.page.locator(".chat__message", has_text="Delete me in the room")
            ).to_have_count(1)
            teacher.page.once("dialog", lambda dialog: answer(dialog, True))
            delete.click()
            gone = student.page.locator(".chat__message", has_text="Delete me in the room")
            expect(gone).to_have_count(0)
            expect(
                teacher.page.locator(".chat__message", has_text="Delete me in the room")
            ).to_have_count(0)
            assert texts(student) == ["Keep me", "Delete me in the admin", "Keep me too"]

            # In the Wagtail admin (a plain Django view): the student's page is told too.
            message_id = student.page.locator(
                ".chat__message", has_text="Delete me in the admin"
            ).get_attribute("data-id")
            teacher.goto(f"/admin/chat/message/delete/{message_id}/")
            teacher.page.get_by_role("button", name="Yes, delete").click()
            expect(
                student.page.locator(".chat__message", has_text="Delete me in the admin")
            ).to_have_count(0)
            assert texts(student) == ["Keep me", "Keep me too"]

            # Gone for good, not just from the page: a fresh load shows the same.
            student.page.reload()
            expect(student.page.locator("[data-chat-status]")).to_have_text("Connected")
            expect(student.page.locator(".chat__message")).to_have_count(2)
            assert texts(student) == ["Keep me", "Keep me too"]
            student.check("the room after a moderator's deletions")
        finally:
            student_context.close()
            teacher_context.close()


def test_older_history_pages_in_before_the_last_50_in_order_without_duplicates(
    course, people, instructor, enrolled_student, servers
):
    all_texts = [f"Message {n:03}" for n in range(1, 121)]
    seed(course, instructor, all_texts, timezone.now() - timedelta(days=3))
    (server,) = servers("room")
    with chromium() as browser:
        context, student = open_room(browser, server, people["student"], course)
        try:
            older = student.page.locator("[data-chat-older]")
            messages = student.page.locator(".chat__message")
            expect(messages).to_have_count(50)
            assert texts(student) == all_texts[70:]
            expect(older).to_be_visible()
            expect(older).not_to_have_attribute("hidden", "")

            older.click()
            expect(messages).to_have_count(100)
            assert texts(student) == all_texts[20:]
            expect(older).to_be_visible()
            expect(older).not_to_have_attribute("hidden", "")

            older.click()
            expect(messages).to_have_count(120)
            assert texts(student) == all_texts
            # Nothing older is left: the button is hidden.
            expect(older).to_be_hidden()
            assert_once_each_in_order(student)

            # A new message still goes to the end, once.
            send(student, "Live after paging")
            expect(messages).to_have_count(121)
            assert texts(student) == [*all_texts, "Live after paging"]
            assert_once_each_in_order(student)
            assert console_errors_besides_refused_websockets(student) == []
        finally:
            context.close()


def _expected_time(instant, zone, now):
    """What chat.js shows for ``instant`` to a reader in ``zone`` (locale en-GB): the time
    only for a message of the reader's today, otherwise the date too."""
    local = instant.astimezone(ZoneInfo(zone))
    clock = local.strftime("%H:%M")
    if local.date() == now.astimezone(ZoneInfo(zone)).date():
        return re.compile(rf"^{clock}$")
    # en-GB abbreviates some months with four letters ("Sept"): only the first three are fixed.
    return re.compile(rf"^{local.day} {local:%b}\w* {local.year},? {clock}$")


def test_times_are_shown_in_the_readers_own_time_zone(course, people, enrolled_student, servers):
    # 23:30 UTC on 10 March is already 11 March in Tokyo, and still the afternoon of the 10th
    # in Los Angeles (daylight saving time there since 8 March).
    late_evening_utc = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    seed(course, enrolled_student, ["Sent late on 10 March, UTC"], late_evening_utc)
    just_now = timezone.now().replace(microsecond=0)
    seed(course, enrolled_student, ["Sent just now"], just_now)
    (server,) = servers("room")
    with chromium() as browser:
        contexts = []
        try:
            for earlier_readers, zone in enumerate(("Asia/Tokyo", "America/Los_Angeles")):
                context, reader = open_room(
                    browser, server, people["student"], course, timezone_id=zone, locale="en-GB"
                )
                contexts.append(context)
                assert (
                    reader.page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == zone
                )
                times = reader.page.locator(".chat__time")
                expect(times).to_have_count(2 + earlier_readers)  # and their live messages
                expect(times.nth(0)).to_have_attribute("datetime", late_evening_utc.isoformat())
                now = datetime.now(UTC)
                expect(times.nth(0)).to_have_text(_expected_time(late_evening_utc, zone, now))
                expect(times.nth(1)).to_have_text(_expected_time(just_now, zone, now))

                # A message that arrives live is shown in the same way.
                sent_at = datetime.now(UTC)
                send(reader, f"Live from {zone}")
                expect(reader.page.locator(".chat__message").last).to_contain_text(zone)
                shown_time = reader.page.locator(".chat__time").last.text_content()
                received_at = datetime.now(UTC)
                assert any(
                    _expected_time(moment, zone, moment).match(shown_time)
                    for moment in (sent_at, received_at)
                ), (shown_time, zone)
        finally:
            for context in contexts:
                context.close()


def test_older_button_is_not_shown_when_there_is_nothing_older(course, people, live_server):
    """Only the page and its CSS matter here, so the room is served over plain HTTP (pytest-
    django's live server, without WebSockets): the button keeps the template's ``hidden``, as
    it has after chat.js hides it."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.add_cookies(
            [{"name": "sessionid", "value": people["student"], "url": live_server.url}]
        )
        try:
            page = Tab(context, live_server.url).page
            page.goto(f"{live_server.url}/chat/room/{course.pk}/")
            older = page.locator("[data-chat-older]")
            expect(older).to_have_attribute("hidden", "")
            expect(older).to_be_hidden(timeout=1_000)
        finally:
            context.close()
