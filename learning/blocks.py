"""Blocks of a module's body.

Every block has its own template under ``templates/blocks/`` and renders with partial values
(a chooser left empty, a deleted document) without raising. Text that a person typed is escaped
by the templates; rich text is HTML by nature, so it is cleaned to an allow-list of elements and
attributes when it is stored, whatever wrote it (the editor, the API, a script).

Queries: ``load_bodies(pages)`` converts the bodies of any number of modules at once, in a fixed
number of queries: one per model and kind of block for the chosen images and documents (a video's
file and captions together), plus one for the renditions of every image. Without it, Wagtail
converts a body one kind of block at a time, with one query per image for its renditions.
"""

import copy
import re
from collections import defaultdict
from urllib.parse import parse_qs, urlparse

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtail.images.models import AbstractImage
from wagtail.rich_text import RichText, expand_db_html
from wagtail.whitelist import DEFAULT_ELEMENT_RULES, Whitelister, attribute_rule, check_url

from core.admin_forms import RefusesMalformedData
from learning import quizzes

RICH_TEXT_FEATURES = [
    "h2", "h3", "h4", "bold", "italic", "ol", "ul", "hr", "link", "document-link", "code",
    "blockquote", "superscript", "subscript",
]  # fmt: skip

VIDEO_FILE_EXTENSIONS = {"mp4": "video/mp4", "webm": "video/webm", "ogv": "video/ogg"}


class StoredRichTextCleaner(Whitelister):
    """Wagtail's allow-list plus the attributes of its own stored link and embed format."""

    element_rules = DEFAULT_ELEMENT_RULES | {
        "a": attribute_rule({"href": check_url, "linktype": True, "id": True}),
        "embed": attribute_rule(
            {"embedtype": True, "id": True, "format": True, "alt": True, "url": check_url}
        ),
        "code": attribute_rule({}),
        "blockquote": attribute_rule({}),
    }


def clean_rich_text(html):
    return StoredRichTextCleaner().clean(html or "")


class TextBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    def get_prep_value(self, value):
        return clean_rich_text(super().get_prep_value(value))

    def get_api_representation(self, value, context=None):
        """Front-end HTML (links resolved), not Wagtail's stored format."""
        return expand_db_html(value.source if isinstance(value, RichText) else value or "")

    class Meta:
        icon = "pilcrow"
        template = "blocks/text_block.html"
        label = "Text"
        description = "Formatted text: headings, lists, links, quotes and code."
        preview_value = RichText("<h2>Why it matters</h2><p>A short explanation.</p>")


class ChooserStructBlock(blocks.StructBlock):
    """A StructBlock that loads the objects of all its choosers with one query per model.

    Wagtail's StructBlock asks each chooser child for its own objects (one query per child); a
    video's file and captions are both documents, so here they come in the same query. Images
    come with their renditions, in one more query.
    """

    def bulk_to_python(self, values):
        values = list(values)
        choosers = {
            name: child
            for name, child in self.child_blocks.items()
            if isinstance(child, blocks.ChooserBlock)
        }
        wanted = defaultdict(set)
        for value in values:
            for name, child in choosers.items():
                if value.get(name) is not None:
                    wanted[child.model_class].add(value[name])
        found = {model: objects_by_pk(model, pks) for model, pks in wanted.items()}
        # The other children are converted by StructBlock, as before.
        struct_values = super().bulk_to_python(
            [{k: v for k, v in value.items() if k not in choosers} for value in values]
        )
        seen = set()
        for struct_value, value in zip(struct_values, values, strict=True):
            for name, child in choosers.items():
                if name not in value:
                    continue  # StructBlock gave it the child's default
                obj = found.get(child.model_class, {}).get(value[name])
                if obj is not None:
                    key = (child.model_class, obj.pk)
                    # As Wagtail does: an object chosen twice is two instances.
                    obj = copy.copy(obj) if key in seen else obj
                    seen.add(key)
                struct_value[name] = obj
        return struct_values


