"""A module body with a two-question quiz, for the progress and quiz tests."""

QUIZ_ID = "quiz-1"


def quiz_value(pass_mark=100):
    return {
        "title": "Limits quiz",
        "intro": "Two questions.",
        "pass_mark": pass_mark,
        "questions": [
            {
                "question": "What is the limit of 1/x as x grows?",
                "choices": [
                    {"text": "Zero-ish answer", "correct": True},
                    {"text": "Infinity-ish answer", "correct": False},
                ],
                "explanation": "It shrinks towards zero.",
            },
            {
                "question": "Which are continuous everywhere?",
                "choices": [
                    {"text": "Polynomial wiggle", "correct": True},
                    {"text": "Step jump", "correct": False},
                    {"text": "Sine wave", "correct": True},
                ],
                "explanation": "Polynomials and sine have no jumps.",
            },
        ],
    }


def add_quiz(module, pass_mark=100):
    module.body = [
        {"type": "text", "value": "<p>Read this first.</p>"},
        {"type": "quiz", "id": QUIZ_ID, "value": quiz_value(pass_mark)},
    ]
    module.save_revision().publish()
    module.refresh_from_db()
    return module


RIGHT = {"q1": ["0"], "q2": ["0", "2"]}
HALF = {"q1": ["0"], "q2": ["0"]}
WRONG = {"q1": ["1"], "q2": ["1"]}
