"""What the differential tests of the caching layer share (core/tests/test_differential.py).

The proof that caching never mixes readers up is differential (docs: DESIGN.md, "Caching: what
must never mix"): every reader asks for every page with caching on and with caching off, and
the answers must be the same. This module holds the parts both variants use, the one in a
single process (Django's test client) and the one across server processes:

- ``build_site()``: the courses, the readers and their sessions, made through the ORM and the
  progress rules (learning.progress), so that the rows are those the site itself would write.
  It runs in the test's database or in the servers' (``RUNNER_SCRIPT``).
- ``apply_change(name, ids)``: one of ``CHANGES``, made through the ORM so that every signal
  fires as it does in the admin, here too in the test's database or in the servers'.
- ``answer()`` and ``differences()``: an answer reduced to what must not differ between
  caching on and off (its status, headers and body), and a readable account of the differences.

Only what legitimately differs from one response to the next is normalised: the CSRF token
(masked anew for every response), the dates of ``Expires`` and of cookie expiries, a "some
minutes ago" that a minute boundary can change between two requests; and left out: ``Date``,
the hop-by-hop headers and the caches' own (``X-Page-Cache``, ``X-API-Cache``), which only a
cached answer carries.
"""

import difflib
import re
from dataclasses import dataclass

PAGE_PASSWORD = "open-sesame"
MODULE_PASSWORD = "another-secret"
#: The name of a reader whose name is HTML: it must come out escaped, and theirs only.
HTML_NAME = ("<b>Bob</b><script>x</script>", '<i>Smith</i> & "co"')
#: The Host header of every request: the same for all servers, whatever their port (absolute
#: URLs in pages and API answers follow it).
HOST = "localhost"

#: Every reader: what they are.
READERS = {
    "anonymous": "a visitor without a session",
    "anonymous_password": "a visitor who entered the password of the Algebra course",
    "non_member": "logged in, in no course",
    "enrolled_0": "enrolled in Calculus (and Algebra), nothing done",
    "enrolled_part": "enrolled in Calculus (one module done) and Mechanics",
    "completed": "completed Calculus, with a certificate",
    "quiz_passed": "enrolled in Calculus, passed its quiz",
    "quiz_failed": "enrolled in Calculus, failed its quiz",
    "instructor": "the instructor of Calculus (and Mechanics)",
    "other_instructor": "another instructor (of Algebra and Geometry)",
    "editor": "in the Editors group",
    "superuser": "a superuser",
    "html_name": "enrolled in Calculus, with HTML in their first and last names",
}

#: The changes made between rounds, in order; each round compares every reader and URL again.
CHANGES = (
    "course_title_published",
    "module_unpublished",
    "password_restriction_added",
    "login_restriction_added",
    "group_restriction_added",
    "student_unenrolled",
)


