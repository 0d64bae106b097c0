"""A module body as the module page shows it: parts kept for everyone, and the quizzes.

Text, image, file and video blocks render the same for every reader, and are kept rendered
(``ModulePage.body_parts``). A quiz differs by reader in three things only: whether it shows
the form (the reader is enrolled) or a note, whether it says "Passed", and the form's CSRF
token. Each of its four forms is rendered once per process while the page cache's generation
lasts, split where the token goes (``with_reader_quizzes``); the template joins the pieces
with the page's token (``{% csrf_join %}``). Rendering the body every time instead takes a
student's module page from 24% to 10% of the minimal view (docs/performance.md, "What each
hand-made piece saves").
"""

import secrets
from functools import partial

from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from wagtail.blocks import StreamValue

from core import kept as page_cache
from core.templatetags.site_tags import site_key

#: Blocks whose HTML depends on the reader (a quiz shows their result): never kept whole.
PERSONAL_BLOCKS = ("quiz",)

# Where a kept quiz's CSRF token goes: random per process, so no content can hold it.
_TOKEN_SLOT = secrets.token_hex(16)


def lazy_child(block, block_id, raw):
    """A body's block from its stored value, converted only if a template reads it: a quiz's
    shared parts are kept fragments (blocks/quiz_block.html), so that a reader's page usually
    reads none of it."""
    return StreamValue.StreamChild(
        block, SimpleLazyObject(partial(block.to_python, raw)), id=block_id
    )


class BodyPart:
    """One block of a module body for the template: its kept HTML, the kept pieces of a quiz
    to join with the CSRF token (``slots``), or the block to render."""

    __slots__ = ("id", "block_type", "html", "block", "slots")

    def __init__(self, block_id, block_type, html=None, block=None):
        self.id = block_id
        self.block_type = block_type
        self.html = html
        self.block = block
        self.slots = None


def with_reader_quizzes(page, parts, request, enrolled, passed_ids):
    """``parts`` with each quiz's kept form for this reader (``slots``).

    Left to the template (``{% include_block %}``, in the page's context) when nothing is kept
    for the request: the page cache off, or a draft's preview.
    """
    current = page_cache.request_generation(request)
    if not current or getattr(request, "is_preview", False):
        return parts
    site = site_key(request)
    for part in parts:
        if part.html is None and part.block_type == "quiz":
            passed = part.id in passed_ids
            name = f"quiz:{site}:{page.pk}:{page.live_revision_id}:{part.id}:{enrolled:d}{passed:d}"
            part.slots = page_cache.process_value(
                name, partial(_quiz_slots, page, part, enrolled, passed), current
            )
    return parts


def _quiz_slots(page, part, enrolled, passed):
    """The quiz's HTML in one of its four forms, split where the reader's CSRF token goes."""
    html = format_html(
        '<div class="block block--{}">{}</div>',
        part.block_type,
        part.block.render_as_block(
            {
                "page": page,
                "block_id": part.id,
                "enrollment": enrolled,
                "passed_quiz_ids": {part.id} if passed else set(),
                "csrf_token": _TOKEN_SLOT,
            }
        ),
    )
    return str(html).split(_TOKEN_SLOT)
