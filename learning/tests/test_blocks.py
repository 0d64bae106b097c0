"""The module body's blocks: rendering with full, partial and hostile values, and validation.

Rendering tests run twice through the ``render`` fixture: once with ``block.render(value)`` and
once through a real, published ModulePage fetched by an anonymous visitor.
"""

import json
import re
import socket
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils.html import escape
from wagtail import blocks
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import rich_text

from learning.blocks import ModuleBodyBlock, TextBlock, VideoBlock, parse_video_url
from learning.models import ModulePage
from learning.tests.factories import DocumentFactory, ImageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(student_client):
    """Module pages are read by a student enrolled in the module's course."""
    return student_client


BODY = ModuleBodyBlock()
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
BEGIN, END = "block-under-test-begins", "block-under-test-ends"
YOUTUBE_ID = "dQw4w9WgXcQ"
VIMEO_ID = "76979871"
UNSAFE_HTML = (
    '<p onclick="steal()">Safe words<script>alert(1)</script> '
    '<a href="javascript:alert(2)">bad link</a> <a href="https://example.com/">good link</a></p>'
)


def hostile(field):
    """A string that breaks out of HTML text and attributes unless it is escaped."""
    return f'<script>alert("{field}")</script>"\'&'


def assert_escaped(html, *fields):
    assert "<script" not in html
    for field in fields:
        assert hostile(field) not in html
        assert escape(hostile(field)) in html, f"{field} is not shown escaped"


@pytest.fixture(params=["block", "page"])
def render(request):
    """Render one body block from its stored (JSON) value: alone, or inside a live ModulePage."""
    if request.param == "block":

        def render_block(block_type, raw_value):
            block = BODY.child_blocks[block_type]
            return block.render(block.to_python(raw_value))

        return render_block

    module = request.getfixturevalue("module")
    client = request.getfixturevalue("client")

    def render_page(block_type, raw_value):
        module.body = [
            {"type": "text", "value": f"<p>{BEGIN}</p>"},
            {"type": block_type, "value": raw_value},
            {"type": "text", "value": f"<p>{END}</p>"},
        ]
        module.save()
        response = client.get(module.url)
        assert response.status_code == 200
        # Only the block itself: the site's header and footer are not under test here.
        return response.content.decode().split(BEGIN, 1)[1].split(END, 1)[0]

    return render_page