# --- the site --------------------------------------------------------------------------------
def build_site():
    """Make the page tree, the readers and their sessions; returns what the tests need
    (plain data, JSON-safe): ``urls``, ``cookies`` (reader → {name: value}), ``ids`` and
    ``password`` (the Algebra course's restriction, for Wagtail's password form)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.http import QueryDict
    from wagtail.models import PageViewRestriction, Site

    from learning import progress
    from learning.models import Certificate, Enrollment
    from learning.tests import factories
    from learning.tests.quiz_data import QUIZ_ID, add_quiz

    def user(username, group=None, **extra):
        # No password: the production hasher is slow by design, and the readers log in with
        # a session made here.
        made = get_user_model().objects.create_user(username, f"{username}@example.com", None)
        for name, value in extra.items():
            setattr(made, name, value)
        made.save()
        if group:
            made.groups.add(Group.objects.get(name=group))
        return made

    users = {
        "non_member": user("nina", first_name="Nina", last_name="Visitor"),
        "enrolled_0": user("zoe", first_name="Zoe"),
        "enrolled_part": user("pat", first_name="Pat", last_name="Part"),
        "completed": user("cora", first_name="Cora", last_name="Complete"),
        "quiz_passed": user("quinn", first_name="Quinn"),
        "quiz_failed": user("fred", first_name="Fred"),
        "instructor": user("ida", "Instructors", first_name="Ida", last_name="Instructor"),
        "other_instructor": user("otto", "Instructors", first_name="Otto", last_name="Other"),
        "editor": user("eddie", "Editors", first_name="Eddie", last_name="Editor"),
        "superuser": user("root", is_staff=True, is_superuser=True),
        "html_name": user("bob", first_name=HTML_NAME[0], last_name=HTML_NAME[1]),
    }
    ida, otto = users["instructor"], users["other_instructor"]

    home = Site.objects.get(is_default_site=True).root_page.specific
    maths = factories.SubjectPageFactory(parent=home, title="Mathematics", slug="mathematics")
    physics = factories.SubjectPageFactory(parent=home, title="Physics", slug="physics")
    calculus = factories.CoursePageFactory(
        parent=maths, title="Calculus", slug="calculus", owner=ida
    )
    limits = factories.ModulePageFactory(parent=calculus, title="Limits", slug="limits", owner=ida)
    limits.body = [{"type": "text", "value": "<p>Limits, read slowly.</p>"}]
    limits.save_revision().publish()
    derivatives = add_quiz(
        factories.ModulePageFactory(
            parent=calculus, title="Derivatives", slug="derivatives", owner=ida
        )
    )
    integrals = factories.ModulePageFactory(
        parent=calculus, title="Integrals & <series>", slug="integrals", owner=ida
    )
    algebra = factories.CoursePageFactory(parent=maths, title="Algebra", slug="algebra", owner=otto)
    groups = factories.ModulePageFactory(parent=algebra, title="Groups", slug="groups", owner=otto)
    geometry = factories.CoursePageFactory(
        parent=maths, title="Geometry", slug="geometry", owner=otto
    )
    factories.ModulePageFactory(parent=geometry, title="Triangles", slug="triangles", owner=otto)
    mechanics = factories.CoursePageFactory(
        parent=physics, title="Mechanics", slug="mechanics", owner=ida
    )
    factories.ModulePageFactory(parent=mechanics, title="Motion", slug="motion", owner=ida)
    restriction = PageViewRestriction.objects.create(
        page=algebra, restriction_type=PageViewRestriction.PASSWORD, password=PAGE_PASSWORD
    )

    def enroll(name, *courses):
        for course in courses:
            Enrollment.objects.create(user=users[name], course=course)
        return Enrollment.objects.get(user=users[name], course=courses[0])

    def quiz(name, answers):
        return progress.submit_quiz(users[name], derivatives, QUIZ_ID, QueryDict(answers))

    enroll("enrolled_0", calculus, algebra)
    part = enroll("enrolled_part", calculus, mechanics)
    progress.complete_module(users["enrolled_part"], limits)
    Enrollment.objects.filter(pk=part.pk).update(last_module=limits)
    enroll("completed", calculus)
    progress.complete_module(users["completed"], limits)
    progress.complete_module(users["completed"], integrals)
    assert quiz("completed", "q1=0&q2=0&q2=2").passed  # completes the course
    certificate = Certificate.objects.get(user=users["completed"], course=calculus)
    enroll("quiz_passed", calculus)
    assert quiz("quiz_passed", "q1=0&q2=0&q2=2").passed
    enroll("quiz_failed", calculus)
    assert not quiz("quiz_failed", "q1=1&q2=1").passed
    enroll("html_name", calculus)
    progress.complete_module(users["html_name"], limits)

    urls = [
        "/",
        maths.url,
        physics.url,
        calculus.url,
        limits.url,
        derivatives.url,
        integrals.url,
        algebra.url,
        groups.url,
        geometry.url,
        "/catalog/?q=calculus",
        "/learn/",
        f"/learn/certificates/{certificate.pk}/",
        f"/chat/room/{calculus.pk}/",
        "/api/v2/courses/",
        "/api/v2/subjects/",
        "/api/v2/pages/",
        f"/api/v2/courses/{calculus.pk}/contents/",
        "/api/v2/me/enrollments/",
    ]
    ids = {
        "users": {name: made.pk for name, made in users.items()},
        "calculus": calculus.pk,
        "limits": limits.pk,
        "integrals": integrals.pk,
        "geometry": geometry.pk,
        "physics": physics.pk,
    }
    return {
        "urls": urls,
        "cookies": {
            "anonymous": {},
            **{name: session_cookie(made) for name, made in users.items()},
        },
        "ids": ids,
        "password": {"restriction": restriction.pk, "page": algebra.pk, "url": algebra.url},
    }


def session_cookie(user):
    """A logged-in session for ``user`` in the site's session store, as its cookie."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {settings.SESSION_COOKIE_NAME: session.session_key}


