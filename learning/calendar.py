"""A student's dates: when their modules open and when their quizzes are due.

``student_dates`` gathers them (learning.schedule computes them per student); "My learning"
lists what is due in the next days, ``me/enrollments/`` gives them to API clients, and
``ical`` writes them as the student's private calendar feed (iCalendar, RFC 5545), served at a
secret URL (``CalendarFeed``).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from learning import schedule
from learning.models import Enrollment, ModuleCompletion, ModulePage, live_modules_under
from learning.models.pages import ModuleSummary, child_url, private_pages_q
from learning.schedule import ModuleTimes


@dataclass(frozen=True)
class ModuleDate:
    """A dated module of one of the student's courses."""

    course: object  # CoursePage
    module: object  # ModuleSummary
    opens_at: datetime | None  # its opening for this student, when it has one
    due_at: datetime | None
    completed: bool

    def is_due_within(self, now, days):
        return (
            self.due_at is not None
            and not self.completed
            and now <= self.due_at < now + timedelta(days=days)
        )


def student_dates(user, enrollments=None, request=None):
    """Every dated module of the courses ``user`` is enrolled in (live ones, under no view
    restriction), in course order: one query for the dated modules, and only when there are
    some, two for their view restrictions and one for the student's completions of them; one for
    the enrollments when they are not given; whatever their number."""
    if enrollments is None:
        enrollments = list(
            Enrollment.objects.filter(user=user, course__live=True).select_related("course")
        )
    by_path = {enrollment.course.path: enrollment for enrollment in enrollments}
    if not by_path:
        return []
    found = list(
        live_modules_under([e.course for e in enrollments])
        .filter(schedule.dated_q())
        .values_list("pk", "title", "slug", "path", *ModuleTimes.FIELDS)
    )
    if not found:
        return []
    # A module under a view restriction is not listed (two queries, only for dated modules).
    public = set(
        ModulePage.objects.filter(pk__in=[row[0] for row in found])
        .exclude(private_pages_q())
        .values_list("pk", flat=True)
    )
    found = [row for row in found if row[0] in public]
    done = set(
        ModuleCompletion.objects.filter(
            user=user, module_id__in=[row[0] for row in found]
        ).values_list("module_id", flat=True)
    )
    dates = []
    for pk, title, slug, path, *settings in found:
        enrollment = by_path[path[: -ModulePage.steplen]]
        course, times = enrollment.course, ModuleTimes(*settings)
        url = child_url(course.get_url(request), slug)
        module = ModuleSummary(pk, title, slug, "", pk in done, url=url, times=times)
        opens, due = times.opening_for(enrollment.created_at), times.due_for(enrollment.created_at)
        dates.append(ModuleDate(course, module, opens, due, pk in done))
    return dates


def due_soon(dates, now=None, days=7):
    """Of ``dates``, the modules not yet completed that are due in the next ``days`` days,
    soonest first."""
    now = now or schedule.current_time()
    return sorted((d for d in dates if d.is_due_within(now, days)), key=lambda d: d.due_at)


# iCalendar (RFC 5545): text values escaped, lines folded at 75 octets, CRLF line ends.


def _escape(text):
    """A TEXT value: line breaks as ``\\n``, the other control characters left out."""
    text = CONTROL.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _fold(line):
    """Split a content line into lines of at most 75 octets, never inside a character."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > (75 if not parts else 74):
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _stamp(moment):
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ical(dates, host, absolute_url, now=None):
    """The calendar of ``dates`` as iCalendar text: one event per opening and per due date.

    ``host`` makes the events' UIDs unique to this site; ``absolute_url(path)`` makes links.
    """
    now = now or schedule.current_time()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Learning site//Course dates//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:My course dates",
    ]
    for date in dates:
        events = []
        if date.opens_at is not None:
            events.append(("opens", date.opens_at, f"Opens: {date.module.title}"))
        if date.due_at is not None:
            events.append(("due", date.due_at, f"Due: {date.module.title}"))
        for kind, moment, summary in events:
            lines += [
                "BEGIN:VEVENT",
                f"UID:{kind}-{date.module.pk}@{host}",
                f"DTSTAMP:{_stamp(now)}",
                f"DTSTART:{_stamp(moment)}",
                f"DTEND:{_stamp(moment + timedelta(minutes=30 if kind == 'due' else 1))}",
                f"SUMMARY:{_escape(summary)}",
                f"DESCRIPTION:{_escape(f'{date.course.title}: {date.module.title}')}",
                f"URL:{absolute_url(date.module.url or '/')}",  # a URI, not TEXT
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def as_api(date):
    """A dated module for ``me/enrollments/``."""
    return {
        "module": {"id": date.module.pk, "title": date.module.title},
        "opens_at": date.opens_at,
        "due_at": date.due_at,
        "completed": date.completed,
    }