@pytest.fixture
def no_network(monkeypatch):
    """Refuse, and record, any connection or name lookup beyond this machine."""
    attempts = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock, address):
        if isinstance(address, tuple) and address[0] not in LOCAL_HOSTS:
            attempts.append(address)
            raise OSError(f"network access in a test: {address}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL_HOSTS and host is not None:
            attempts.append(host)
            raise OSError(f"name lookup in a test: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def urlopen(url, *args, **kwargs):
        attempts.append(url)
        raise OSError(f"urlopen in a test: {url}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return attempts


@pytest.fixture
def document():
    return DocumentFactory(title="Lecture notes", filename="notes.pdf", content=b"x" * 2048)


@pytest.fixture
def image():
    return ImageFactory(title="Diagram", file__width=1600, file__height=900)


def deleted_pk(instance):
    pk = instance.pk
    instance.delete()
    return pk


def iframe_src(html):
    match = re.search(r'<iframe src="([^"]+)"', html)
    assert match, "no iframe rendered"
    return urlparse(match.group(1).replace("&amp;", "&"))


def error_messages(exc, field):
    return exc.value.block_errors[field].messages


# Text


def test_text_block_renders_its_rich_text(render):
    html = render("text", "<h2>Why limits</h2><p>They <b>matter</b>.</p>")
    assert '<div class="rich-text"><h2>Why limits</h2><p>They <b>matter</b>.</p></div>' in html


def test_text_block_shows_typed_markup_as_escaped_text(render):
    block = TextBlock()
    typed = rich_text(f"<p>{escape(hostile('text'))}</p>", features=block.features)
    stored = block.get_prep_value(block.value_from_datadict({"body": typed}, {}, "body"))
    assert_escaped(render("text", stored), "text")


def test_text_block_get_prep_value_strips_scripts_event_handlers_and_javascript_links():
    cleaned = TextBlock().get_prep_value(RichText(UNSAFE_HTML))
    assert "<script" not in cleaned
    assert "onclick" not in cleaned
    assert "javascript:" not in cleaned
    assert "Safe words" in cleaned
    assert '<a href="https://example.com/">good link</a>' in cleaned


def _assign_rich_text(module, html):
    module.body = [("text", RichText(html))]
    module.save()


SITE_SCRIPTS = re.compile(r'<script src="/static/[\w/.-]+\.js" defer></script>')


def _assign_raw_json(module, html):
    module.body = json.dumps([{"type": "text", "value": html}])
    module.save()


def _assign_raw_list(module, html):
    module.body = [{"type": "text", "value": html}]
    module.save()


def _publish_revision(module, html):
    module.body = json.dumps([{"type": "text", "value": html}])
    module.save_revision().publish()


@pytest.mark.parametrize(
    "write",
    [_assign_rich_text, _assign_raw_json, _assign_raw_list, _publish_revision],
    ids=["rich-text-value", "json-string", "raw-list", "published-revision"],
)
def test_unsafe_rich_text_is_cleaned_when_the_page_is_saved(module, client, write):
    write(module, UNSAFE_HTML)

    stored = json.dumps(list(ModulePage.objects.get(pk=module.pk).body.raw_data))
    page = client.get(module.url).content.decode()
    html = SITE_SCRIPTS.sub("", page)  # the site's own scripts (notifications.js) are not content
    for text in (stored, html):
        assert "<script" not in text
        assert "onclick" not in text
        assert "javascript:" not in text
    assert "Safe words" in html
    assert '<a href="https://example.com/">good link</a>' in html


# File


def test_file_block_shows_title_extension_and_size_and_links_to_the_document(render, document):
    html = render("file", {"document": document.pk, "title": "Week 1 notes", "description": "Read"})
    assert f'href="{document.url}"' in html
    assert "Week 1 notes" in html
    assert "PDF, 2.0\xa0KB" in html
    assert '<p class="file-download__description">Read</p>' in html


def test_file_block_falls_back_to_the_document_title_when_its_title_is_empty(render, document):
    html = render("file", {"document": document.pk, "title": "", "description": ""})
    assert '<span class="file-download__title">Lecture notes</span>' in html
    assert "file-download__description" not in html


def test_file_block_without_a_document_says_the_file_is_not_available(render):
    html = render("file", {"document": None, "title": "", "description": ""})
    assert "A file is not available." in html
    assert "file-download__link" not in html


def test_file_block_with_a_deleted_document_says_its_title_is_not_available(render, document):
    pk = deleted_pk(document)
    html = render("file", {"document": pk, "title": "Week 1 notes", "description": ""})
    assert "Week 1 notes is not available." in html
    assert "file-download__link" not in html


def test_file_block_escapes_its_title_and_description(render, document):
    html = render(
        "file",
        {"document": document.pk, "title": hostile("title"), "description": hostile("desc")},
    )
    assert_escaped(html, "title", "desc")


def test_file_block_escapes_the_document_title(render):
    document = DocumentFactory(title=hostile("document"))
    html = render("file", {"document": document.pk, "title": "", "description": ""})
    assert_escaped(html, "document")


def test_file_block_escapes_its_title_when_the_document_is_missing(render):
    html = render("file", {"document": None, "title": hostile("title"), "description": ""})
    assert_escaped(html, "title")


# Image


def test_image_block_renders_a_responsive_img_with_alt_text_and_caption(render, image):
    html = render("image", {"image": image.pk, "alt_text": "A parabola", "caption": "Figure 1"})
    img = re.search(r"<img [^>]+>", html).group(0)
    assert 'alt="A parabola"' in img
    srcset = re.search(r'srcset="([^"]+)"', img).group(1)
    assert [entry.split()[-1] for entry in srcset.split(", ")] == ["400w", "800w", "1200w"]
    assert "<figcaption>Figure 1</figcaption>" in html


def test_image_block_without_a_caption_has_no_figcaption(render, image):
    html = render("image", {"image": image.pk, "alt_text": "A parabola", "caption": ""})
    assert "<img " in html
    assert "<figcaption" not in html


def test_image_block_without_an_image_says_it_is_not_available(render):
    html = render("image", {"image": None, "alt_text": "A parabola", "caption": "Figure 1"})
    assert "An image is not available: A parabola." in html
    assert "<img " not in html


def test_image_block_with_a_deleted_image_says_it_is_not_available(render, image):
    pk = deleted_pk(image)
    html = render("image", {"image": pk, "alt_text": "", "caption": ""})
    assert "An image is not available." in html
    assert "<img " not in html


def test_image_block_escapes_alt_text_and_caption(render, image):
    html = render(
        "image", {"image": image.pk, "alt_text": hostile("alt"), "caption": hostile("cap")}
    )
    assert_escaped(html, "alt", "cap")


def test_image_block_never_shows_the_image_title_raw(render):
    image = ImageFactory(title=hostile("image"))
    html = render("image", {"image": image.pk, "alt_text": "", "caption": ""})
    assert hostile("image") not in html
    assert "<script" not in html
    assert 'alt=""' in html


def test_image_block_escapes_alt_text_when_the_image_is_missing(render):
    html = render("image", {"image": None, "alt_text": hostile("alt"), "caption": ""})
    assert_escaped(html, "alt")


# Video


VIDEO_URLS = {
    "youtube-watch": (f"https://www.youtube.com/watch?v={YOUTUBE_ID}&t=42", "youtube"),
    "youtube-short-link": (f"https://youtu.be/{YOUTUBE_ID}?si=abc", "youtube"),
    "youtube-embed": (f"https://www.youtube.com/embed/{YOUTUBE_ID}", "youtube"),
    "youtube-shorts": (f"https://youtube.com/shorts/{YOUTUBE_ID}", "youtube"),
    "youtube-mobile": (f"https://m.youtube.com/watch?v={YOUTUBE_ID}", "youtube"),
    "vimeo": (f"https://vimeo.com/{VIMEO_ID}", "vimeo"),
    "vimeo-player": (f"https://player.vimeo.com/video/{VIMEO_ID}", "vimeo"),
}


def video(url="", file=None, title="Lecture", caption=""):
    return {"title": title, "url": url, "file": file, "caption": caption}


@pytest.mark.parametrize(("url", "provider"), VIDEO_URLS.values(), ids=VIDEO_URLS.keys())
def test_video_url_renders_a_privacy_friendly_iframe_without_network_access(
    render, no_network, url, provider
):
    html = render("video", video(url=url))
    src = iframe_src(html)
    assert src.scheme == "https"
    if provider == "youtube":
        assert src.hostname == "www.youtube-nocookie.com"
        assert src.path == f"/embed/{YOUTUBE_ID}"
    else:
        assert src.hostname == "player.vimeo.com"
        assert src.path == f"/video/{VIMEO_ID}"
        assert parse_qs(src.query)["dnt"] == ["1"]
    assert no_network == []


@pytest.mark.parametrize(("url", "provider"), VIDEO_URLS.values(), ids=VIDEO_URLS.keys())
def test_parse_video_url_finds_provider_and_id(url, provider):
    expected_id = YOUTUBE_ID if provider == "youtube" else VIMEO_ID
    assert parse_video_url(url) == (provider, expected_id)


def test_video_iframe_is_titled_for_screen_readers(render):
    html = render("video", video(url=VIDEO_URLS["vimeo"][0], title="Limits explained"))
    assert re.search(r'<iframe [^>]*title="Limits explained"', html)
    assert "<figcaption>Limits explained</figcaption>" in html


def test_video_without_title_or_caption_has_a_generic_title_and_no_figcaption(render):
    html = render("video", video(url=VIDEO_URLS["vimeo"][0], title=""))
    assert re.search(r'<iframe [^>]*title="Video"', html)
    assert "<figcaption" not in html


@pytest.mark.parametrize(
    ("extension", "mime_type"),
    [("webm", "video/webm"), ("mp4", "video/mp4"), ("ogv", "video/ogg"), ("MP4", "video/mp4")],
)
def test_uploaded_video_file_renders_a_video_element_with_its_type(render, extension, mime_type):
    document = DocumentFactory(title="Recording", filename=f"lecture.{extension}")
    html = render("video", video(file=document.pk))
    assert "<video " in html
    assert f'<source src="{document.url}" type="{mime_type}">' in html
    assert "<iframe" not in html


def test_uploaded_video_without_title_offers_a_download_named_after_the_file(render):
    document = DocumentFactory(title="Recording", filename="lecture.webm")
    html = render("video", video(file=document.pk, title=""))
    assert f'<a href="{document.url}">Download the video “Recording”</a>' in html


def test_video_with_neither_url_nor_file_says_it_is_not_available(render):
    html = render("video", video(title="Lecture"))
    assert "The video “Lecture” is not available." in html
    assert "<iframe" not in html
    assert "<video" not in html


def test_video_with_a_deleted_file_says_it_is_not_available(render):
    pk = deleted_pk(DocumentFactory(filename="lecture.mp4"))
    html = render("video", video(file=pk, title="Lecture"))
    assert "The video “Lecture” is not available." in html
    assert "<video" not in html


def test_video_escapes_title_and_caption(render):
    html = render(
        "video", video(url=VIDEO_URLS["vimeo"][0], title=hostile("title"), caption=hostile("cap"))
    )
    assert_escaped(html, "title", "cap")


def test_unavailable_video_escapes_its_title(render):
    assert_escaped(render("video", video(title=hostile("title"))), "title")


def test_uploaded_video_escapes_its_title_and_the_document_title(render):
    document = DocumentFactory(title=hostile("document"), filename="lecture.webm")
    assert_escaped(render("video", video(file=document.pk, title="")), "document")
    assert_escaped(render("video", video(file=document.pk, title=hostile("title"))), "title")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "Enter a valid URL."),
        ("http://[::1", "Enter a valid URL."),
        ("not a url", "Enter a valid URL."),
        (f"https://example.com/watch?v={YOUTUBE_ID}", "Only YouTube and Vimeo"),
        (f"https://youtube.com.evil.example/watch?v={YOUTUBE_ID}", "Only YouTube and Vimeo"),
        (f"ftp://youtube.com/watch?v={YOUTUBE_ID}", "Only YouTube and Vimeo"),
        ("https://www.youtube.com/watch?v=tooshort", "Only YouTube and Vimeo"),
        ("https://www.youtube.com/", "Only YouTube and Vimeo"),
        ("https://vimeo.com/channels/staffpicks", "Only YouTube and Vimeo"),
    ],
    ids=[
        "javascript",
        "malformed-host",
        "not-a-url",
        "other-host",
        "lookalike-host",
        "ftp",
        "bad-youtube-id",
        "no-youtube-id",
        "no-vimeo-id",
    ],
)
def test_video_clean_rejects_unsupported_urls_with_a_clear_message(url, message):
    block = VideoBlock()
    with pytest.raises(blocks.StructBlockValidationError) as exc:
        block.clean(block.to_python(video(url=url)))
    assert any(message in text for text in error_messages(exc, "url"))


