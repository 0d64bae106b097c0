"""Quizzes as a student takes them: the instructor's rules, the order shown, grading, and what
an attempt's page may reveal.

Rules, set per quiz block (learning.blocks.QuizBlock):

* ``attempts_allowed``: how many submissions a student may make (empty: no limit).
* ``show_answers``: when an attempt's page shows which choices are correct, with the
  explanations: ``always``; ``passed`` (once the student has passed; passing closes the quiz,
  so nobody retakes it knowing the answers); ``last_attempt`` (once no attempt is left: needs a
  limit); ``never``. Whatever the rule, a student sees their own answers and which questions
  they got right.
* ``pass_mark``: the percentage of questions to get right.
* ``shuffle``: the questions, and each question's choices, in an order drawn for each attempt.

Order: the form names questions and choices by their *shown* positions only (``q1`` is the
first question shown, value ``0`` its first choice shown), so "the answer to 3 is the second
one" tells another student nothing. The order is drawn from the student, the quiz and the
attempt's number with the site's secret (``order_for``): the same on every reload of that
attempt, another for the next, and drawn again by the server to grade. A shuffled quiz's form
carries the number of the attempt it was drawn for; a submission for another one (a second tab,
an attempt already submitted) is refused, and the quiz is shown again in the current order.

Nothing here reaches the browser before grading except ``Order.questions`` (text and choices,
never which are correct).
"""

import random
from dataclasses import dataclass, field

from django.utils.crypto import salted_hmac

SHOW_ANSWERS = [
    ("always", "After each attempt"),
    ("passed", "Once the student has passed (passing closes the quiz)"),
    ("last_attempt", "After the student's last attempt"),
    ("never", "Never"),
]

INVALID = "This submission is not valid (an unknown choice): please answer again."
STALE = (
    "This quiz was already submitted from another page, so here it is again for your next "
    "attempt: please answer again."
)


class QuizSubmissionError(ValueError):
    """A submission that cannot be graded; nothing is stored. ``answers`` are the positions
    the student ticked, as shown, to show the form again with them."""

    status = 400

    def __init__(self, message, answers=None):
        super().__init__(message)
        self.answers = answers or {}


class StaleAttempt(QuizSubmissionError):
    """A submission for an attempt that is not the student's next one."""

    status = 409

    def __init__(self):
        super().__init__(STALE)


@dataclass(frozen=True)
class Order:
    """The order a quiz is shown in: ``questions[p]`` is the index (in the quiz) of the question
    shown at position ``p``; ``choices[q]`` lists the indexes of question ``q``'s choices in
    the order shown."""

    questions: tuple
    choices: dict

    @classmethod
    def natural(cls, quiz):
        questions = list(quiz.get("questions") or [])
        return cls(
            tuple(range(len(questions))),
            {q: tuple(range(len(question["choices"]))) for q, question in enumerate(questions)},
        )

    def as_data(self):
        """For QuizAttempt.order: the question numbers and choice indexes, as shown."""
        return {
            "questions": [q + 1 for q in self.questions],
            "choices": {str(q + 1): list(self.choices[q]) for q in self.questions},
        }


def order_for(quiz, user_id, module_id, block_id, number):
    """The order of attempt ``number`` of this student at this quiz (see the module docstring).
    A quiz that does not shuffle is shown as written."""
    natural = Order.natural(quiz)
    if not quiz.get("shuffle"):
        return natural
    seed = salted_hmac(
        "learning.quizzes.order", f"{user_id}:{module_id}:{block_id}:{number}"
    ).hexdigest()
    draw = random.Random(seed)  # an order to show, not a secret
    questions = list(natural.questions)
    draw.shuffle(questions)
    choices = {}
    for q in natural.questions:
        shown = list(natural.choices[q])
        draw.shuffle(shown)
        choices[q] = tuple(shown)
    return Order(tuple(questions), choices)


def shown_questions(quiz, order, given=None):
    """The questions to show, in ``order``, with ``given`` positions ({"1": [0, 2]}) ticked.
    Never which choices are correct; ``multiple`` says whether to tick one or several."""
    given = given or {}
    questions = list(quiz.get("questions") or [])
    shown = []
    for position, q in enumerate(order.questions, start=1):
        question = questions[q]
        choices = list(question["choices"])
        ticked = given.get(str(position), ())
        shown.append(
            {
                "number": position,
                "text": question["question"],
                "multiple": sum(bool(c["correct"]) for c in choices) > 1,
                "choices": [
                    {"index": at, "text": choices[c]["text"], "checked": at in ticked}
                    for at, c in enumerate(order.choices[q])
                ],
            }
        )
    return shown


