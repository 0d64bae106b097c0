"""When a module opens for a student, and when its quizzes are due.

A course's instructor sets, per module (the page editor's "Release and due date" panel):

- an **opening**: a moment (``opens_at``), or a number of days after the student enrolled
  (``opens_after_days``, "drip" release), or both (the later counts);
- a **due date**, the same way (``due_at``, ``due_after_days``), for a module with a quiz: a
  quiz passed after it is recorded as late (``QuizAttempt.late``).

A course may also be **sequential** (``CoursePage.sequential``): a module opens once the student
completed the one before it; one they completed stays open, should they mark an earlier one not
done again.

A module that has not opened for a student is **locked** for them: its title shows with when it
opens (or which module to complete first), and its body, its documents and its API contents
stay closed. The course's staff (learning.access.is_course_staff) and anyone not enrolled get
no lock: staff see everything; the others may not read modules at all.

Every "now" of the course structure is ``current_time()`` (``django.utils.timezone.now``): the
tests travel in time by replacing it with a fixed clock, never by sleeping.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone


@dataclass(frozen=True, slots=True)
class ModuleTimes:
    """A module's own release and due settings (content: the same for every student)."""

    opens_at: datetime | None = None
    opens_after_days: int | None = None
    due_at: datetime | None = None
    due_after_days: int | None = None

    FIELDS = ("opens_at", "opens_after_days", "due_at", "due_after_days")

    @classmethod
    def of(cls, module):
        return cls(*(getattr(module, name) for name in cls.FIELDS))

    @property
    def has_due_date(self):
        return self.due_at is not None or self.due_after_days is not None

    @property
    def has_opening(self):
        return self.opens_at is not None or self.opens_after_days is not None

    def opening_for(self, enrolled_at):
        """When the module opens for a student enrolled at ``enrolled_at`` (None: at once)."""
        return _later(self.opens_at, _days_after(enrolled_at, self.opens_after_days))

    def due_for(self, enrolled_at):
        """When the module's quizzes are due for that student (None: never)."""
        return _later(self.due_at, _days_after(enrolled_at, self.due_after_days))


NO_TIMES = ModuleTimes()


def dated_q():
    """A filter of the modules that have an opening or a due date."""
    dated = Q()
    for name in ModuleTimes.FIELDS:
        dated |= Q(**{f"{name}__isnull": False})
    return dated


def current_time():
    """Now, for openings and due dates (the one clock the tests set)."""
    return timezone.now()


def _days_after(moment, days):
    if moment is None or days is None:
        return None
    return moment + timedelta(days=days)


def _later(*moments):
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


@dataclass(frozen=True, slots=True)
class ModuleState:
    """A module as one student finds it now: open or locked (until ``opens_at``, or until
    ``after``, the module before it, is complete), and when it is due."""

    opens_at: datetime | None = None  # a future opening: locked until then
    after: object = None  # sequential: the module to complete first (a ModuleSummary)
    due_at: datetime | None = None

    @property
    def locked(self):
        return self.opens_at is not None or self.after is not None

    @property
    def key(self):
        """What the module's list item shows, as a name (items are kept by it:
        core.templatetags.site_tags.module_items)."""
        opens = f"{self.opens_at:%Y%m%d%H%M}" if self.opens_at else ""
        after = self.after.pk if self.after is not None else ""
        due = f"{self.due_at:%Y%m%d%H%M}" if self.due_at else ""
        return f"{opens}|{after}|{due}"


OPEN = ModuleState()


def module_states(course, modules, enrollment, completed_ids=(), now=None):
    """``{module id: ModuleState}`` for the student of ``enrollment`` (None: nobody to lock
    for, every module open and due dates as set absolutely). No query: ``modules`` are
    ``ModuleSummary`` rows, which carry their ``ModuleTimes``."""
    now = now or current_time()
    enrolled_at = enrollment.created_at if enrollment is not None else None
    states = {}
    previous = None
    for module in modules:
        times = module.times
        if enrollment is None:
            states[module.pk] = ModuleState(due_at=times.due_at) if times.due_at else OPEN
            continue
        opening = times.opening_for(enrolled_at)
        after = None
        waiting = previous is not None and previous.pk not in completed_ids
        if course.sequential and waiting and module.pk not in completed_ids:
            after = previous  # a module the student completed stays open to them
        states[module.pk] = ModuleState(
            opens_at=opening if opening is not None and opening > now else None,
            after=after,
            due_at=times.due_for(enrolled_at),
        )
        previous = module
    return states


def state_of(course, module_pk, modules, enrollment, completed_ids=(), now=None):
    """The ``ModuleState`` of one module of ``modules`` (OPEN if it is not among them)."""
    return module_states(course, modules, enrollment, completed_ids, now).get(module_pk, OPEN)


def is_late(times, enrollment, now=None):
    """Whether a quiz submitted ``now`` by the student of ``enrollment`` is past its due date."""
    if enrollment is None:
        return False
    due = times.due_for(enrollment.created_at)
    return due is not None and (now or current_time()) > due


def closed_message(state):
    """Why a locked module cannot be opened, in a sentence."""
    if state.opens_at is not None:
        return f"This module opens on {state.opens_at:%-d %B %Y at %H:%M} (UTC)."
    return f"Complete “{state.after.title}” first: this module opens after it."
