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


def mixed_quiz_value(**rules):
    """One question of each kind, with answers that appear nowhere else in the quiz."""
    return {
        "title": "Mixed quiz",
        "intro": "Five kinds of question.",
        "pass_mark": 100,
        "questions": [
            {
                "type": "choice",
                "value": {
                    "question": "Pick the even number",
                    "choices": [
                        {"text": "Seven", "correct": False},
                        {"text": "Eight", "correct": True},
                    ],
                    "explanation": "Eight is two fours.",
                },
            },
            {
                "type": "true_false",
                "value": {
                    "question": "A square is a rectangle.",
                    "answer": "true",
                    "explanation": "Four right angles.",
                },
            },
            {
                "type": "text",
                "value": {
                    "question": "Name the capital of France.",
                    "accepted_answers": ["Lutetia Parisiorum", "Paris"],
                    "explanation": "It has been since the Middle Ages.",
                },
            },
            {
                "type": "number",
                "value": {
                    "question": "Give pi to two decimals.",
                    "answer": "3.14",
                    "tolerance": "0.005",
                    "unit": "",
                    "explanation": "Twenty-two sevenths is close.",
                },
            },
            {
                "type": "matching",
                "value": {
                    "question": "Match each animal with its sound.",
                    "pairs": [
                        {"item": "Cow", "match": "Moo"},
                        {"item": "Dog", "match": "Bark"},
                        {"item": "Cat", "match": "Meow"},
                    ],
                    "explanation": "Farm and home.",
                },
            },
        ],
    } | rules


# The matches shown in alphabetical order: Bark (0), Meow (1), Moo (2).
MIXED_RIGHT = {
    "q1": ["1"],
    "q2": "true",
    "q3": " PARIS ",
    "q4": "3,142",
    "q5-1": "2",
    "q5-2": "0",
    "q5-3": "1",
}
MIXED_WRONG = {
    "q1": ["0"],
    "q2": "false",
    "q3": "Lyon",
    "q4": "3.2",
    "q5-1": "0",
    "q5-2": "2",
    "q5-3": "1",
}
