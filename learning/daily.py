"""The daily jobs' notices: a module opening for a student, a quiz due tomorrow.

Idempotent: each notice has a key (``open:<module>``, ``due:<module>:<due date>``) and
notifications.services.notify stores one notification per user and key, so a job run twice,
or by two hosts, tells nobody twice. A run looks back over ``LOOK_BACK`` (an opening missed by
a day without a run is still told) and ahead over ``DUE_AHEAD``.
"""

from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlsplit

from django.db.models import Q

from learning import schedule
from learning.models import CoursePage, Enrollment, ModuleCompletion, ModulePage
from learning.models.pages import child_url, with_live_parent
from learning.schedule import ModuleTimes
from notifications.services import notify

LOOK_BACK = timedelta(days=3)
DUE_AHEAD = timedelta(days=1)


def dated_modules():
    """The live modules (under live parents) that have an opening or a due date, by course."""
    dated = Q()
    for name in ModuleTimes.FIELDS:
        dated |= Q(**{f"{name}__isnull": False})
    modules = with_live_parent(ModulePage.objects.live().filter(dated)).order_by("path")
    by_course = defaultdict(list)
    for module in modules.defer("body"):
        by_course[module.path[: -ModulePage.steplen]].append(module)
    courses = CoursePage.objects.live().filter(path__in=list(by_course))
    return [(course, by_course[course.path]) for course in courses]


def notices(now=None):
    """``{(kind, key): (title, body, url, [user ids])}``: what is to be told today."""
    now = now or schedule.current_time()
    found = {}
    for course, modules in dated_modules():
        enrollments = list(
            Enrollment.objects.filter(course=course).values_list("user_id", "created_at")
        )
        if not enrollments:
            continue
        passed = set(
            ModuleCompletion.objects.filter(module__in=modules).values_list("user_id", "module_id")
        )
        base = urlsplit(course.get_url() or "/").path
        for module in modules:
            times, url = ModuleTimes.of(module), child_url(base, module.slug)
            for user_id, enrolled_at in enrollments:
                opens = times.opening_for(enrolled_at)
                if opens is not None and now - LOOK_BACK <= opens <= now:
                    found.setdefault(
                        ("module_open", f"open:{module.pk}"),
                        (
                            f"Now open: {module.title}",
                            f"“{module.title}” of {course.title} is open: you can study it now.",
                            url,
                            [],
                        ),
                    )[3].append(user_id)
                due = times.due_for(enrolled_at)
                if due is not None and now <= due <= now + DUE_AHEAD:
                    if (user_id, module.pk) in passed:
                        continue
                    found.setdefault(
                        ("due_soon", f"due:{module.pk}:{due:%Y%m%d%H%M}"),
                        (
                            f"Due tomorrow: {module.title}",
                            f"The quiz of “{module.title}” ({course.title}) is due on "
                            f"{due:%-d %B %Y at %H:%M} (UTC).",
                            url,
                            [],
                        ),
                    )[3].append(user_id)
    return found


def send_notices(now=None):
    """Queue today's notices; returns how many students each kind reaches."""
    counts = defaultdict(int)
    for (kind, key), (title, body, url, user_ids) in notices(now).items():
        notify(user_ids, kind=kind, title=title[:200], body=body, url=url, key=key)
        counts[kind] += len(user_ids)
    return dict(counts)
