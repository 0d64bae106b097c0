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

Questions come in five kinds (``KINDS``, the block names of learning.blocks.QuizQuestionsBlock):
multiple choice (one or several right), true or false, a short text answer (any of the accepted
answers, case and spaces aside), a number (within a tolerance) and matching (every item with its
match; the matches shown in alphabetical order, or shuffled). A question is right or wrong as a
whole; the score is the percentage of questions right.

Order: the form names questions and options by their *shown* positions only (``q1`` is the
first question shown, value ``0`` its first choice shown), so "the answer to 3 is the second
one" tells another student nothing. The order is drawn from the student, the quiz and the
attempt's number with the site's secret (``order_for``): the same on every reload of that
attempt, another for the next, and drawn again by the server to grade. A shuffled quiz's form
carries the number of the attempt it was drawn for; a submission for another one (a second tab,
an attempt already submitted) is refused, and the quiz is shown again in the current order.

Nothing here reaches the browser before grading except ``shown_questions`` (the questions and
their options, never which are right); ``review`` and ``answer_key`` give the answers, to a
student as the rule allows and to the course's staff.
"""

import hashlib
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

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


class QuizChanged(QuizSubmissionError):
    """A submission of the quiz as it was before its instructor changed it."""

    status = 409

    def __init__(self):
        super().__init__(
            "The instructor changed this quiz since you opened it: here it is as it is now. "
            "Please answer again."
        )


def fingerprint(quiz):
    """A short digest of what a submission is graded against (each question as its answer key
    reads, and whether they are shuffled): the form carries it, and a submission of another
    version of the quiz is refused (QuizChanged). From the questions' meaning, not their
    stored form, so that a quiz read from a kept module body agrees with one read afresh."""
    text = json.dumps([answer_key(quiz), bool(quiz.get("shuffle"))], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class StaleAttempt(QuizSubmissionError):
    """A submission for an attempt that is not the student's next one."""

    status = 409

    def __init__(self):
        super().__init__(STALE)


def questions_of(quiz):
    """``[(kind, question), ...]``: the quiz's questions with their kind (``KINDS``)."""
    return [(KINDS[child.block_type], child.value) for child in quiz.get("questions") or []]


def normalized_text(text):
    """A short answer as compared: case and runs of white space do not count."""
    return " ".join(str(text).split()).casefold()


class Kind:
    """One kind of question: what its form shows, how a submission is read and graded, and how
    an answer is shown. ``options`` are what a shuffle reorders (a choice question's choices,
    a matching question's matches); positions in the form name them, never their index."""

    name = ""
    label = ""

    def options(self, question):
        return ()

    def natural_options(self, question):
        return tuple(range(len(self.options(question))))

    def shown(self, question, options, given):
        return {}

    def read(self, question, data, field, options):
        """``(given, answer)`` from the submission: what to show again in the form, and the
        answer in the quiz's own terms (``None`` if the question was left unanswered)."""
        raise NotImplementedError

    def is_right(self, question, answer):
        raise NotImplementedError

    def key(self, question):
        """The right answer, in words."""
        raise NotImplementedError

    def said(self, question, answer):
        """The student's answer, in words."""
        return "" if answer is None else str(answer)

    def fits(self, answer):
        """Whether a stored answer has this kind's shape (a question's kind may have changed
        since the attempt)."""
        return isinstance(answer, str)


