"""Progress views: mark a module complete, take a quiz, see an attempt, show a certificate."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from learning import progress, quizzes
from learning.access import is_course_staff
from learning.models import Certificate, Enrollment, ModulePage, QuizAttempt, with_live_parent


def _live_module(module_id):
    return get_object_or_404(with_live_parent(ModulePage.objects.live().public()), pk=module_id)


def _next_module(module, user=None):
    """The live module after ``module``; None when there is none, or when it is still closed
    to ``user`` (learning.schedule)."""
    following = (
        ModulePage.objects.live()
        .sibling_of(module, inclusive=False)
        .filter(path__gt=module.path)
        .order_by("path")
        .first()
    )
    if following is not None and user is not None:
        enrollment = Enrollment.of(user, module.course)
        if progress.closed_state(user, following, enrollment) is not None:
            return None
    return following


@login_required
@require_POST
def complete(request, module_id):
    module = _live_module(module_id)
    try:
        _, course_completed = progress.complete_module(request.user, module)
    except progress.NotAllowed as refusal:
        messages.error(request, str(refusal))
        return redirect(module.url)
    if course_completed:
        messages.success(request, f"You completed “{module.course.title}”. Well done!")
        return redirect(module.course.url)
    following = _next_module(module, request.user)
    return redirect(following.url if following else module.course.url)


@login_required
@require_POST
def uncomplete(request, module_id):
    module = _live_module(module_id)
    if progress.uncomplete_module(request.user, module):
        messages.info(request, f"“{module.title}” is marked as not done.")
    return redirect(module.url)


@login_required
@require_http_methods(["GET", "POST"])
def quiz(request, module_id, block_id):
    """GET: the quiz on its own page, in the order of the student's next attempt, with their
    attempts so far; the answer key for the course's staff. POST: grade it (a refused
    submission keeps the answers given)."""
    module = _live_module(module_id)
    quiz_value = dict(progress.quizzes_of(module)).get(block_id)
    if quiz_value is None:
        raise Http404("This module has no such quiz.")
    user = request.user
    enrollment = Enrollment.of(user, module.course)
    enrolled = enrollment is not None
    if not enrolled and not is_course_staff(user, module.course):
        return redirect(module.url)  # the module page explains how to enroll
    context = {"page": module, "module": module, "quiz": quiz_value, "block_id": block_id}
    if not enrolled:
        if request.method == "POST":
            messages.error(request, "Enroll in the course to take its quizzes.")
            return redirect("learning:quiz", module_id=module.pk, block_id=block_id)
        context["answer_key"] = quizzes.answer_key(quiz_value)
        return TemplateResponse(request, "learning/quiz.html", context)
    state = progress.closed_state(user, module, enrollment)
    if state is not None:
        context = {"page": module.course, "module": module, "course": module.course}
        context["state"] = state
        return TemplateResponse(request, "learning/module_closed.html", context, status=403)
    status = 200
    if request.method == "POST":
        try:
            attempt = progress.submit_quiz(user, module, block_id, request.POST)
        except progress.NotAllowed as refusal:
            messages.error(request, str(refusal))
            return redirect("learning:quiz", module_id=module.pk, block_id=block_id)
        except quizzes.QuizSubmissionError as error:
            context["error"] = str(error)
            status = error.status
            if not isinstance(error, quizzes.StaleAttempt):
                context["given"] = error.answers
        else:
            return redirect("learning:quiz_attempt", attempt_id=attempt.pk)
    standing = progress.standing(user, module, block_id, quiz_value)
    number = standing.next_number
    order = quizzes.order_for(quiz_value, user.pk, module.pk, block_id, number)
    context.update(
        standing=standing,
        attempt_number=number,
        questions=quizzes.shown_questions(quiz_value, order, context.get("given")),
    )
    return TemplateResponse(request, "learning/quiz.html", context, status=status)


@login_required
@require_GET
def quiz_attempt(request, attempt_id):
    """A graded attempt: only for the student who made it. The correct answers and the
    explanations as the quiz's rule allows (learning.quizzes.Standing.reveals_answers)."""
    attempt = get_object_or_404(
        QuizAttempt.objects.select_related("module"), pk=attempt_id, user=request.user
    )
    module = attempt.module.specific
    quiz_value = dict(progress.quizzes_of(module)).get(attempt.block_id)
    questions, standing = [], None
    if quiz_value is not None:
        standing = progress.standing(request.user, module, attempt.block_id, quiz_value)
        questions = quizzes.review(
            quiz_value, attempt.answers, attempt.results, standing.reveals_answers
        )
    return TemplateResponse(
        request,
        "learning/quiz_attempt.html",
        {
            "attempt": attempt,
            "module": module,
            "questions": questions,
            "standing": standing,
            "next_module": _next_module(module, request.user) if attempt.passed else None,
        },
    )


@require_GET
def certificate(request, certificate_id):
    """Public on purpose: the URL is the proof, and anyone given it can verify it."""
    cert = get_object_or_404(Certificate, pk=certificate_id)
    verify_url = request.build_absolute_uri()
    return TemplateResponse(
        request, "learning/certificate.html", {"certificate": cert, "verify_url": verify_url}
    )
