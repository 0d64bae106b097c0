"""Two people chat in a real browser: messages arrive live and hostile text stays text.

The room needs WebSockets, which pytest-django's live server does not speak, so this starts a
daphne process on a copy of the test database (chat/tests/live_servers.py). Chromium and
axe-core as in learning/tests/test_browser.py.
"""

import re
import sqlite3

import pytest
from django.conf import settings
from django.db import connection

from chat.tests.live_servers import daphne_servers, server_env
from learning.tests import test_browser as shared
from learning.tests.test_browser import MISSING, PASSWORD, REQUIRE_BROWSER, Tab, expect

# The demo data and Chromium, as in the site's browser tests.
demo = shared.demo
browser = shared.browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        bool(MISSING) and not REQUIRE_BROWSER, reason="browser tests need " + "; ".join(MISSING)
    ),
]

HOSTILE = "<img src=x onerror=alert(1)>"
COURSE_URL = "/mathematics/calculus-from-scratch/"
# The server's rate-limit window is long, so the quick messages below span at most two windows:
# 2 x limit + 1 of them put more than the limit in one, however slowly the browser sends them.
RATE_LIMIT = 8
RATE_WINDOW_SECONDS = 600


def _database_url(tmp_path):
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"
    copy = tmp_path / "chat-browser.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return f"sqlite:///{copy}"


@pytest.fixture
def server(demo, tmp_path):
    env = server_env(_database_url(tmp_path), "", "chat-browser", tmp_path)
    env.update(CHAT_RATE_LIMIT=str(RATE_LIMIT), CHAT_RATE_WINDOW_SECONDS=str(RATE_WINDOW_SECONDS))
    with daphne_servers(1, env, tmp_path) as (port,):
        yield f"http://127.0.0.1:{port}"


def _person(browser, origin, username, password=PASSWORD):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = Tab(context, origin)
    tab.page.on("dialog", lambda dialog: tab.console_errors.append(f"dialog: {dialog.message}"))
    tab.goto("/accounts/login/")
    tab.page.get_by_label("Username").fill(username)
    tab.page.get_by_label("Password").fill(password)
    tab.page.get_by_role("button", name="Log in").click()
    expect(tab.page.get_by_role("button", name="Log out")).to_be_visible()
    return context, tab


def test_two_people_chat_live_and_a_hostile_message_shows_as_text(server, browser):
    # ``server`` first: it copies the database before Chromium's event loop starts.
    student_context, student = _person(browser, server, "outsider")
    teacher_context, teacher = _person(browser, server, "instructor", settings.DEMO_PASSWORD)
    try:
        student.goto(COURSE_URL)
        student.page.get_by_role("button", name="Enroll").click()
        student.goto(COURSE_URL)
        # The server process has a media folder of its own (without the demo images), so the
        # course page's cover image is missing there: only the room's own console counts.
        student.console_errors.clear()
        student.page.get_by_role("link", name="Course chat").click()
        expect(student.page.locator("[data-chat-status]")).to_have_text("Connected")
        room = student.path

        teacher.goto(room)
        expect(teacher.page.locator("[data-chat-status]")).to_have_text("Connected")
        expect(student.page.locator("[data-chat-online]")).to_contain_text("Isaac Newton-Smith")
        teacher.check("the chat room")

        student.page.get_by_label("Your message").fill(HOSTILE)
        student.page.keyboard.press("Enter")
        received = teacher.page.locator(".chat__text").last
        expect(received).to_have_text(HOSTILE)
        assert teacher.page.locator(".chat__messages img").count() == 0
        assert student.page.locator(".chat__messages img").count() == 0

        teacher.page.get_by_label("Your message").fill("Welcome to the course!")
        teacher.page.get_by_role("button", name="Send").click()
        latest = student.page.locator(".chat__message").last
        expect(latest).to_contain_text("Welcome to the course!")
        expect(latest.locator(".chat__badge")).to_have_text("Instructor")
        expect(student.page.get_by_label("Your message")).to_be_focused()
        student.check("the chat room, as a student")

        # Too fast: the message the room refuses goes back in the box, not lost.
        box = student.page.get_by_label("Your message")
        refused = student.page.locator("[data-chat-error]", has_text="too fast")
        for n in range(2 * RATE_LIMIT + 1):
            text = f"Quick message {n}"
            box.fill(text)
            student.page.keyboard.press("Enter")
            sent = student.page.locator(".chat__text", has_text=text)
            expect(sent.or_(refused)).to_be_visible()
            if refused.is_visible():
                expect(box).to_have_value(text)
                break
        else:
            pytest.fail("the room never refused a message sent too fast")
        assert re.fullmatch(r"/chat/room/\d+/", room)

        # Joins and leaves arrive as changes to the list of who is online.
        online = student.page.locator("[data-chat-online]")
        expect(online.locator("li", has_text="Isaac Newton-Smith")).to_contain_text("Instructor")
        teacher.goto("/")
        expect(online).not_to_contain_text("Isaac Newton-Smith")
        expect(online.locator("li")).to_have_count(1)
    finally:
        student_context.close()
        teacher_context.close()