class ChoiceKind(Kind):
    name, label = "choice", "Choice"

    def options(self, question):
        return [choice["text"] for choice in question["choices"]]

    def correct(self, question):
        return sorted(i for i, choice in enumerate(question["choices"]) if choice["correct"])

    def shown(self, question, options, given):
        texts = self.options(question)
        return {
            "multiple": len(self.correct(question)) > 1,
            "choices": [
                {"index": at, "text": texts[i], "checked": at in (given or ())}
                for at, i in enumerate(options)
            ],
        }

    def read(self, question, data, field, options):
        try:
            picked = sorted({int(value) for value in data.getlist(field)})
        except (TypeError, ValueError):
            raise QuizSubmissionError(INVALID) from None
        if any(at < 0 or at >= len(options) for at in picked):
            raise QuizSubmissionError(INVALID)
        if len(picked) > 1 and len(self.correct(question)) == 1:
            raise TooMany()
        return picked, (sorted(options[at] for at in picked) or None)

    def is_right(self, question, answer):
        return answer == self.correct(question)

    def key(self, question):
        texts = self.options(question)
        return "; ".join(texts[i] for i in self.correct(question))

    def said(self, question, answer):
        texts = self.options(question)
        return "; ".join(texts[i] for i in answer or () if 0 <= i < len(texts))

    def fits(self, answer):
        return isinstance(answer, list) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in answer
        )


class TrueFalseKind(Kind):
    name, label = "true_false", "True or false"
    WORDS = {"true": "True", "false": "False"}

    def shown(self, question, options, given):
        return {
            "choices": [
                {"value": value, "text": text, "checked": given == value}
                for value, text in self.WORDS.items()
            ]
        }

    def read(self, question, data, field, options):
        value = data.get(field, "")
        if value and value not in self.WORDS:
            raise QuizSubmissionError(INVALID)
        return value, (value or None)

    def is_right(self, question, answer):
        return answer == question["answer"]

    def key(self, question):
        return self.WORDS.get(question["answer"], "")

    def said(self, question, answer):
        return self.WORDS.get(answer, "")

    def fits(self, answer):
        return isinstance(answer, str) and answer in self.WORDS


class TextKind(Kind):
    name, label = "text", "Short answer"
    LONGEST = 500

    def shown(self, question, options, given):
        return {"value": given or ""}

    def read(self, question, data, field, options):
        value = data.get(field, "")
        if len(value) > self.LONGEST or "\x00" in value:
            raise QuizSubmissionError(
                f"Keep each answer under {self.LONGEST} characters, without control characters."
            )
        return value, (value.strip() or None)

    def is_right(self, question, answer):
        accepted = {normalized_text(text) for text in question["accepted_answers"]}
        return answer is not None and normalized_text(answer) in accepted

    def key(self, question):
        return " or ".join(question["accepted_answers"])


class NumberKind(Kind):
    name, label = "number", "Number"

    def shown(self, question, options, given):
        return {"value": given or "", "unit": question.get("unit") or ""}

    def read(self, question, data, field, options):
        value = data.get(field, "")
        text = value.strip().replace("\u2212", "-").replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # a decimal comma
        if not text:
            return value, None
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            number = None
        # Digits and a sane exponent only: 1e999999999 is finite, and would overflow the
        # subtraction that grades it.
        if (
            number is None
            or not number.is_finite()
            or len(text) > 40
            or abs(number.adjusted()) > 30
        ):
            raise NotANumber(value)
        return value, str(number)

    def fits(self, answer):
        try:
            return isinstance(answer, str) and Decimal(answer).is_finite()
        except (InvalidOperation, ValueError):
            return False

    def is_right(self, question, answer):
        if answer is None or question.get("answer") is None:
            return False
        tolerance = abs(Decimal(question.get("tolerance") or 0))
        try:
            return abs(Decimal(answer) - Decimal(question["answer"])) <= tolerance
        except ArithmeticError:
            return False

    def key(self, question):
        unit = f" {question['unit']}" if question.get("unit") else ""
        tolerance = Decimal(question.get("tolerance") or 0)
        within = f" (± {tolerance.normalize():f})" if tolerance else ""
        return f"{Decimal(question['answer']).normalize():f}{unit}{within}"

    def said(self, question, answer):
        unit = f" {question['unit']}" if question.get("unit") else ""
        return "" if answer is None else f"{answer}{unit}"


