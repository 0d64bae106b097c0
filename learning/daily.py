"""The daily jobs' notices: a module opening for a student, a quiz due soon.

Idempotent: each notice has a key (``open:<module>``, ``due:<module>:<due date>``) and
notifications.services.notify stores one notification per user and key, so a job run twice,
or by two hosts, tells nobody twice. A run looks back over ``LOOK_BACK`` (an opening missed by
a day without a run is still told) and ahead over ``DUE_AHEAD`` (a day, and some hours more:
runs drift, and a due date between two runs must fall in one of their windows).

An opening is told only when it happens after the student enrolled (a module open on their
first day is no news) and when the module is then open to them (not still waiting, in a
sequential course, for the one before it).
"""

from collections import defaultdict
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

from learning import schedule
from learning.models import CoursePage, Enrollment, ModuleCompletion, ModulePage
from learning.models.pages import with_live_parent
from notifications.services import notify

LOOK_BACK = timedelta(days=3)
DUE_AHEAD = timedelta(days=1, hours=6)


def courses_with_dates():
    """The live courses with a live module that opens or is due, each with all its live
    modules (``ModuleSummary`` rows, in order)."""
    dated = with_live_parent(ModulePage.objects.live().filter(schedule.dated_q()))
    paths = {path[: -ModulePage.steplen] for path in dated.values_list("path", flat=True)}
    for course in with_live_parent(CoursePage.objects.live().filter(path__in=paths)):
        base = urlsplit(course.get_url() or "/").path
        modules = course.module_summaries(base)
        yield course, modules


def notices(now=None):
    """``{(kind, key): (title, body, url, [user ids])}``: what is to be told now."""
    now = now or schedule.current_time()
    found = {}

    def tell(kind, key, title, body, url, user_id):
        found.setdefault((kind, key), (title, body, url, []))[3].append(user_id)

    for course, modules in courses_with_dates():
        enrollments = list(
            Enrollment.objects.filter(course=course).values_list("user_id", "created_at")
        )
        if not enrollments:
            continue
        completed = defaultdict(set)
        for user_id, module_id in ModuleCompletion.objects.filter(
            module_id__in=[module.pk for module in modules]
        ).values_list("user_id", "module_id"):
            completed[user_id].add(module_id)
        for user_id, enrolled_at in enrollments:
            done = completed[user_id]
            states = schedule.module_states(
                course, modules, SimpleNamespace(created_at=enrolled_at), done, now
            )
            for module in modules:
                opens = module.times.opening_for(enrolled_at)
                if (
                    opens is not None
                    and enrolled_at < opens
                    and now - LOOK_BACK <= opens <= now
                    and not states[module.pk].locked
                ):
                    tell(
                        "module_open",
                        f"open:{module.pk}",
                        f"Now open: {module.title}",
                        f"“{module.title}” of {course.title} is open: you can study it now.",
                        module.url,
                        user_id,
                    )
                due = states[module.pk].due_at
                if due is not None and now <= due <= now + DUE_AHEAD and module.pk not in done:
                    tell(
                        "due_soon",
                        f"due:{module.pk}:{due:%Y%m%d%H%M}",
                        f"Due soon: {module.title}",
                        f"The quiz of “{module.title}” ({course.title}) is due on "
                        f"{due:%-d %B %Y at %H:%M} (UTC).",
                        module.url,
                        user_id,
                    )
    return found


def send_notices(now=None):
    """Queue the notices; returns how many students each kind reaches."""
    counts = defaultdict(int)
    for (kind, key), (title, body, url, user_ids) in notices(now).items():
        notify(user_ids, kind=kind, title=title[:200], body=body, url=url, key=key)
        counts[kind] += len(user_ids)
    return dict(counts)
