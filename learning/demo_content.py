"""The demo catalogue: three subjects, seven courses by two instructors, with their modules.

Plain data, read by the ``load_demo`` command. Module bodies name blocks by type; the command
fills in the images, documents and the video it creates.
"""

SUBJECTS = [
    {
        "slug": "mathematics",
        "title": "Mathematics",
        "intro": "<p>From counting to calculus: courses that build intuition before formulas.</p>",
        "palette": ((11, 92, 173), (27, 122, 75)),
        "courses": [
            {
                "slug": "calculus-from-scratch",
                "title": "Calculus from scratch",
                "instructor": "instructor",
                "level": "beginner",
                "hours": 12,
                "overview": "<p>Limits, derivatives and integrals explained with pictures first "
                "and symbols second. You will learn to <b>read</b> a graph, estimate a slope and "
                "add up areas, then see how the rules follow.</p>"
                "<ul><li>No prior calculus needed</li>"
                "<li>Worked examples in every module</li></ul>",
                "modules": [
                    ("Limits and continuity", "What it means for a function to approach a value."),
                    ("The derivative", "Slopes of curves and the rules to compute them."),
                    ("Integration", "Areas under curves and the fundamental theorem."),
                    ("Applications", "Optimisation and rates of change in the real world."),
                ],
            },
            {
                "slug": "linear-algebra-essentials",
                "title": "Linear algebra essentials",
                "instructor": "instructor2",
                "level": "intermediate",
                "hours": 16,
                "overview": "<p>Vectors, matrices and the transformations they describe, with an "
                "eye on data science and computer graphics.</p>",
                "modules": [
                    ("Vectors and spaces", "Adding, scaling and measuring vectors."),
                    ("Matrices as transformations", "Rotations, projections and shears."),
                    ("Eigenvalues", "The directions a transformation leaves alone."),
                ],
            },
            {
                "slug": "probability-for-everyone",
                "title": "Probability for everyone",
                "instructor": "instructor",
                "level": "beginner",
                "hours": 8,
                "overview": "<p>Dice, coins and everyday decisions: a friendly tour of chance, "
                "expectation and the law of large numbers.</p>",
                "modules": [
                    ("Counting outcomes", "Permutations, combinations and fair games."),
                    ("Conditional probability", "Updating beliefs with Bayes' rule."),
                    ("Expectation and variance", "What to expect, and how far off it can be."),
                ],
            },
        ],
    },
    {
        "slug": "programming",
        "title": "Programming",
        "intro": "<p>Write software that works, reads well and lasts.</p>",
        "palette": ((40, 44, 90), (160, 60, 120)),
        "courses": [
            {
                "slug": "python-fundamentals",
                "title": "Python fundamentals",
                "instructor": "instructor2",
                "level": "beginner",
                "hours": 20,
                "overview": "<p>Variables, functions, collections and files: everything you need "
                "to automate your first real task in Python.</p>",
                "modules": [
                    ("Getting started", "Installing Python and running your first program."),
                    ("Functions", "Naming a piece of work and reusing it."),
                    ("Collections", "Lists, dictionaries and sets in practice."),
                    ("Files and errors", "Reading data safely and handling the unexpected."),
                ],
            },
            {
                "slug": "web-apps-with-django",
                "title": "Web applications with Django",
                "instructor": "instructor",
                "level": "advanced",
                "hours": 30,
                "overview": "<p>Models, views, templates and forms, then authentication, testing "
                "and deployment of a complete site.</p>",
                "modules": [
                    ("Models and migrations", "Describing data and evolving a schema."),
                    ("Views and templates", "Turning requests into pages."),
                    ("Testing", "Proving the site works, and keeps working."),
                ],
            },
        ],
    },
    {
        "slug": "physics",
        "title": "Physics",
        "intro": "<p>How the world moves, shines and holds together.</p>",
        "palette": ((120, 50, 20), (210, 140, 20)),
        "courses": [
            {
                "slug": "classical-mechanics",
                "title": "Classical mechanics",
                "instructor": "instructor2",
                "level": "intermediate",
                "hours": 18,
                "overview": "<p>Newton's laws, energy and momentum, applied to falling apples, "
                "orbiting moons and swinging pendulums.</p>",
                "modules": [
                    ("Motion in one dimension", "Position, velocity and acceleration."),
                    ("Newton's laws", "Forces and the motion they cause."),
                    ("Energy and momentum", "The quantities that are conserved."),
                ],
            },
            {
                "slug": "light-and-optics",
                "title": "Light and optics",
                "instructor": "instructor",
                "level": "beginner",
                "hours": 6,
                "overview": "<p>Reflection, refraction and lenses: why rainbows form and how "
                "cameras focus.</p>",
                "modules": [
                    ("Reflection", "Mirrors and the law of reflection."),
                    ("Refraction and lenses", "Bending light to form images."),
                ],
            },
        ],
    },
]