class MatchingKind(Kind):
    name, label = "matching", "Matching"

    def options(self, question):
        return [pair["match"] for pair in question["pairs"]]

    def natural_options(self, question):
        # Never the order written, which pairs each item with the match beside it.
        matches = self.options(question)
        return tuple(sorted(range(len(matches)), key=lambda i: normalized_text(matches[i])))

    def shown(self, question, options, given):
        matches = self.options(question)
        given = given or {}
        return {
            "items": [
                {"index": i, "text": pair["item"], "selected": given.get(i)}
                for i, pair in enumerate(question["pairs"])
            ],
            "options": [{"index": at, "text": matches[i]} for at, i in enumerate(options)],
        }

    def read(self, question, data, field, options):
        given, answer = {}, []
        for i in range(len(question["pairs"])):
            value = data.get(f"{field}-{i + 1}", "")
            if value == "":
                answer.append(None)
                continue
            try:
                at = int(value)
            except ValueError:
                raise QuizSubmissionError(INVALID) from None
            if not 0 <= at < len(options):
                raise QuizSubmissionError(INVALID)
            given[i] = at
            answer.append(options[at])
        return given, (None if None in answer else answer)

    def is_right(self, question, answer):
        return answer == list(range(len(question["pairs"])))

    def key(self, question):
        return "; ".join(f"{pair['item']} → {pair['match']}" for pair in question["pairs"])

    def said(self, question, answer):
        matches = self.options(question)
        return "; ".join(
            f"{pair['item']} → {matches[at] if at is not None and 0 <= at < len(matches) else '—'}"
            for pair, at in zip(question["pairs"], answer or (), strict=False)
        )

    def fits(self, answer):
        return isinstance(answer, list) and all(
            at is None or (isinstance(at, int) and not isinstance(at, bool)) for at in answer
        )


KINDS = {
    kind.name: kind
    for kind in (ChoiceKind(), TrueFalseKind(), TextKind(), NumberKind(), MatchingKind())
}


class TooMany(Exception):
    pass


class NotANumber(Exception):
    pass