def objects_by_pk(model, pks):
    queryset = model.objects.all()
    if issubclass(model, AbstractImage):
        # All of them: Wagtail takes a rendition missing from the prefetched ones for one never
        # made, and would make it again on every view.
        queryset = queryset.prefetch_renditions()
    return queryset.in_bulk(list(pks))


def document_api(document):
    if document is None:
        return None
    return {
        "id": document.pk,
        "title": document.title,
        "file_extension": document.file_extension.lower(),
        "file_size": document.get_file_size(),
        "download_url": document.url,
    }


class FileBlock(ChooserStructBlock):
    document = DocumentChooserBlock(help_text="A file students can download.")
    title = blocks.CharBlock(
        required=False,
        max_length=255,
        help_text="Shown on the link; the document's title if empty.",
    )
    description = blocks.TextBlock(required=False, max_length=500)

    def get_api_representation(self, value, context=None):
        document = value.get("document")
        return {
            "title": value.get("title") or (document.title if document else ""),
            "description": value.get("description") or "",
            "document": document_api(document),
        }

    class Meta:
        icon = "doc-full"
        template = "blocks/file_block.html"
        label = "File"
        description = "A downloadable document with its type and size."


class ImageBlock(ChooserStructBlock):
    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        max_length=255,
        help_text="Describe the image for people who cannot see it (required).",
    )
    caption = blocks.CharBlock(required=False, max_length=500)

    API_RENDITIONS = {"small": "width-400", "medium": "width-800", "large": "width-1200"}

    def get_api_representation(self, value, context=None):
        image = value.get("image")
        data = {"alt_text": value.get("alt_text") or "", "caption": value.get("caption") or ""}
        if image is None:
            return data | {"image": None}
        renditions = image.get_renditions(*self.API_RENDITIONS.values())
        data["image"] = {
            "id": image.pk,
            "title": image.title,
            "width": image.width,
            "height": image.height,
            "renditions": {
                name: {
                    "url": renditions[spec].url,
                    "width": renditions[spec].width,
                    "height": renditions[spec].height,
                }
                for name, spec in self.API_RENDITIONS.items()
            },
        }
        return data

    class Meta:
        icon = "image"
        template = "blocks/image_block.html"
        label = "Image"
        description = "An image with alternative text and an optional caption."


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{1,12}$")
_YOUTUBE_HOSTS = {"youtube.com", "m.youtube.com", "youtube-nocookie.com", "music.youtube.com"}


def parse_video_url(url):
    """Return ``(provider, video_id)`` for a YouTube or Vimeo URL, or ``None``.

    Parsing is local: nothing is fetched, so rendering a video never calls the network.
    """
    try:
        parsed = urlparse((url or "").strip())
    except ValueError:
        return None
    if parsed.scheme not in {"http", "https"}:
        return None
    host = (parsed.hostname or "").lower().removeprefix("www.")
    parts = [part for part in parsed.path.split("/") if part]
    candidate = None
    if host in _YOUTUBE_HOSTS:
        if parts[:1] == ["watch"]:
            candidate = parse_qs(parsed.query).get("v", [""])[0]
        elif len(parts) >= 2 and parts[0] in {"embed", "shorts", "live", "v"}:
            candidate = parts[1]
        if candidate and _YOUTUBE_ID.match(candidate):
            return "youtube", candidate
    elif host == "youtu.be" and parts:
        if _YOUTUBE_ID.match(parts[0]):
            return "youtube", parts[0]
    elif host == "vimeo.com" and parts and _VIMEO_ID.match(parts[-1]):
        return "vimeo", parts[-1]
    elif (
        host == "player.vimeo.com"
        and parts[:1] == ["video"]
        and len(parts) >= 2
        and _VIMEO_ID.match(parts[1])
    ):
        return "vimeo", parts[1]
    return None


class VideoValue(blocks.StructValue):
    @property
    def source(self):
        return parse_video_url(self.get("url"))

    @property
    def provider(self):
        source = self.source
        return source[0] if source else None

    @property
    def embed_url(self):
        """A privacy-friendly player URL: no tracking cookies until the visitor presses play."""
        source = self.source
        if source is None:
            return ""
        provider, video_id = source
        if provider == "youtube":
            return f"https://www.youtube-nocookie.com/embed/{video_id}?rel=0"
        return f"https://player.vimeo.com/video/{video_id}?dnt=1"

    @property
    def file_mime_type(self):
        document = self.get("file")
        if document is None:
            return ""
        return VIDEO_FILE_EXTENSIONS.get(document.file_extension.lower(), "")