def apply_change(name, ids):
    """Make one of ``CHANGES`` as an editor or a student would (signals fire)."""
    from django.contrib.auth.models import Group
    from wagtail.models import Page, PageViewRestriction

    from learning.models import Enrollment

    def page(key):
        return Page.objects.get(pk=ids[key]).specific

    if name == "course_title_published":
        course = page("calculus")
        course.title = "Calculus: <limits> & more"
        course.save_revision().publish()
    elif name == "module_unpublished":
        page("integrals").unpublish()
    elif name == "password_restriction_added":
        PageViewRestriction.objects.create(
            page=page("limits"),
            restriction_type=PageViewRestriction.PASSWORD,
            password=MODULE_PASSWORD,
        )
    elif name == "login_restriction_added":
        PageViewRestriction.objects.create(
            page=page("geometry"), restriction_type=PageViewRestriction.LOGIN
        )
    elif name == "group_restriction_added":
        restriction = PageViewRestriction.objects.create(
            page=page("physics"), restriction_type=PageViewRestriction.GROUPS
        )
        restriction.groups.add(Group.objects.get(name="Editors"))
    elif name == "student_unenrolled":
        deleted, _ = Enrollment.objects.filter(
            user_id=ids["users"]["enrolled_part"], course_id=ids["calculus"]
        ).delete()
        assert deleted == 1
    else:
        raise ValueError(name)
    return {"changed": name}


# --- in the servers' environment ----------------------------------------------------------------
#: Marks the lines of the runner's answers on its standard output.
RESULT = "differential-result: "

#: A Python process with the servers' environment that runs commands read from its standard
#: input, one JSON object a line, and writes each one's result (one interpreter, set up once,
#: for all of them): {"do": "migrate"}, {"do": "site"} (``build_site``) and
#: {"do": "change", "name": ..., "ids": ...} (``apply_change``).
RUNNER_SCRIPT = f"""
import json, sys, traceback
import django
django.setup()
from core.tests import differential
for line in sys.stdin:
    try:
        result = differential.run_command(json.loads(line))
    except Exception:
        result = {{"error": traceback.format_exc()}}
    sys.stdout.write({RESULT!r} + json.dumps(result) + "\\n")
    sys.stdout.flush()
"""


def run_command(command):
    from django.core.management import call_command
    from django.db import connection

    if command["do"] == "migrate":
        call_command("migrate", interactive=False, verbosity=0)
        result = {"migrated": True}
    elif command["do"] == "site":
        result = build_site()
    elif command["do"] == "change":
        result = apply_change(command["name"], command["ids"])
    else:
        raise ValueError(command)
    connection.close()  # nothing held open between commands
    return result


