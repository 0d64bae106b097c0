"""Progress views: mark a module complete, take a quiz, see an attempt, show a certificate."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from learning import progress
from learning.access import can_study
from learning.models import Certificate, ModulePage, QuizAttempt, with_live_parent


def _live_module(module_id):
    return get_object_or_404(with_live_parent(ModulePage.objects.live().public()), pk=module_id)


def _next_module(module):
    return (
        ModulePage.objects.live()
        .sibling_of(module, inclusive=False)
        .filter(path__gt=module.path)
        .order_by("path")
        .first()
    )


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
    following = _next_module(module)
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
    """GET: the quiz on its own page; POST: grade it (errors keep the answers given)."""
    module = _live_module(module_id)
    quiz_value = dict(progress.quizzes_of(module)).get(block_id)
    if quiz_value is None:
        raise Http404("This module has no such quiz.")
    if not can_study(request.user, module.course):
        return redirect(module.url)  # the module page explains how to enroll
    context = {
        "page": module,
        "module": module,
        "quiz": quiz_value,
        "block_id": block_id,
        "questions": quiz_value.public_questions(),
    }
    if request.method == "POST":
        try:
            attempt = progress.submit_quiz(request.user, module, block_id, request.POST)
        except progress.NotAllowed as refusal:
            messages.error(request, str(refusal))
            return redirect(module.url)
        except progress.QuizSubmissionError as error:
            context.update(error=str(error), questions=quiz_value.public_questions(error.answers))
            return TemplateResponse(request, "learning/quiz.html", context, status=400)
        return redirect("learning:quiz_attempt", attempt_id=attempt.pk)
    return TemplateResponse(request, "learning/quiz.html", context)


@login_required
@require_GET
def quiz_attempt(request, attempt_id):
    """A graded attempt, with the explanations: only for the student who made it."""
    attempt = get_object_or_404(
        QuizAttempt.objects.select_related("module"), pk=attempt_id, user=request.user
    )
    module = attempt.module.specific
    quiz_value = dict(progress.quizzes_of(module)).get(attempt.block_id)
    questions = []
    if quiz_value is not None:
        results = list(attempt.results) + [False] * len(quiz_value["questions"])
        for number, question in enumerate(quiz_value["questions"], start=1):
            picked = set(attempt.answers.get(str(number), []))
            questions.append(
                {
                    "number": number,
                    "text": question["question"],
                    "explanation": question["explanation"],
                    "right": results[number - 1],
                    "choices": [
                        {"text": c["text"], "correct": c["correct"], "picked": i in picked}
                        for i, c in enumerate(question["choices"])
                    ],
                }
            )
    return TemplateResponse(
        request,
        "learning/quiz_attempt.html",
        {
            "attempt": attempt,
            "module": module,
            "questions": questions,
            "next_module": _next_module(module) if attempt.passed else None,
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