class VideoBlock(ChooserStructBlock):
    title = blocks.CharBlock(max_length=255, help_text="Names the video for screen readers.")
    url = blocks.URLBlock(
        required=False, label="YouTube or Vimeo URL", help_text="For example https://youtu.be/…"
    )
    file = DocumentChooserBlock(
        required=False,
        label="Video file",
        help_text="Or an uploaded MP4, WebM or Ogg video document.",
    )
    captions = DocumentChooserBlock(
        required=False,
        label="Captions",
        help_text="WebVTT captions (.vtt) for an uploaded video file.",
    )
    caption = blocks.CharBlock(required=False, max_length=500)

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        url, document = value.get("url"), value.get("file")
        captions = value.get("captions")
        if captions is not None and captions.file_extension.lower() != "vtt":
            errors["captions"] = ErrorList(["Captions must be a WebVTT (.vtt) file."])
        if url and document:
            message = "Give either a URL or a video file, not both."
            errors["url"] = ErrorList([message])
            errors["file"] = ErrorList([message])
        elif not url and not document:
            errors["url"] = ErrorList(["Give a YouTube or Vimeo URL, or choose a video file."])
        elif url and parse_video_url(url) is None:
            errors["url"] = ErrorList(["Only YouTube and Vimeo video URLs are supported."])
        elif document and document.file_extension.lower() not in VIDEO_FILE_EXTENSIONS:
            errors["file"] = ErrorList(["The video file must be an MP4, WebM or Ogg (.ogv) file."])
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    def get_api_representation(self, value, context=None):
        document = value.get("file")
        return {
            "title": value.get("title") or "",
            "caption": value.get("caption") or "",
            "provider": value.provider or ("file" if document else None),
            "url": value.get("url") or "",
            "embed_url": value.embed_url,
            "file": (document_api(document) | {"mime_type": value.file_mime_type})
            if document
            else None,
            "captions": document_api(value.get("captions")),
        }

    class Meta:
        icon = "media"
        template = "blocks/video_block.html"
        label = "Video"
        description = "A YouTube or Vimeo video, or an uploaded video file."
        value_class = VideoValue


def refused(field, message):
    """A StructBlock's validation error on one of its fields."""
    return blocks.StructBlockValidationError(block_errors={field: ValidationError(message)})


class QuizChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=500)
    correct = blocks.BooleanBlock(required=False, help_text="Tick every correct choice.")

    class Meta:
        icon = "tick"
        label = "Choice"


def question_text():
    return blocks.TextBlock(max_length=1000)


def explanation():
    return blocks.TextBlock(
        required=False,
        max_length=2000,
        help_text="Why the answer is right: shown when the quiz shows its answers.",
    )


class QuizQuestionBlock(blocks.StructBlock):
    """A question with choices, one or several of them right."""

    question = question_text()
    choices = blocks.ListBlock(QuizChoiceBlock(), min_num=2, max_num=10)
    explanation = explanation()

    def clean(self, value):
        value = super().clean(value)
        if not any(choice["correct"] for choice in value["choices"]):
            raise refused(
                "choices", "Mark at least one choice as correct: a question needs a right answer."
            )
        return value

    class Meta:
        icon = "list-ul"
        label = "Multiple choice"


class TrueFalseQuestionBlock(blocks.StructBlock):
    question = question_text()
    answer = blocks.ChoiceBlock(
        choices=[("true", "True"), ("false", "False")], help_text="The right answer."
    )
    explanation = explanation()

    class Meta:
        icon = "tick-inverse"
        label = "True or false"


