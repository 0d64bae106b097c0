from .announcements import Announcement
from .enrollment import CalendarFeed, CourseStart, Enrollment, EnrollmentReminder
from .pages import (
    CoursePage,
    ModulePage,
    SubjectPage,
    annotate_module_counts,
    live_modules_under,
    with_live_parent,
)
from .progress import Certificate, ModuleCompletion, QuizAttempt

__all__ = [
    "Announcement",
    "CalendarFeed",
    "CourseStart",
    "Certificate",
    "ModuleCompletion",
    "QuizAttempt",
    "CoursePage",
    "Enrollment",
    "EnrollmentReminder",
    "ModulePage",
    "SubjectPage",
    "annotate_module_counts",
    "live_modules_under",
    "with_live_parent",
]