def grade(quiz, data, order=None):
    """Grade a submission (a QueryDict of shown positions) against a quiz block value.

    Each question's answer is in ``q<position>``: one choice position for a single-answer
    question, one or more for a multiple-answer one. Every question must be answered. Returns
    ``(answers, results, score)`` in the quiz's own numbering (answers ``{"1": [0, 2]}``: the
    indexes of the choices picked, per question number; results: right or not, per question);
    raises QuizSubmissionError for anything else.
    """
    order = order or Order.natural(quiz)
    questions = list(quiz["questions"])
    given, answers, results, missing = {}, {}, [None] * len(questions), []
    for position, q in enumerate(order.questions, start=1):
        shown_choices = order.choices[q]
        try:
            picked = sorted({int(value) for value in data.getlist(f"q{position}")})
        except (TypeError, ValueError):
            raise QuizSubmissionError(INVALID) from None
        if any(at < 0 or at >= len(shown_choices) for at in picked):
            raise QuizSubmissionError(INVALID)
        given[str(position)] = picked
        chosen = sorted(shown_choices[at] for at in picked)
        answers[str(q + 1)] = chosen
        correct = sorted(i for i, choice in enumerate(questions[q]["choices"]) if choice["correct"])
        if not picked:
            missing.append(position)
        elif len(correct) == 1 and len(picked) > 1:
            raise QuizSubmissionError(f"Question {position} takes a single answer.", given)
        results[q] = chosen == correct
    if missing:
        listed = ", ".join(str(position) for position in missing)
        raise QuizSubmissionError(
            f"Answer every question before submitting (missing: {listed}).", given
        )
    score = round(100 * sum(results) / len(questions)) if questions else 0
    return dict(sorted(answers.items(), key=lambda item: int(item[0]))), results, score


@dataclass
class Standing:
    """Where a student stands with one quiz: their attempts (newest first) and what the rules
    let them do and see now."""

    quiz: dict
    attempts: list = field(default_factory=list)

    @property
    def used(self):
        return len(self.attempts)

    @property
    def allowed(self):
        return self.quiz.get("attempts_allowed") or None

    @property
    def left(self):
        return None if self.allowed is None else max(self.allowed - self.used, 0)

    @property
    def passed(self):
        return any(attempt.passed for attempt in self.attempts)

    @property
    def best(self):
        return max((attempt.score for attempt in self.attempts), default=None)

    @property
    def next_number(self):
        return max((attempt.number for attempt in self.attempts), default=0) + 1

    @property
    def closed_reason(self):
        """Why no further attempt is allowed, or ``None`` while one is."""
        if self.quiz.get("show_answers") == "passed" and self.passed:
            return "You passed this quiz, and its answers are now shown to you: it is closed."
        if self.left == 0:
            return (
                f"You have used all {self.allowed} attempt{'s' if self.allowed != 1 else ''} "
                "at this quiz."
            )
        return None

    @property
    def reveals_answers(self):
        """Whether this student's attempt pages show the correct answers and explanations."""
        rule = self.quiz.get("show_answers") or "always"
        if rule == "always":
            return True
        if rule == "passed":
            return self.passed
        if rule == "last_attempt":
            return self.left == 0
        return False

    @property
    def answers_note(self):
        """What the attempt page says instead of the answers, while they are not shown."""
        return {
            "passed": "The correct answers and explanations are shown once you pass.",
            "last_attempt": "The correct answers and explanations are shown after your last "
            "attempt.",
            "never": "This quiz does not show its correct answers.",
        }.get(self.quiz.get("show_answers") or "always", "")


def answer_key(quiz):
    """The questions with their correct choices marked and explanations: for the course's
    staff (and previews) only."""
    return [
        {
            "number": number,
            "text": question["question"],
            "explanation": question.get("explanation") or "",
            "choices": [
                {"text": choice["text"], "correct": bool(choice["correct"])}
                for choice in question["choices"]
            ],
        }
        for number, question in enumerate(quiz.get("questions") or [], start=1)
    ]


def rules_summary(quiz):
    """The rules in a few words, for the quiz's header: "3 attempts · answers once passed"."""
    allowed = quiz.get("attempts_allowed")
    parts = [f"{allowed} attempt{'s' if allowed != 1 else ''}" if allowed else "unlimited attempts"]
    parts.append(
        {
            "always": "answers after each attempt",
            "passed": "answers once passed",
            "last_attempt": "answers after the last attempt",
            "never": "answers not shown",
        }[quiz.get("show_answers") or "always"]
    )
    if quiz.get("shuffle"):
        parts.append("order shuffled")
    return " · ".join(parts)
