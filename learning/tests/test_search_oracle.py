"""The catalogue's search cannot tell a student which answer of a quiz is right (issue 16)."""

import pytest
from django.test import Client

from learning.tests.quiz_data import add_quiz

pytestmark = pytest.mark.django_db


def found(query):
    response = Client().get("/catalog/", {"q": query})
    assert response.status_code == 200
    return [course.title for course in response.context["courses"]]


def test_an_explanation_is_not_searchable_but_every_choice_is(course, module):
    add_quiz(module)  # the explanation says "shrinks"; the choices hold right and wrong answers
    assert found("shrinks") == []  # the explanation would give the answer away
    assert found("Zero-ish") == [course.title]  # a right choice
    assert found("Infinity-ish") == [course.title]  # and a wrong one alike: no oracle
    assert found("continuous everywhere") == [course.title]  # the question itself


def test_the_quiz_indexes_only_what_a_student_sees_before_answering(module):
    add_quiz(module)
    [quiz] = [block for block in module.body if block.block_type == "quiz"]
    content = quiz.block.get_searchable_content(quiz.value)
    assert "It shrinks towards zero." not in content
    assert "Polynomials and sine have no jumps." not in content
    assert {"Zero-ish answer", "Infinity-ish answer", "Limits quiz"} <= set(content)
