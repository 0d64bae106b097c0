"""Fixtures shared by every app's tests: the demo roles' users and a small page tree.

The test database is migrated, so it already holds the default Site with its HomePage and the
Instructors and Editors groups made by the data migrations.
"""

from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from hypothesis import settings as hypothesis_settings
from wagtail.models import Site

from learning.tests import factories

PASSWORD = "correct-horse-battery-staple"

# The fuzzer's examples (home/tests/test_fuzz.py): the same on every run (derandomised, no
# example database), a fixed number per test so that CI keeps its time, no deadline (a test
# request's time varies with the machine). HYPOTHESIS_EXAMPLES raises it for a longer hunt.
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=int(__import__("os").environ.get("HYPOTHESIS_EXAMPLES", "15")),
)
hypothesis_settings.load_profile("ci")


def make_user(username, group=None, **extra):
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, **extra
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def home(db):
    return Site.objects.get(is_default_site=True).root_page.specific


@pytest.fixture
def instructor(db):
    return make_user("instructor", "Instructors", first_name="Ida", last_name="Instructor")


@pytest.fixture
def other_instructor(db):
    return make_user("instructor2", "Instructors", first_name="Otto", last_name="Other")


@pytest.fixture
def editor(db):
    return make_user("editor", "Editors")


@pytest.fixture
def student(db):
    return make_user("student")


@pytest.fixture
def superuser(db):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def subject(home):
    return factories.SubjectPageFactory(parent=home, title="Mathematics", slug="mathematics")


@pytest.fixture
def course(subject, instructor):
    return factories.CoursePageFactory(
        parent=subject, title="Calculus", slug="calculus", owner=instructor
    )


@pytest.fixture
def module(course, instructor):
    return factories.ModulePageFactory(
        parent=course, title="Limits", slug="limits", owner=instructor
    )


@pytest.fixture
def other_course(subject, other_instructor):
    return factories.CoursePageFactory(
        parent=subject, title="Algebra", slug="algebra", owner=other_instructor
    )


@pytest.fixture
def other_module(other_course, other_instructor):
    return factories.ModulePageFactory(
        parent=other_course, title="Groups", slug="groups", owner=other_instructor
    )


@pytest.fixture
def enrolled_student(student, course):
    from learning.models import Enrollment

    Enrollment.objects.create(user=student, course=course)
    return student


@pytest.fixture
def student_client(client, enrolled_student):
    """A browser logged in as a student enrolled in ``course``: the reader of its modules."""
    client.force_login(enrolled_student)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the cache outlives the database rollback, and a
    rendition or page kept by an earlier test would name rows (reused ids) that are gone."""
    clear_cache()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets its own channel layer instance (and chat room hub, chat.fanout).

    Each async test runs on its own event loop, and channels-redis binds a layer's receive lock
    to the loop of its first receiver: a consumer still waiting on a test's loop when it ends
    (say after a timeout) would leave that lock held, and every later test would fail with "is
    bound to a different event loop" instead of its own result.
    """
    from channels.layers import channel_layers

    from chat import fanout

    channel_layers.backends.clear()
    fanout.reset()  # the chat rooms' subscriptions too
    yield
    channel_layers.backends.clear()
    fanout.reset()


# --- transactional tests must not take the migrations' data away from the tests after them -----
#
# A transactional test (live server, WebSocket consumer, several processes) ends with a flush of
# every table, which removes what the data migrations created: Wagtail's root page and
# collection, the default Site and its HomePage, the Instructors and Editors groups. The
# database is serialized once after migrating, and put back after each transactional test.


#: Per database alias: the test database's name and its rows right after migrating (JSON).
MIGRATED = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            MIGRATED[connection.alias] = (
                connection.settings_dict["NAME"],
                connection.creation.serialize_db_to_string(),
            )


def migrated_rows(connection):
    """The rows the migrations left in this connection's test database, content types first:
    a Wagtail page being restored looks its own up, and would create it under a new id if it
    were not there yet."""
    import json

    rows = json.loads(MIGRATED[connection.alias][1])
    rows.sort(key=lambda row: row["model"] != "contenttypes.contenttype")
    return rows


def restore_rows(connection, rows):
    """Empty every table, then load ``rows`` (``migrated_rows``)."""
    import json

    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    call_command(
        "flush", interactive=False, inhibit_post_migrate=True, reset_sequences=False, verbosity=0
    )
    ContentType.objects.clear_cache()
    connection.creation.deserialize_db_from_string(json.dumps(rows))


def restore_migrated_data():
    from django.db import connection

    name, _rows = MIGRATED.get(connection.alias, (None, None))
    if connection.settings_dict["NAME"] != name:
        return  # not connected to the test database: leave it alone
    restore_rows(connection, migrated_rows(connection))


def _is_transactional(item):
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return "transactional_db" in getattr(item, "fixturenames", ()) or "live_server" in getattr(
            item, "fixturenames", ()
        )
    return bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield  # every fixture of the test, including the flush, is torn down by now
    # After the session's last test the test database is already destroyed and the connection
    # points at the real one again: never touch it.
    if nextitem is not None and _is_transactional(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            restore_migrated_data()


@contextmanager
def shared_rows(django_db_blocker):
    """Rows made once and read by several tests: a fixture with a wider scope than a test
    makes them inside this block, whose transaction is rolled back when it ends. Each test's
    own transaction nests inside it (a savepoint), so what a test changes is undone after it
    while the shared rows stay. Only for tests that are not transactional."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def page_cache_on(settings):
    """The page cache on (tests run with it off), in an empty cache."""
    settings.PAGE_CACHE_SECONDS = 60
    clear_cache()
    yield
    clear_cache()


def clear_cache():
    """Empty this test run's cache keys only (never FLUSHDB on the machine's shared Redis), and
    what this process keeps in memory: the generation it read and the values kept under it."""
    from django.core.cache import cache

    from core.cache import forget
    from core.kept import forget_all

    forget()
    forget_all()

    if hasattr(cache, "delete_pattern"):
        # Every version: Wagtail keeps its site root paths under version 2, which a plain
        # delete_pattern("*") (version 1 only) would leave behind. The channel layer's keys
        # (prefix:asgi...) are left alone.
        client = cache.client.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:[0-9]*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
