"""Learning progress: completed modules, quiz attempts and certificates."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ModuleCompletion(models.Model):
    # Activity, not content: kept out of Wagtail's reference index ("Usage"), which would
    # otherwise be rewritten on every save.
    wagtail_reference_index_ignore = True
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_completions"
    )
    module = models.ForeignKey(
        "learning.ModulePage", on_delete=models.CASCADE, related_name="completions"
    )
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "module"], name="learning_completion_once")
        ]

    def __str__(self):
        return f"{self.user} completed {self.module_id}"


class QuizAttempt(models.Model):
    """One graded submission of a quiz block (identified by its StreamField block id)."""

    # Activity, not content: kept out of Wagtail's reference index ("Usage"), which would
    # otherwise be rewritten on every save.
    wagtail_reference_index_ignore = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    module = models.ForeignKey(
        "learning.ModulePage", on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    block_id = models.CharField(max_length=64, db_index=True)
    number = models.PositiveIntegerField(
        default=1, help_text="The student's first, second, ... attempt at this quiz."
    )
    quiz_title = models.CharField(max_length=255)
    answers = models.JSONField(help_text="The choices picked, one list of indexes per question.")
    order = models.JSONField(
        null=True,
        blank=True,
        help_text="The order the questions and choices were shown in, when shuffled.",
    )
    results = models.JSONField(help_text="Per question: whether it was answered correctly.")
    score = models.PositiveSmallIntegerField(help_text="Percentage of questions right.")
    pass_mark = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    late = models.BooleanField(
        default=False, help_text="Submitted after the module's due date for this student."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "quiz attempt"
        constraints = [
            # Two submissions of one attempt (a double click, a second tab) store one.
            models.UniqueConstraint(
                fields=["user", "module", "block_id", "number"], name="learning_attempt_once"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.quiz_title}: {self.score}%"


class Certificate(models.Model):
    """Proof that a student completed a course. Names are copied so the proof never changes."""

    # Activity, not content: kept out of Wagtail's reference index ("Usage"), which would
    # otherwise be rewritten on every save.
    wagtail_reference_index_ignore = True

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    enrollment = models.OneToOneField(
        "learning.Enrollment", on_delete=models.SET_NULL, null=True, related_name="certificate"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    course = models.ForeignKey(
        "learning.CoursePage", on_delete=models.SET_NULL, null=True, related_name="certificates"
    )
    student_name = models.CharField(max_length=300)
    course_title = models.CharField(max_length=255)
    instructor_name = models.CharField(max_length=300, blank=True)
    completed_at = models.DateTimeField()
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="learning_certificate_once")
        ]

    def __str__(self):
        return f"{self.course_title} – {self.student_name}"