class TextAnswerQuestionBlock(blocks.StructBlock):
    question = question_text()
    accepted_answers = blocks.ListBlock(
        blocks.CharBlock(max_length=200),
        min_num=1,
        max_num=20,
        help_text="Every answer to accept. Case and extra spaces do not count: "
        "“Paris” accepts “ paris ”.",
    )
    explanation = explanation()

    class Meta:
        icon = "edit"
        label = "Short text answer"


class NumberQuestionBlock(blocks.StructBlock):
    question = question_text()
    answer = blocks.DecimalBlock(max_digits=30, decimal_places=10, help_text="The right answer.")
    tolerance = blocks.DecimalBlock(
        required=False,
        min_value=0,
        max_digits=30,
        decimal_places=10,
        help_text="How far from the answer still counts as right (0 or empty: exactly).",
    )
    unit = blocks.CharBlock(required=False, max_length=30, help_text="Shown after the box: cm, %…")
    explanation = explanation()

    class Meta:
        icon = "decimal"
        label = "Number"


class MatchingPairBlock(blocks.StructBlock):
    item = blocks.CharBlock(max_length=300)
    match = blocks.CharBlock(max_length=300)

    class Meta:
        icon = "link"
        label = "Pair"


class MatchingQuestionBlock(blocks.StructBlock):
    question = question_text()
    pairs = blocks.ListBlock(
        MatchingPairBlock(),
        min_num=2,
        max_num=10,
        help_text="Each item with its match; students see the matches in another order.",
    )
    explanation = explanation()

    def clean(self, value):
        value = super().clean(value)
        matches = [quizzes.normalized_text(pair["match"]) for pair in value["pairs"]]
        if len(set(matches)) < len(matches):
            raise refused(
                "pairs", "Give every item a different match: two alike could not be told apart."
            )
        return value

    class Meta:
        icon = "link"
        label = "Matching"


class QuizQuestionsBlock(blocks.StreamBlock):
    """A quiz's questions, of the kinds learning.quizzes grades (block names are its kinds).

    Quizzes stored when every question had choices hold a list of them (items typed ``item``,
    or bare values): they are read as multiple-choice questions, and saved in this form.
    """

    choice = QuizQuestionBlock()
    true_false = TrueFalseQuestionBlock()
    text = TextAnswerQuestionBlock()
    number = NumberQuestionBlock()
    matching = MatchingQuestionBlock()

    @staticmethod
    def from_list(value):
        """A stored list of choice questions in this block's form; anything else as it is."""
        if not isinstance(value, list | tuple):
            return value
        stream = []
        for item in value:
            if isinstance(item, dict) and item.get("type") == "item":
                item = {**item, "type": "choice"}  # a ListBlock's item
            elif isinstance(item, dict) and "type" not in item:
                item = {"type": "choice", "value": item}  # a bare question
            stream.append(item)
        return stream

    def to_python(self, value):
        return super().to_python(self.from_list(value))

    def bulk_to_python(self, values):
        return super().bulk_to_python([self.from_list(value) for value in values])

    class Meta:
        min_num = 1
        max_num = 50


class QuizValue(blocks.StructValue):
    """What the page may show before grading: never which choices are correct."""

    def public_questions(self, given=None):
        """Questions and choices in the order written, with ``given`` answers ({"1": [0, 2]})
        ticked (a shuffled quiz is shown in its attempt's order: learning.quizzes)."""
        return quizzes.shown_questions(self, quizzes.Order.natural(self), given)

    @property
    def taken_on_its_own_page(self):
        """Whether the quiz differs by student beyond passed or not (attempts left, its order,
        closed once passed, answers held back): then it is taken on its own page, not in the
        module's body, whose form is the same for every student."""
        return bool(
            self.get("attempts_allowed")
            or self.get("shuffle")
            or (self.get("show_answers") or "always") != "always"
        )

    @property
    def fingerprint(self):
        return quizzes.fingerprint(self)

    @property
    def rules(self):
        return quizzes.rules_summary(self)

    def answer_key(self):
        """The correct answers marked: for previews and the course's staff only."""
        return quizzes.answer_key(self)


