"""The kinds of question a quiz holds (multiple choice, true or false, short text, number,
matching): each graded on the server, none giving its answer away before the rules allow."""

import pytest
from django.urls import reverse
from wagtail.blocks import StructBlockValidationError

from learning.blocks import MatchingQuestionBlock, QuizBlock
from learning.models import QuizAttempt
from learning.tests.quiz_data import MIXED_RIGHT, MIXED_WRONG, QUIZ_ID, mixed_quiz_value, quiz_value
from learning.tests.test_api import basic

pytestmark = pytest.mark.django_db

# Right answers and explanations: in no page or API answer before the quiz's rule allows.
ANSWERS = ("Lutetia", "Paris", "3.14", "0.005", "Eight is two", "Four right angles", "Middle Ages")


@pytest.fixture
def mixed_module(module):
    module.body = [{"type": "quiz", "id": QUIZ_ID, "value": mixed_quiz_value()}]
    module.save_revision().publish()
    module.refresh_from_db()
    return module


def quiz_url(module):
    return reverse("learning:quiz", args=(module.pk, QUIZ_ID))


def latest_attempt():
    return QuizAttempt.objects.order_by("-created_at").first()


def test_every_kind_is_graded_right(student_client, mixed_module):
    response = student_client.post(quiz_url(mixed_module), MIXED_RIGHT)
    assert response.status_code == 302
    attempt = latest_attempt()
    assert (attempt.score, attempt.results) == (100, [True] * 5)
    assert attempt.answers == {
        "1": [1],
        "2": "true",
        "3": "PARIS",
        "4": "3.142",
        "5": [0, 1, 2],
    }


def test_every_kind_is_graded_wrong(student_client, mixed_module):
    student_client.post(quiz_url(mixed_module), MIXED_WRONG)
    attempt = latest_attempt()
    assert (attempt.score, attempt.results, attempt.passed) == (0, [False] * 5, False)


@pytest.mark.parametrize(
    ("given", "right"),
    [
        ("paris", True),
        ("  Lutetia   parisiorum ", True),
        ("Pari", False),
        ("Paris, France", False),
    ],
)
def test_a_short_answer_ignores_case_and_spaces_only(student_client, mixed_module, given, right):
    student_client.post(quiz_url(mixed_module), MIXED_RIGHT | {"q3": given})
    assert latest_attempt().results[2] is right


@pytest.mark.parametrize(
    ("given", "right"),
    [("3.14", True), ("3.145", True), ("3.1449", True), ("3.146", False), ("−3.14", False)],
)
def test_a_number_is_right_within_its_tolerance(student_client, mixed_module, given, right):
    student_client.post(quiz_url(mixed_module), MIXED_RIGHT | {"q4": given})
    assert latest_attempt().results[3] is right


@pytest.mark.parametrize("given", ["abc", "NaN", "Infinity", "1e", "1" * 60, "--1"])
def test_not_a_number_is_a_clear_400_that_keeps_the_answers(student_client, mixed_module, given):
    response = student_client.post(quiz_url(mixed_module), MIXED_RIGHT | {"q4": given})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Question 4 takes a number" in html
    assert 'value=" PARIS "' in html  # the other answers are kept
    assert not QuizAttempt.objects.exists()


def test_a_matching_question_needs_every_pair_right(student_client, mixed_module):
    student_client.post(quiz_url(mixed_module), MIXED_RIGHT | {"q5-1": "1", "q5-3": "2"})
    assert latest_attempt().results[4] is False


@pytest.mark.parametrize(
    "change",
    [{"q5-2": ""}, {"q3": "  "}, {"q4": ""}, {"q2": ""}],
)
def test_an_unanswered_question_of_any_kind_is_a_400(student_client, mixed_module, change):
    response = student_client.post(quiz_url(mixed_module), MIXED_RIGHT | change)
    assert response.status_code == 400
    assert "Answer every question" in response.content.decode()
    assert not QuizAttempt.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"q5-1": "3"},
        {"q5-1": "x"},
        {"q5-1": "-1"},
        {"q2": "yes"},
        {"q3": "x" * 501},
        {"q3": "a\x00"},
    ],
)
def test_a_malformed_answer_is_a_400_and_stores_nothing(student_client, mixed_module, change):
    response = student_client.post(quiz_url(mixed_module), MIXED_RIGHT | change)
    assert response.status_code == 400
    assert not QuizAttempt.objects.exists()


def test_the_form_gives_no_answer_away(student_client, mixed_module):
    for url in (mixed_module.url, quiz_url(mixed_module)):
        html = student_client.get(url).content.decode()
        assert "Give pi to two decimals." in html and "Match each animal" in html
        assert not any(answer in html for answer in ANSWERS), url
        # The matches in alphabetical order, not beside their items.
        assert html.index(">Bark<") < html.index(">Meow<") < html.index(">Moo<")


