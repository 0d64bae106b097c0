"""Quizzes: built in the admin, graded on the server, never giving the answers away."""

import pytest
from django.urls import reverse
from wagtail.blocks import StructBlockValidationError

from learning.blocks import QuizBlock
from learning.models import ModuleCompletion, QuizAttempt
from learning.tests.quiz_data import HALF, QUIZ_ID, RIGHT, WRONG, add_quiz, quiz_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz_module(module):
    return add_quiz(module)


def quiz_url(module):
    return reverse("learning:quiz", args=(module.pk, QUIZ_ID))


def submit(client, module, answers):
    return client.post(quiz_url(module), answers)


def test_quiz_without_a_correct_choice_is_refused_with_a_clear_error():
    value = quiz_value()
    for choice in value["questions"][0]["choices"]:
        choice["correct"] = False
    block = QuizBlock()
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(block.to_python(value))
    assert "Mark at least one choice as correct" in str(error.value.as_json_data())


def test_admin_refuses_to_save_a_quiz_without_a_correct_choice(client, instructor, module):
    from wagtail.test.utils.form_data import (
        inline_formset,
        nested_form_data,
        streamfield,
    )

    client.force_login(instructor)
    question = {
        "question": "Pick one",
        "choices": streamfield([]),
        "explanation": "",
    }
    question["choices"] = {
        "count": "2",
        "0-value-text": "A",
        "0-value-correct": "",
        "0-deleted": "",
        "0-order": "0",
        "1-value-text": "B",
        "1-value-correct": "",
        "1-deleted": "",
        "1-order": "1",
    }
    quiz = {
        "title": "Broken quiz",
        "intro": "",
        "pass_mark": "50",
        "questions": {"count": "1", "0-deleted": "", "0-order": "0", "0-type": "choice"},
    }
    data = nested_form_data(
        {
            "title": "Limits",
            "slug": "limits",
            "description": "",
            "body": streamfield([("quiz", quiz)]),
            "comments": inline_formset([]),
            "action-publish": "1",
        }
    )
    for key, value in question["choices"].items():
        data[f"body-0-value-questions-0-value-choices-{key}"] = value
    data["body-0-value-questions-0-value-question"] = question["question"]
    data["body-0-value-questions-0-value-explanation"] = ""
    response = client.post(reverse("wagtailadmin_pages:edit", args=(module.pk,)), data)
    assert response.status_code == 200  # the editor again, with errors
    assert "Mark at least one choice as correct" in response.content.decode()
    module.refresh_from_db()
    assert not any(block.block_type == "quiz" for block in module.body)


def test_module_page_shows_the_quiz_without_its_answers(student_client, quiz_module):
    html = student_client.get(quiz_module.url).content.decode()
    assert "What is the limit of 1/x as x grows?" in html
    assert "Polynomial wiggle" in html
    assert f'action="{quiz_url(quiz_module)}"' in html
    for secret in ("(correct)", "is-correct", "It shrinks", "Polynomials and sine have"):
        assert secret not in html
    # Right and wrong choices are marked up alike.
    assert 'type="radio" name="q1" value="0">' in html
    assert 'type="radio" name="q1" value="1">' in html


def test_right_answers_pass_store_an_attempt_and_complete_the_module(
    student_client, enrolled_student, quiz_module
):
    response = submit(student_client, quiz_module, RIGHT)
    attempt = QuizAttempt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:quiz_attempt", args=(attempt.pk,))
    assert (attempt.score, attempt.passed, attempt.results) == (100, True, [True, True])
    assert ModuleCompletion.objects.filter(user=enrolled_student, module=quiz_module).exists()
    result = student_client.get(response["Location"]).content.decode()
    assert "Passed" in result and "It shrinks towards zero." in result


def test_multiple_choice_needs_every_right_choice_and_no_wrong_one(student_client, quiz_module):
    submit(student_client, quiz_module, HALF)
    submit(student_client, quiz_module, {"q1": ["0"], "q2": ["0", "1", "2"]})
    scores = list(QuizAttempt.objects.order_by("created_at").values_list("score", "passed"))
    assert scores == [(50, False), (50, False)]


def test_failed_attempt_does_not_complete_the_module_and_offers_a_retry(
    student_client, enrolled_student, quiz_module
):
    response = submit(student_client, quiz_module, WRONG)
    attempt = QuizAttempt.objects.get()
    assert (attempt.score, attempt.passed) == (0, False)
    assert not ModuleCompletion.objects.exists()
    result = student_client.get(response["Location"]).content.decode()
    assert "Not passed yet: 0%" in result
    assert "Try again" in result
    assert "It shrinks towards zero." in result  # explanations after submission
    submit(student_client, quiz_module, RIGHT)
    assert QuizAttempt.objects.count() == 2
    assert ModuleCompletion.objects.filter(user=enrolled_student).exists()


def test_pass_mark_is_a_percentage(student_client, module):
    add_quiz(module, pass_mark=50)
    submit(student_client, module, HALF)
    assert QuizAttempt.objects.get().passed


@pytest.mark.parametrize(
    "answers",
    [
        {"q1": ["0"]},  # question 2 unanswered
        {},
        {"q1": ["0", "1"], "q2": ["0", "2"]},  # two answers to a single-answer question
        {"q1": ["7"], "q2": ["0"]},  # no such choice
        {"q1": ["-1"], "q2": ["0"]},
        {"q1": ["zero"], "q2": ["0"]},
    ],
)
def test_partial_or_malformed_submission_gets_a_clear_error_and_stores_nothing(
    student_client, quiz_module, answers
):
    response = submit(student_client, quiz_module, answers)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert not QuizAttempt.objects.exists()
    assert not ModuleCompletion.objects.exists()


def test_a_partial_submission_keeps_the_answers_given(student_client, quiz_module):
    response = submit(student_client, quiz_module, {"q1": ["1"]})
    html = response.content.decode()
    assert "Answer every question before submitting (missing: 2)." in html
    assert 'name="q1" value="1" checked' in html


def test_unknown_quiz_is_not_found(student_client, quiz_module):
    url = reverse("learning:quiz", args=(quiz_module.pk, "no-such-quiz"))
    assert student_client.post(url, RIGHT).status_code == 404


def test_students_who_are_not_enrolled_cannot_take_the_quiz(client, student, quiz_module):
    client.force_login(student)
    response = submit(client, quiz_module, RIGHT)
    assert response.status_code == 302
    assert response["Location"] == quiz_module.url
    assert not QuizAttempt.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, quiz_module):
    response = submit(client, quiz_module, RIGHT)
    assert response["Location"].startswith("/accounts/login/")
    assert not QuizAttempt.objects.exists()


def test_an_attempt_is_shown_only_to_the_student_who_made_it(
    client, student_client, quiz_module, other_instructor
):
    submit(student_client, quiz_module, RIGHT)
    attempt = QuizAttempt.objects.get()
    client.force_login(other_instructor)
    assert client.get(reverse("learning:quiz_attempt", args=(attempt.pk,))).status_code == 404


def test_hostile_quiz_text_is_escaped(student_client, module):
    hostile = '<script>alert("q")</script>'
    value = quiz_value()
    value["title"] = hostile
    value["questions"][0]["question"] = hostile
    value["questions"][0]["choices"][0]["text"] = hostile
    module.body = [{"type": "quiz", "id": QUIZ_ID, "value": value}]
    module.save_revision().publish()
    for url in (module.url, quiz_url(module)):
        html = student_client.get(url).content.decode()
        assert hostile not in html
        assert "&lt;script&gt;" in html