def api_question(question):
    """A question as the API gives it, by kind: never its answer."""
    data = {"number": question["number"], "type": question["kind"], "text": question["text"]}
    if question["kind"] == "choice":
        data.update(
            multiple=question["multiple"],
            choices=[choice["text"] for choice in question["choices"]],
        )
    elif question["kind"] == "number":
        data["unit"] = question["unit"]
    elif question["kind"] == "matching":
        data.update(
            items=[item["text"] for item in question["items"]],
            options=[option["text"] for option in question["options"]],
        )
    return data


class QuizBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=255, default="Check your understanding")
    intro = blocks.TextBlock(required=False, max_length=1000)
    pass_mark = blocks.IntegerBlock(
        min_value=0,
        max_value=100,
        default=70,
        help_text="The percentage of questions a student must get right to pass.",
    )
    attempts_allowed = blocks.IntegerBlock(
        required=False,
        min_value=1,
        max_value=100,
        help_text="How many times a student may submit the quiz; empty for no limit.",
    )
    show_answers = blocks.ChoiceBlock(
        choices=quizzes.SHOW_ANSWERS,
        default="always",
        help_text="When a student's result shows the correct answers and the explanations. "
        "Students always see which questions they got right.",
    )
    shuffle = blocks.BooleanBlock(
        required=False,
        help_text="Show the questions, and each question's choices, in a new order for each "
        "attempt (the same order on every reload of an attempt).",
    )
    questions = QuizQuestionsBlock()

    def clean(self, value):
        value = super().clean(value)
        if value.get("show_answers") == "last_attempt" and not value.get("attempts_allowed"):
            raise refused(
                "show_answers", "Set a number of attempts: with no limit there is no last attempt."
            )
        return value

    def get_searchable_content(self, value):
        """What a student sees before answering: the title, the introduction, the questions,
        every choice, right and wrong alike, and a matching question's items and matches. Never
        the explanations, accepted answers or numbers, nor which choice is right: a search
        matching them would tell a student the answer."""
        content = [value.get("title") or "", value.get("intro") or ""]
        for question in value.public_questions():
            content.append(question["text"])
            content.extend(choice["text"] for choice in question.get("choices") or ())
            content.extend(item["text"] for item in question.get("items") or ())
            content.extend(option["text"] for option in question.get("options") or ())
        return [text for text in content if text]

    def get_api_representation(self, value, context=None):
        """The quiz as a student sees it before answering: never the right answers."""
        return {
            "title": value.get("title") or "",
            "intro": value.get("intro") or "",
            "pass_mark": value.get("pass_mark"),
            "attempts_allowed": value.get("attempts_allowed") or None,
            "show_answers": value.get("show_answers") or "always",
            "shuffle": bool(value.get("shuffle")),
            "questions": [api_question(question) for question in value.public_questions()],
        }

    class Meta:
        icon = "list-ul"
        template = "blocks/quiz_block.html"
        label = "Quiz"
        description = "Auto-graded questions; the module counts as complete once it is passed."
        value_class = QuizValue


class ModuleBodyBlock(RefusesMalformedData, blocks.StreamBlock):
    """A module's body. Posted data the admin's editor never sends is a 400 (core.admin_forms)."""

    text = TextBlock()
    file = FileBlock()
    image = ImageBlock()
    video = VideoBlock()
    quiz = QuizBlock()

    def get_prep_value(self, value):
        # A stream built from raw JSON (a script assigning JSON, a revision being published) hands
        # back the items nobody has read as they were given, without calling their block's
        # get_prep_value. Reading the text items makes them pass through TextBlock's cleaning.
        if isinstance(value, blocks.StreamValue):
            value.blocks_by_name("text")
        return super().get_prep_value(value)


def load_bodies(pages, field_name="body"):
    """Convert the StreamField bodies of these pages together (see the module docstring).

    A body already converted (a preview of unsaved changes) is left as it is.
    """
    pages = [page for page in pages if getattr(page, field_name).is_lazy]
    if not pages:
        return
    stream_block = getattr(pages[0], field_name).stream_block
    values = stream_block.bulk_to_python(
        [list(getattr(page, field_name).raw_data) for page in pages]
    )
    for page, value in zip(pages, values, strict=True):
        setattr(page, field_name, value)