USERS = [
    # username, first name, last name, role
    ("admin", "Ada", "Admin", "superuser"),
    ("editor", "Edith", "Editor", "Editors"),
    ("instructor", "Isaac", "Newton-Smith", "Instructors"),
    ("instructor2", "Grace", "Hopper-Jones", "Instructors"),
    ("student", "Sam", "Student", None),
    ("classmate", "Kim", "Classmate", None),
    ("classmate2", "Lou", "Latecomer", None),
]

#: Where the demo's students stand in "Calculus from scratch", so that "Continue learning", the
#: gradebook and its filters show something at once: (username, modules completed (their quizzes
#: passed), failed attempts at module 2's graded quiz, days since their last visit).
CALCULUS_LEARNERS = [
    ("student", 1, 1, 0),
    ("classmate", 2, 2, 3),
    ("classmate2", 0, 0, 21),
]


def module_text(course_title, module_title, description):
    return (
        f"<h2>{module_title}</h2>"
        f"<p>{description} This module of <i>{course_title}</i> starts with an example, then "
        "names the idea behind it, then asks you to try it yourself.</p>"
        "<h3>What you will learn</h3>"
        "<ul><li>The key vocabulary and why it matters</li>"
        "<li>One worked example, step by step</li>"
        "<li>A short exercise to check your understanding</li></ul>"
        "<blockquote>Tip: pause after each section and explain it in your own words.</blockquote>"
    )


def module_quiz(course_title, module_title):
    """A short quiz on how the course works: a single-answer and a multiple-answer question."""
    return {
        "title": f"Check your understanding: {module_title}",
        "intro": "Answer both questions; you can try again as often as you like.",
        "pass_mark": 100,
        "questions": [
            {
                "question": f"What does each module of “{course_title}” start with?",
                "choices": [
                    {"text": "A worked example", "correct": True},
                    {"text": "A timed exam", "correct": False},
                    {"text": "A summary of the next module", "correct": False},
                ],
                "explanation": "Every module opens with an example before naming the idea.",
            },
            {
                "question": "Which of these help you remember a module? Choose all that do.",
                "choices": [
                    {"text": "Explaining it in your own words", "correct": True},
                    {"text": "Writing down the three ideas you remember", "correct": True},
                    {"text": "Skipping the exercise", "correct": False},
                ],
                "explanation": "Retrieval and self-explanation both strengthen memory.",
            },
        ],
    }


#: A quiz that assesses, in "Calculus from scratch", module 2: three attempts, the answers
#: shown only once passed, in a new order for each attempt.
DERIVATIVE_QUIZ = {
    "title": "Graded quiz: derivatives",
    "intro": "Five questions; 60% to pass. You have three attempts, and the answers are "
    "shown once you pass.",
    "pass_mark": 60,
    "attempts_allowed": 3,
    "show_answers": "passed",
    "shuffle": True,
    "questions": [
        {
            "question": "What does the derivative of a function at a point measure?",
            "choices": [
                {"text": "The slope of its tangent line there", "correct": True},
                {"text": "The area under its curve up to that point", "correct": False},
                {"text": "Its largest value", "correct": False},
                {"text": "The distance to the x-axis", "correct": False},
            ],
            "explanation": "The derivative is the limit of the slopes of secant lines: the "
            "slope of the tangent.",
        },
        {
            "question": "What is the derivative of x² ?",
            "choices": [
                {"text": "2x", "correct": True},
                {"text": "x", "correct": False},
                {"text": "x³ / 3", "correct": False},
                {"text": "2", "correct": False},
            ],
            "explanation": "By the power rule, d/dx xⁿ = n·xⁿ⁻¹.",
        },
        {
            "question": "Which functions have a derivative of 0 everywhere? Choose all that do.",
            "choices": [
                {"text": "f(x) = 7", "correct": True},
                {"text": "f(x) = −2", "correct": True},
                {"text": "f(x) = x", "correct": False},
                {"text": "f(x) = sin x", "correct": False},
            ],
            "explanation": "Constant functions do not change, so their slope is 0.",
        },
        {
            "question": "The derivative of sin x is…",
            "choices": [
                {"text": "cos x", "correct": True},
                {"text": "−cos x", "correct": False},
                {"text": "−sin x", "correct": False},
                {"text": "tan x", "correct": False},
            ],
            "explanation": "The slope of the sine curve follows the cosine curve.",
        },
        {
            "question": "Where can a smooth function have a local maximum?",
            "choices": [
                {"text": "Where its derivative is 0", "correct": True},
                {"text": "Where its derivative is largest", "correct": False},
                {"text": "Only at x = 0", "correct": False},
            ],
            "explanation": "At a smooth peak the tangent is horizontal.",
        },
    ],
}