def test_the_api_gives_no_answer_away(client, enrolled_student, mixed_module):
    response = client.get(
        f"/api/v2/courses/{mixed_module.course.pk}/contents/", **basic(enrolled_student)
    )
    [quiz] = response.json()["modules"][0]["body"]
    kinds = [question["type"] for question in quiz["value"]["questions"]]
    assert kinds == ["choice", "true_false", "text", "number", "matching"]
    assert quiz["value"]["questions"][4]["options"] == ["Bark", "Meow", "Moo"]
    assert not any(answer in response.content.decode() for answer in ANSWERS)


def test_search_never_indexes_an_answer():
    block = QuizBlock()
    content = " ".join(block.get_searchable_content(block.to_python(mixed_quiz_value())))
    assert "Name the capital of France." in content and "Moo" in content
    assert not any(answer in content for answer in ANSWERS)


def test_the_result_shows_each_answer_and_the_right_ones_as_the_rule_allows(student_client, module):
    module.body = [
        {
            "type": "quiz",
            "id": QUIZ_ID,
            "value": mixed_quiz_value(attempts_allowed=2, show_answers="last_attempt"),
        }
    ]
    module.save_revision().publish()
    student_client.post(quiz_url(module), MIXED_WRONG)
    url = reverse("learning:quiz_attempt", args=(latest_attempt().pk,))
    first = student_client.get(url).content.decode()
    assert "Lyon" in first and "3.2" in first and "Cow → Bark" in first
    assert not any(answer in first for answer in ANSWERS)
    student_client.post(quiz_url(module), MIXED_WRONG)
    last = student_client.get(url).content.decode()
    assert "Lutetia Parisiorum or Paris" in last
    assert "3.14 (± 0.005)" in last
    assert "Cow → Moo; Dog → Bark; Cat → Meow" in last
    assert "Four right angles." in last


def test_the_staff_answer_key_names_every_right_answer(client, instructor, mixed_module):
    client.force_login(instructor)
    html = client.get(quiz_url(mixed_module)).content.decode()
    for expected in (
        "Eight <strong>(correct)</strong>",
        "Right answer: <strong>True</strong>",
        "Lutetia Parisiorum or Paris",
        "3.14 (± 0.005)",
        "Cow → Moo",
    ):
        assert expected in html


def test_two_items_with_the_same_match_are_refused():
    block = MatchingQuestionBlock()
    value = {
        "question": "Match",
        "pairs": [{"item": "A", "match": "Same"}, {"item": "B", "match": " same "}],
        "explanation": "",
    }
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(block.to_python(value))
    assert "different match" in str(error.value.as_json_data())


def test_quizzes_stored_as_lists_of_choice_questions_still_read_and_grade(student_client, module):
    legacy = quiz_value()
    legacy["questions"] = [
        {"type": "item", "value": question, "id": f"old-{n}"}
        for n, question in enumerate(legacy["questions"])
    ]
    block = QuizBlock()
    value = block.to_python(legacy)
    assert [child.block_type for child in value["questions"]] == ["choice", "choice"]
    stored = block.get_prep_value(value)
    assert [item["type"] for item in stored["questions"]] == ["choice", "choice"]
    module.body = [{"type": "quiz", "id": QUIZ_ID, "value": legacy}]
    module.save_revision().publish()
    student_client.post(quiz_url(module), {"q1": ["0"], "q2": ["0", "2"]})
    assert latest_attempt().score == 100


@pytest.mark.parametrize("given", ["1e999999999", "9e9999999", "-1E+1000000", "1e-40"])
def test_a_number_beyond_any_sane_size_is_a_400(student_client, mixed_module, given):
    response = student_client.post(quiz_url(mixed_module), MIXED_RIGHT | {"q4": given})
    assert response.status_code == 400
    assert not QuizAttempt.objects.exists()


def test_attempts_stay_readable_after_a_question_changes_kind(
    client, student_client, instructor, mixed_module
):
    student_client.post(quiz_url(mixed_module), MIXED_WRONG)
    attempt = latest_attempt()
    value = mixed_quiz_value()
    # Question 1 becomes true or false, 3 a matching one, 5 a short answer.
    value["questions"][0] = value["questions"][1]
    value["questions"][2], value["questions"][4] = value["questions"][4], value["questions"][2]
    mixed_module.body = [{"type": "quiz", "id": QUIZ_ID, "value": value}]
    mixed_module.save_revision().publish()
    url = reverse("learning:quiz_attempt", args=(attempt.pk,))
    assert student_client.get(url).status_code == 200
    client.force_login(instructor)
    page = reverse("learning_gradebook_student", args=(mixed_module.course.pk, attempt.user_id))
    assert client.get(page).status_code == 200