@dataclass(frozen=True)
class Order:
    """The order a quiz is shown in: ``questions[p]`` is the index (in the quiz) of the question
    shown at position ``p``; ``options[q]`` lists the indexes of question ``q``'s options (its
    choices, its matches) in the order shown."""

    questions: tuple
    options: dict

    @classmethod
    def natural(cls, quiz):
        questions = questions_of(quiz)
        return cls(
            tuple(range(len(questions))),
            {q: kind.natural_options(question) for q, (kind, question) in enumerate(questions)},
        )

    def as_data(self):
        """For QuizAttempt.order: the question numbers and option indexes, as shown."""
        return {
            "questions": [q + 1 for q in self.questions],
            "options": {str(q + 1): list(self.options[q]) for q in self.questions},
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
    options = {}
    for q in natural.questions:
        shown = list(natural.options[q])
        draw.shuffle(shown)
        options[q] = tuple(shown)
    return Order(tuple(questions), options)


def shown_questions(quiz, order, given=None):
    """The questions to show, in ``order``, with the ``given`` answers ({"1": ...}, by
    position) filled in. Never the right answers."""
    given = given or {}
    questions = questions_of(quiz)
    shown = []
    for position, q in enumerate(order.questions, start=1):
        kind, question = questions[q]
        shown.append(
            {
                "number": position,
                "kind": kind.name,
                "text": question["question"],
                **kind.shown(question, order.options[q], given.get(str(position))),
            }
        )
    return shown


def grade(quiz, data, order=None):
    """Grade a submission (a QueryDict, by shown positions) against a quiz block value.

    Each question's answer is in ``q<position>`` (a matching question's in ``q<position>-<item>``).
    Every question must be answered. Returns ``(answers, results, score)`` in the quiz's own
    numbering (answers ``{"1": ...}`` in each kind's terms, results: right or not, per
    question); raises QuizSubmissionError for anything else.
    """
    order = order or Order.natural(quiz)
    questions = questions_of(quiz)
    given, answers, results, missing, problems = {}, {}, [False] * len(questions), [], []
    for position, q in enumerate(order.questions, start=1):
        kind, question = questions[q]
        try:
            shown, answer = kind.read(question, data, f"q{position}", order.options[q])
        except TooMany:
            problems.append(f"Question {position} takes a single answer.")
            continue
        except NotANumber as error:
            given[str(position)] = str(error)
            problems.append(f"Question {position} takes a number, such as 2.5.")
            continue
        given[str(position)] = shown
        if answer is None:
            missing.append(position)
            continue
        answers[str(q + 1)] = answer
        results[q] = bool(kind.is_right(question, answer))
    if missing:
        listed = ", ".join(str(position) for position in missing)
        problems.append(f"Answer every question before submitting (missing: {listed}).")
    if problems:
        raise QuizSubmissionError(" ".join(problems), given)
    score = round(100 * sum(results) / len(questions)) if questions else 0
    return dict(sorted(answers.items(), key=lambda item: int(item[0]))), results, score


def review(quiz, answers, results, reveal):
    """An attempt's questions as its page shows them: the student's answers and whether each
    was right; the right answers and explanations only if ``reveal``."""
    results = list(results) + [False] * len(questions_of(quiz))
    reviewed = []
    for number, (kind, question) in enumerate(questions_of(quiz), start=1):
        answer = answers.get(str(number))
        if not kind.fits(answer):
            answer = None  # given to a question of another kind, since changed
        entry = {
            "number": number,
            "kind": kind.name,
            "text": question["question"],
            "right": results[number - 1],
            "said": kind.said(question, answer),
            "key": kind.key(question) if reveal else "",
            "explanation": (question.get("explanation") or "") if reveal else "",
        }
        if kind.name == "choice":
            picked = set(answer or ())
            entry["choices"] = [
                {"text": c["text"], "correct": reveal and c["correct"], "picked": i in picked}
                for i, c in enumerate(question["choices"])
            ]
        reviewed.append(entry)
    return reviewed


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
    """The questions with their right answers and explanations: for the course's staff (and
    previews) only."""
    key = []
    for number, (kind, question) in enumerate(questions_of(quiz), start=1):
        entry = {
            "number": number,
            "kind": kind.name,
            "text": question["question"],
            "key": kind.key(question),
            "explanation": question.get("explanation") or "",
        }
        if kind.name == "choice":
            entry["choices"] = [
                {"text": choice["text"], "correct": bool(choice["correct"])}
                for choice in question["choices"]
            ]
        key.append(entry)
    return key


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


def sample_submission(quiz, order, number, right=True):
    """A submission of attempt ``number`` in ``order`` (a QueryDict, as the form posts it):
    every answer right, or every answer wrong. For the demo data and tests."""
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data["attempt"] = str(number)
    questions = questions_of(quiz)
    for position, q in enumerate(order.questions, start=1):
        kind, question = questions[q]
        name, options = f"q{position}", order.options[q]
        if kind.name == "choice":
            correct = set(kind.correct(question))
            picks = [at for at, i in enumerate(options) if (i in correct) == right]
            data.setlist(name, [str(at) for at in (picks if right else picks[:1])])
        elif kind.name == "true_false":
            data[name] = (
                question["answer"] if right else {"true": "false"}.get(question["answer"], "true")
            )
        elif kind.name == "text":
            data[name] = question["accepted_answers"][0] if right else "(no idea)"
        elif kind.name == "number":
            off = 0 if right else abs(Decimal(question.get("tolerance") or 0)) + 1
            data[name] = str(Decimal(question["answer"]) + off)
        elif kind.name == "matching":
            count = len(question["pairs"])
            for i in range(count):
                data[f"{name}-{i + 1}"] = str(options.index(i if right else (i + 1) % count))
    return data
