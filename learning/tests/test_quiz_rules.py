"""A quiz's rules: attempts allowed, when the answers are shown, the order shuffled per attempt,
and the answer key for the course's staff only. Through the site's pages, as a student would."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.blocks import StructBlockValidationError

from learning import quizzes
from learning.blocks import QuizBlock
from learning.models import Enrollment, ModuleCompletion, QuizAttempt
from learning.tests.quiz_data import (
    MIXED_WRONG,
    QUIZ_ID,
    RIGHT,
    WRONG,
    mixed_quiz_value,
    quiz_value,
)
from learning.tests.test_api import basic

pytestmark = pytest.mark.django_db

SECRETS = ("(correct)", "is-correct", "It shrinks towards zero.", "Polynomials and sine have")


def publish_quiz(module, **rules):
    module.body = [
        {"type": "text", "value": "<p>Read this first.</p>"},
        {"type": "quiz", "id": QUIZ_ID, "value": quiz_value() | rules},
    ]
    module.save_revision().publish()
    module.refresh_from_db()
    return module


def quiz_url(module):
    return reverse("learning:quiz", args=(module.pk, QUIZ_ID))


def attempt_page(client):
    attempt = QuizAttempt.objects.order_by("-created_at").first()
    return client.get(reverse("learning:quiz_attempt", args=(attempt.pk,))).content.decode()


# --- attempts ------------------------------------------------------------------------------------
def test_a_quiz_of_two_attempts_refuses_the_third_and_stores_nothing(student_client, module):
    publish_quiz(module, attempts_allowed=2)
    first = student_client.post(quiz_url(module), WRONG)
    assert "1 attempt left" in student_client.get(first["Location"]).content.decode()
    student_client.post(quiz_url(module), WRONG)
    assert "0 attempts left" in attempt_page(student_client)
    refused = student_client.post(quiz_url(module), RIGHT, follow=True)
    html = refused.content.decode()
    assert "You have used all 2 attempts at this quiz." in html
    assert 'name="q1"' not in html  # no form left to fill in
    assert QuizAttempt.objects.count() == 2
    assert not ModuleCompletion.objects.exists()
    assert [a.number for a in QuizAttempt.objects.order_by("number")] == [1, 2]


def test_the_quiz_page_lists_the_students_attempts_and_best_score(student_client, module):
    publish_quiz(module, attempts_allowed=3)
    student_client.post(quiz_url(module), WRONG)
    student_client.post(quiz_url(module), {"q1": ["0"], "q2": ["1"]})
    html = student_client.get(quiz_url(module)).content.decode()
    assert "Best score 50%" in html and "1 of 3 attempts left" in html
    assert "Attempt 1: 0%" in html and "Attempt 2: 50%" in html
    assert "Attempt 3" in html and 'name="q1"' in html


def test_a_limited_quiz_is_taken_on_its_own_page_not_in_the_module(student_client, module):
    publish_quiz(module, attempts_allowed=3)
    html = student_client.get(module.url).content.decode()
    assert f'href="{quiz_url(module)}">Take the quiz</a>' in html
    assert 'name="q1"' not in html
    assert "3 attempts · answers after each attempt" in html


def test_an_unlimited_quiz_still_takes_any_number_of_attempts(student_client, module):
    publish_quiz(module)
    for _ in range(4):
        assert student_client.post(quiz_url(module), WRONG).status_code == 302
    assert QuizAttempt.objects.count() == 4
    assert "Try again" in attempt_page(student_client)


def test_last_attempt_rule_without_a_limit_is_refused_by_the_block():
    block = QuizBlock()
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(block.to_python(quiz_value() | {"show_answers": "last_attempt"}))
    assert "with no limit there is no last attempt" in str(error.value.as_json_data())


def test_a_quiz_stored_before_the_rules_existed_keeps_its_old_behaviour(module):
    value = QuizBlock().to_python(quiz_value())  # no attempts_allowed, show_answers, shuffle
    standing = quizzes.Standing(value)
    assert (standing.allowed, standing.reveals_answers, standing.closed_reason) == (
        None,
        True,
        None,
    )
    assert value.rules == "unlimited attempts · answers after each attempt"


# --- when the answers are shown ------------------------------------------------------------------
def test_answers_shown_only_once_passed_and_passing_closes_the_quiz(student_client, module):
    publish_quiz(module, attempts_allowed=3, show_answers="passed")
    student_client.post(quiz_url(module), WRONG)
    failed = attempt_page(student_client)
    assert not any(secret in failed for secret in SECRETS)
    assert "shown once you pass" in failed
    assert "Wrong" in failed and "(your answer)" in failed  # their own answers, marked
    failed_url = reverse("learning:quiz_attempt", args=(QuizAttempt.objects.get().pk,))

    student_client.post(quiz_url(module), RIGHT)
    assert "It shrinks towards zero." in attempt_page(student_client)
    # Earlier attempts show them now too; the quiz takes no more attempts.
    assert "It shrinks towards zero." in student_client.get(failed_url).content.decode()
    closed = student_client.get(quiz_url(module)).content.decode()
    assert "it is closed" in closed and 'name="q1"' not in closed
    student_client.post(quiz_url(module), RIGHT)
    assert QuizAttempt.objects.count() == 2


def test_answers_shown_after_the_last_attempt_only(student_client, module):
    publish_quiz(module, attempts_allowed=2, show_answers="last_attempt")
    student_client.post(quiz_url(module), RIGHT)
    passed = attempt_page(student_client)
    assert "Passed" in passed
    assert not any(secret in passed for secret in SECRETS)
    student_client.post(quiz_url(module), WRONG)
    assert "It shrinks towards zero." in attempt_page(student_client)


def test_answers_never_shown_when_the_rule_says_never(student_client, module):
    publish_quiz(module, attempts_allowed=1, show_answers="never")
    student_client.post(quiz_url(module), RIGHT)
    html = attempt_page(student_client)
    assert "Right" in html and "does not show its correct answers" in html
    assert not any(secret in html for secret in SECRETS)


def test_another_student_cannot_open_an_attempt(student_client, module, django_user_model):
    publish_quiz(module, show_answers="never")
    student_client.post(quiz_url(module), RIGHT)
    attempt = QuizAttempt.objects.get()
    other = django_user_model.objects.create_user("other-student", password="x")
    Enrollment.objects.create(user=other, course=module.course)
    client = Client()
    client.force_login(other)
    assert client.get(reverse("learning:quiz_attempt", args=(attempt.pk,))).status_code == 404


# --- order ---------------------------------------------------------------------------------------
RIGHT_TEXTS = {"Zero-ish answer", "Polynomial wiggle", "Sine wave"}


def shown_form(html):
    """[(question name, [(value, choice text), ...]), ...] and the attempt number, as shown."""
    questions = []
    for fieldset in re.findall(r'<fieldset class="quiz__question">(.*?)</fieldset>', html, re.S):
        choices = re.findall(
            r'name="(q\d+)" value="(\d+)"[^>]*>\s*<span>(.*?)</span>', fieldset, re.S
        )
        questions.append((choices[0][0], [(value, text) for _, value, text in choices]))
    attempt = re.search(r'name="attempt" value="(\d+)"', html)
    return questions, attempt and attempt.group(1)


def right_answers(questions, attempt):
    data = {"attempt": attempt}
    for name, choices in questions:
        data[name] = [value for value, text in choices if text in RIGHT_TEXTS]
    return data


def test_a_shuffled_quiz_keeps_its_order_on_reload_and_is_graded_in_it(student_client, module):
    value = quiz_value()
    # More questions and choices, so that two orders are different beyond doubt.
    for n in range(6):
        value["questions"].append(
            {
                "question": f"Extra question {n}",
                "choices": [
                    {"text": f"Extra {n} right", "correct": True},
                    *({"text": f"Extra {n} wrong {w}", "correct": False} for w in range(4)),
                ],
                "explanation": "",
            }
        )
    module.body = [{"type": "quiz", "id": QUIZ_ID, "value": value | {"shuffle": True}}]
    module.save_revision().publish()
    right = RIGHT_TEXTS | {f"Extra {n} right" for n in range(6)}

    first = student_client.get(quiz_url(module)).content.decode()
    assert student_client.get(quiz_url(module)).content.decode().count("Extra") == first.count(
        "Extra"
    )
    questions, attempt = shown_form(first)
    assert shown_form(student_client.get(quiz_url(module)).content.decode()) == (
        questions,
        attempt,
    )
    assert attempt == "1"
    written = [f"q{n}" for n in range(1, 9)]
    assert [name for name, _ in questions] == written  # positions, whatever the order
    texts = [[text for _, text in choices] for _, choices in questions]
    assert texts != [[c["text"] for c in q["choices"]] for q in value["questions"]]

    wrong_then = {"attempt": "1"}
    for name, choices in questions:
        wrong_then[name] = [next(v for v, text in choices if text not in right)]
    student_client.post(quiz_url(module), wrong_then)
    assert QuizAttempt.objects.get().score == 0

    second, attempt = shown_form(student_client.get(quiz_url(module)).content.decode())
    assert attempt == "2" and second != questions
    answers = {"attempt": "2"}
    for name, choices in second:
        answers[name] = [v for v, text in choices if text in right]
    student_client.post(quiz_url(module), answers)
    best = QuizAttempt.objects.get(number=2)
    assert (best.score, best.passed) == (100, True)
    # Stored in the quiz's own numbering, with the order shown.
    assert best.answers["1"] == [0] and best.answers["2"] == [0, 2]
    assert sorted(best.order["questions"]) == list(range(1, 9))


def test_a_submission_for_another_attempt_is_409_and_stores_nothing(student_client, module):
    publish_quiz(module, shuffle=True)
    questions, attempt = shown_form(student_client.get(quiz_url(module)).content.decode())
    answers = right_answers(questions, attempt)
    assert student_client.post(quiz_url(module), answers).status_code == 302
    again = student_client.post(quiz_url(module), answers)  # the same page, submitted twice
    assert again.status_code == 409
    assert "already submitted" in again.content.decode()
    assert 'name="attempt" value="2"' in again.content.decode()
    for missing in (
        {k: v for k, v in answers.items() if k != "attempt"},
        answers | {"attempt": "x"},
    ):
        assert student_client.post(quiz_url(module), missing).status_code == 409
    assert QuizAttempt.objects.count() == 1


def test_quiz_order_is_per_student_attempt_and_hidden_from_others():
    value = QuizBlock().to_python(quiz_value() | {"shuffle": True})
    orders = {
        repr(quizzes.order_for(value, user, 7, QUIZ_ID, number))
        for user in range(1, 30)
        for number in (1, 2)
    }
    assert len(orders) > 1
    assert quizzes.order_for(value, 1, 7, QUIZ_ID, 1) == quizzes.order_for(value, 1, 7, QUIZ_ID, 1)
    plain = QuizBlock().to_python(quiz_value())
    assert quizzes.order_for(plain, 1, 7, QUIZ_ID, 3) == quizzes.Order.natural(plain)


# --- the answer key ------------------------------------------------------------------------------
def test_the_courses_staff_see_the_answer_key_and_cannot_submit(client, instructor, module):
    publish_quiz(module, attempts_allowed=1, shuffle=True)
    client.force_login(instructor)
    html = client.get(quiz_url(module)).content.decode()
    assert "Zero-ish answer <strong>(correct)</strong>" in html
    assert "It shrinks towards zero." in html
    assert 'name="q1"' not in html
    client.post(quiz_url(module), RIGHT)
    assert not QuizAttempt.objects.exists()
    page = client.get(module.url).content.decode()
    assert "The questions with their answers" in page


def test_students_and_other_instructors_never_get_the_answer_key(
    student_client, client, other_instructor, student, module
):
    publish_quiz(module)
    html = student_client.get(quiz_url(module)).content.decode()
    assert not any(secret in html for secret in SECRETS)
    client.force_login(other_instructor)
    response = client.get(quiz_url(module), follow=True)
    assert not any(secret in response.content.decode() for secret in SECRETS)
    assert response.status_code == 403  # the module page refuses them


def test_a_preview_marks_the_correct_answers(instructor, module):
    publish_quiz(module)
    response = module.make_preview_request(extra_request_attrs={"user": instructor})
    html = response.rendered_content if hasattr(response, "rendered_content") else ""
    html = html or response.content.decode()
    assert "Zero-ish answer <strong>(correct)</strong>" in html
    assert 'name="q1"' not in html


def test_the_api_gives_the_rules_and_never_the_answers(client, enrolled_student, module):
    publish_quiz(module, attempts_allowed=3, show_answers="passed", shuffle=True)
    response = client.get(
        f"/api/v2/courses/{module.course.pk}/contents/", **basic(enrolled_student)
    )
    [quiz] = [block for block in response.json()["modules"][0]["body"] if block["type"] == "quiz"]
    rules = {key: quiz["value"][key] for key in ("attempts_allowed", "show_answers", "shuffle")}
    assert rules == {"attempts_allowed": 3, "show_answers": "passed", "shuffle": True}
    assert not any(secret in response.content.decode() for secret in SECRETS)
    assert "correct" not in response.content.decode()


# --- found by review: stale pages, edits in between, long histories ---------------------------
def test_a_second_submission_of_the_same_page_is_409_whatever_the_rules(student_client, module):
    publish_quiz(module, attempts_allowed=2, show_answers="last_attempt")
    page = student_client.get(quiz_url(module)).content.decode()
    assert 'name="attempt" value="1"' in page
    first = student_client.post(quiz_url(module), WRONG | {"attempt": "1"})
    again = student_client.post(quiz_url(module), WRONG | {"attempt": "1"})
    assert (first.status_code, again.status_code) == (302, 409)
    assert QuizAttempt.objects.count() == 1
    assert "It shrinks towards zero." not in attempt_page(student_client)  # one attempt left


def test_a_submission_of_the_quiz_before_an_edit_is_409_and_stores_nothing(student_client, module):
    publish_quiz(module)
    page = student_client.get(quiz_url(module)).content.decode()
    version = re.search(r'name="quiz" value="(\w+)"', page).group(1)
    value = quiz_value()
    value["questions"][0]["choices"].reverse()  # the right answer moves
    module.body = [{"type": "quiz", "id": QUIZ_ID, "value": value}]
    module.save_revision().publish()
    response = student_client.post(quiz_url(module), RIGHT | {"quiz": version})
    assert response.status_code == 409
    assert "changed this quiz since you opened it" in response.content.decode()
    assert not QuizAttempt.objects.exists()


def test_attempts_are_numbered_beyond_a_small_integer(student_client, enrolled_student, module):
    publish_quiz(module)
    QuizAttempt.objects.create(
        user=enrolled_student, module=module, block_id=QUIZ_ID, number=40_000,
        quiz_title="Limits quiz", answers={}, results=[], score=0, pass_mark=100, passed=False,
    )  # fmt: skip
    assert student_client.post(quiz_url(module), RIGHT).status_code == 302
    assert QuizAttempt.objects.order_by("-number").first().number == 40_001


@pytest.mark.parametrize("rules", [{"show_answers": "passed"}, {"show_answers": "never"}])
def test_a_quiz_that_can_close_or_hide_its_answers_is_taken_on_its_own_page(
    student_client, module, rules
):
    publish_quiz(module, **rules)
    html = student_client.get(module.url).content.decode()
    assert "Take the quiz" in html and 'name="q1"' not in html


@pytest.mark.parametrize("cache", ["off", "on"])
def test_the_forms_version_is_the_one_the_server_grades(student_client, module, cache, request):
    """The module's form is kept for everyone with the page cache on; the quiz page is not:
    both name the version the server grades, so an unchanged quiz is never refused."""
    if cache == "on":
        request.getfixturevalue("page_cache_on")
    module.body = [{"type": "quiz", "id": QUIZ_ID, "value": mixed_quiz_value()}]
    module.save_revision().publish()
    for url in (module.url, module.url, quiz_url(module)):  # the module twice: kept, then reused
        page = student_client.get(url).content.decode()
        version = re.search(r'name="quiz" value="(\w+)"', page).group(1)
        response = student_client.post(quiz_url(module), MIXED_WRONG | {"quiz": version})
        assert response.status_code == 302, url
