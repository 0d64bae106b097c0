"""A reader sees a notification arrive live in a real browser, opens the centre, marks it read.

The whole path runs as in production: ``notify()`` and the task worker in a process of their
own, the channel layer on a private redis-server, daphne serving the pages and the socket, on a
copy of the test database (SQLite) or the test database itself (PostgreSQL). Chromium and
axe-core as in learning/tests/test_browser.py (REQUIRE_BROWSER=1 turns a missing tool into a
failure).
"""

import subprocess
import sys

import pytest

from chat.tests.live_servers import REDIS_SERVER, REPO, ThrowawayRedis, daphne_servers, server_env
from chat.tests.test_browser_chat import _database_url as database_url
from learning.tests import test_browser as shared
from learning.tests.test_browser import MISSING, PASSWORD, REQUIRE_BROWSER, Tab, expect

# The demo data (and its "outsider", a student enrolled in nothing) and Chromium, as in the
# site's browser tests.
demo = shared.demo
browser = shared.browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        bool(MISSING) and not REQUIRE_BROWSER, reason="browser tests need " + "; ".join(MISSING)
    ),
]

TITLE = "Module 2 is open <b>now</b>"


@pytest.fixture
def server(demo, tmp_path):
    """daphne and a private Redis on a copy of the demo data; yields (origin, env)."""
    if MISSING:
        pytest.fail("REQUIRE_BROWSER=1, but browser tests need " + "; ".join(MISSING))
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    env = server_env(database_url(tmp_path), redis.url, "notifications-browser", tmp_path)
    try:
        with daphne_servers(1, env, tmp_path) as (port,):
            yield f"http://127.0.0.1:{port}", env
    finally:
        redis.stop()


def deliver(env):
    """notify() the reader, then run the worker until the queue is empty: both server-side."""
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from notifications.services import notify\n"
        "user = get_user_model().objects.get(username='outsider')\n"
        f"notify([user.pk], kind='module_open', title={TITLE!r}, body='Go on.',"
        " url='/learn/', key='module_open:2')\n"
    )
    manage = [sys.executable, str(REPO / "manage.py")]
    for command in (
        [*manage, "shell", "-c", code],
        [*manage, "db_worker", "--backend", "background", "--batch", "--no-startup-delay"],
    ):
        subprocess.run(command, env=env, cwd=REPO, check=True, timeout=60, capture_output=True)


def test_a_notification_arrives_live_and_is_read_in_the_centre(server, browser):
    # ``server`` first: it copies the database before Chromium's event loop starts.
    origin, env = server
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        tab = Tab(context, origin)
        tab.goto("/accounts/login/")
        tab.page.get_by_label("Username").fill("outsider")
        tab.page.get_by_label("Password").fill(PASSWORD)
        tab.page.get_by_role("button", name="Log in").click()
        page = tab.page
        link = page.locator("[data-notifications-link]")
        badge = link.locator("[data-notifications-count]")
        expect(link).to_have_attribute("data-unread", "0")
        expect(badge).to_be_hidden()
        expect(link).to_have_attribute("data-live", "connected")
        tab.check("a page with no notification")

        deliver(env)
        expect(badge).to_be_visible()
        expect(link.locator("[data-notifications-number]")).to_have_text("1")
        expect(link.locator("[data-notifications-text]")).to_have_text(" (1 unread)")
        expect(page.locator("[data-notifications-live]")).to_have_text(f"New notification: {TITLE}")
        toast = page.locator(".notification-toast")
        expect(toast).to_contain_text(TITLE)  # as text: the markup in the title stays text
        assert page.locator(".notification-toast b").count() == 0
        tab.check("a page with a live notification")

        link.click()
        expect(page).to_have_url(origin + "/notifications/")
        item = page.locator(".notification--unread")
        expect(item).to_contain_text(TITLE)
        tab.check("the notification centre")
        item.get_by_role("button", name="Mark as read").click()
        expect(page.locator(".notification--unread")).to_have_count(0)
        expect(page.locator(".notification")).to_contain_text(TITLE)
        expect(link).to_have_attribute("data-unread", "0")
        expect(badge).to_be_hidden()
        tab.check("the notification centre, all read")
    finally:
        context.close()