def test_video_clean_rejects_both_a_url_and_a_file():
    block = VideoBlock()
    document = DocumentFactory(filename="lecture.mp4")
    with pytest.raises(blocks.StructBlockValidationError) as exc:
        block.clean(block.to_python(video(url=VIDEO_URLS["vimeo"][0], file=document.pk)))
    assert error_messages(exc, "url") == ["Give either a URL or a video file, not both."]
    assert error_messages(exc, "file") == ["Give either a URL or a video file, not both."]


def test_video_clean_rejects_neither_a_url_nor_a_file():
    block = VideoBlock()
    with pytest.raises(blocks.StructBlockValidationError) as exc:
        block.clean(block.to_python(video()))
    assert error_messages(exc, "url") == ["Give a YouTube or Vimeo URL, or choose a video file."]


def test_video_clean_rejects_a_document_that_is_not_a_video():
    block = VideoBlock()
    document = DocumentFactory(filename="slides.pdf")
    with pytest.raises(blocks.StructBlockValidationError) as exc:
        block.clean(block.to_python(video(file=document.pk)))
    assert error_messages(exc, "file") == [
        "The video file must be an MP4, WebM or Ogg (.ogv) file."
    ]


@pytest.mark.parametrize("url", [url for url, _ in VIDEO_URLS.values()], ids=VIDEO_URLS.keys())
def test_video_clean_accepts_youtube_and_vimeo_urls(url):
    block = VideoBlock()
    assert block.clean(block.to_python(video(url=url)))["url"] == url