# --- answers -----------------------------------------------------------------------------------
#: Headers only a cached answer carries (a hit or a stored miss), and the hop-by-hop ones.
IGNORED_HEADERS = {"x-page-cache", "x-api-cache", "date", "connection", "keep-alive", "server"}
TOKEN = "«csrf-token»"
_CSRF_PATTERNS = [
    # <input type="hidden" name="csrfmiddlewaretoken" value="...">, whatever the attribute order
    re.compile(r'(name="csrfmiddlewaretoken"\s+value=")[^"]*(")'),
    re.compile(r'(value=")[^"]*("\s+name="csrfmiddlewaretoken")'),
    # <meta name="csrf-token" content="...">, and a token given to a script
    re.compile(r'(<meta\s+name="csrf[-_]?token"\s+content=")[^"]*(")', re.IGNORECASE),
    re.compile(r'(csrf[-_]?token["\']?\s*[:=]\s*["\'])[^"\']*(["\'])', re.IGNORECASE),
]
# "My learning": "Last visited: <a ...>Limits</a>, 0 minutes ago." A minute can turn between
# the two requests of a comparison.
_TIMESINCE = re.compile(r"(Last visited: <a [^>]*>[^<]*</a>, )[^<.]*?( ago\.)")
_COOKIE_VALUE = re.compile(r"^(csrftoken=)[^;]*")
_COOKIE_EXPIRES = re.compile(r"(expires=)[^;]*", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple  # ((lower-case name, value), ...), sorted
    body: str

    def head(self):
        return [f"status: {self.status}", *(f"{name}: {value}" for name, value in self.headers)]


def normalised_body(text):
    for pattern in _CSRF_PATTERNS:
        text = pattern.sub(rf"\g<1>{TOKEN}\g<2>", text)
    return _TIMESINCE.sub(r"\g<1>«some time»\g<2>", text)


def normalised_header(name, value):
    if name == "set-cookie":
        value = _COOKIE_EXPIRES.sub(r"\g<1>«date»", _COOKIE_VALUE.sub(rf"\g<1>{TOKEN}", value))
    elif name == "expires":
        value = "«date»"
    return value


def answer(status, headers, body):
    """An ``Answer`` from a status, ``[(name, value)]`` and the body's bytes."""
    kept = sorted(
        (name.lower(), normalised_header(name.lower(), value))
        for name, value in headers
        if name.lower() not in IGNORED_HEADERS
    )
    return Answer(status, tuple(kept), normalised_body(body.decode("utf-8", errors="replace")))


def differences(reference, got, where, limit=80):
    """A unified diff of two answers (caching off, then on): the status and headers that
    differ, then the body's lines that differ with two lines around them; at most ``limit``
    lines."""
    diff = ["--- caching off", f"+++ caching on ({where})"]
    diff += list(difflib.unified_diff(reference.head(), got.head(), n=0, lineterm=""))[2:]
    body = difflib.unified_diff(
        reference.body.splitlines(), got.body.splitlines(), n=2, lineterm=""
    )
    diff += list(body)[2:]
    if len(diff) > limit:
        diff = diff[:limit] + [f"... ({len(diff) - limit} more lines)"]
    return "\n".join(diff)


class Mismatches:
    """The differences found in one round, reported together at its end."""

    def __init__(self, seed, shown=8):
        self.seed, self.shown = seed, shown
        self.found = []  # (round, reader, url, where, diff)
        self.compared = 0

    def compare(self, round_name, reader, url, reference, got, where):
        self.compared += 1
        if got != reference:
            diff = differences(reference, got, where)
            self.found.append((round_name, reader, url, where, diff))

    def report(self):
        """The diffs of the first ``shown`` (reader, URL) pairs that differ; the others named."""
        lines = [
            f"{len(self.found)} of {self.compared} answers with caching on differ from caching "
            f"off (seed {self.seed}: rerun with DIFFERENTIAL_SEED={self.seed})"
        ]
        pairs = {}
        for found in self.found:
            pairs.setdefault(found[1:3], []).append(found)
        for (reader, url), found in list(pairs.items())[: self.shown]:
            round_name, _, _, where, diff = found[0]
            lines += [
                "",
                f"round {round_name!r}, reader {reader!r} ({READERS[reader]}), URL {url}, "
                f"{where} ({len(found)} of its answers differ):",
                diff,
            ]
        others = [f"{reader} {url}" for reader, url in list(pairs)[self.shown :]]
        if others:
            lines += ["", "also differ: " + "; ".join(others[:40])]
            if len(others) > 40:
                lines[-1] += f"; and {len(others) - 40} more"
        return "\n".join(lines)