#: Every kind of question, in "Calculus from scratch", module 3.
INTEGRATION_QUIZ = {
    "title": "Practice quiz: integration",
    "intro": "One question of each kind. Try it as often as you like: the answers and "
    "explanations follow each attempt.",
    "pass_mark": 80,
    "show_answers": "always",
    "questions": [
        {
            "type": "choice",
            "value": {
                "question": "Which of these is an antiderivative of 2x?",
                "choices": [
                    {"text": "x² + 5", "correct": True},
                    {"text": "2", "correct": False},
                    {"text": "2x²", "correct": False},
                ],
                "explanation": "The derivative of x² + 5 is 2x: any constant may be added.",
            },
        },
        {
            "type": "true_false",
            "value": {
                "question": "The integral of a function from a to a is always 0.",
                "answer": "true",
                "explanation": "An interval of width 0 encloses no area.",
            },
        },
        {
            "type": "text",
            "value": {
                "question": "What is the name of the theorem that links derivatives and "
                "integrals? (Two words are enough.)",
                "accepted_answers": [
                    "fundamental theorem",
                    "fundamental theorem of calculus",
                    "the fundamental theorem of calculus",
                ],
                "explanation": "The fundamental theorem of calculus: integration undoes "
                "differentiation.",
            },
        },
        {
            "type": "number",
            "value": {
                "question": "What is the area under y = x between x = 0 and x = 4?",
                "answer": "8",
                "tolerance": "0",
                "unit": "square units",
                "explanation": "A triangle of base 4 and height 4: ½ × 4 × 4 = 8.",
            },
        },
        {
            "type": "matching",
            "value": {
                "question": "Match each function with an antiderivative.",
                "pairs": [
                    {"item": "cos x", "match": "sin x"},
                    {"item": "1 / x", "match": "ln |x|"},
                    {"item": "eˣ", "match": "eˣ + 1"},
                ],
                "explanation": "Differentiate each answer to check it.",
            },
        },
    ],
}

#: Quizzes other than the course-wide check, by (course slug, module number).
ASSESSED_QUIZZES = {
    ("calculus-from-scratch", 2): DERIVATIVE_QUIZ,
    ("calculus-from-scratch", 3): INTEGRATION_QUIZ,
}

#: The course structure the demo shows at once (load_demo applies it where it is unset):
#: Linear algebra builds on Calculus; Probability opens its modules in order; in Calculus, the
#: last module opens 35 days after enrolling (the demo learners enrolled 30 days ago) and the
#: practice quiz of module 3 is due 34 days after enrolling.
PREREQUISITES = {"linear-algebra-essentials": ["calculus-from-scratch"]}
SEQUENTIAL_COURSES = ["probability-for-everyone"]
MODULE_SCHEDULE = {
    ("calculus-from-scratch", 4): {"opens_after_days": 35},
    ("calculus-from-scratch", 3): {"due_after_days": 34},
}
ANNOUNCEMENTS = [
    (
        "calculus-from-scratch",
        "instructor",
        "Live review session on Thursday",
        "Bring your questions on derivatives: we meet in the course chat on Thursday at 18:00 "
        "(UTC).\nThe practice quiz of module 3 is due soon: see “My learning”.",
    ),
]