def test_video_clean_accepts_an_uploaded_video_file():
    block = VideoBlock()
    document = DocumentFactory(filename="lecture.webm")
    assert block.clean(block.to_python(video(file=document.pk)))["file"] == document


# The whole body


def test_empty_body_renders_nothing():
    assert BODY.render(BODY.to_python([])).strip() == ""


def test_module_with_an_empty_body_says_it_has_no_content_yet(module, client):
    module.body = []
    module.save()
    response = client.get(module.url)
    assert response.status_code == 200
    assert "This module has no content yet." in response.content.decode()


def test_module_page_renders_every_block_type_in_order(module, client, document, image, no_network):
    module.body = [
        {"type": "text", "value": "<p>Read this first.</p>"},
        {"type": "file", "value": {"document": document.pk, "title": "", "description": ""}},
        {"type": "image", "value": {"image": image.pk, "alt_text": "A graph", "caption": ""}},
        {"type": "video", "value": video(url=VIDEO_URLS["youtube-short-link"][0])},
    ]
    module.save()
    html = client.get(module.url).content.decode()
    expected = [
        "Read this first.",
        "Lecture notes",
        'alt="A graph"',
        f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}",
    ]
    assert all(text in html for text in expected)
    positions = [html.index(text) for text in expected]
    assert positions == sorted(positions)
    assert no_network == []
