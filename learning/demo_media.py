"""Media for the demo data, made from code: cover images, a PDF handout and a text file.

Nothing is downloaded: images are drawn with Pillow, the PDF is written by hand (a one-page,
standards-conforming PDF 1.4 file), and the sample video ships with the repository.
"""

import io
import math
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SAMPLE_VIDEO = Path(__file__).resolve().parent / "demo_files" / "sample-clip.webm"


def cover_image(palette, seed=0, size=(1600, 900)):
    """A PNG cover: a diagonal gradient and soft geometric shapes, drawn from ``seed``. No
    text: the page sets the title beside it, and a thumbnail's crop would cut it."""
    width, height = size
    start, end = palette
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for x in range(width):
        t = x / (width - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
        draw.line([(x, 0), (x, height)], fill=colour)
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    shapes = ImageDraw.Draw(overlay)
    for index in range(9):
        angle = seed * 0.7 + index * 0.9
        cx = width * (0.5 + 0.42 * math.cos(angle))
        cy = height * (0.5 + 0.38 * math.sin(angle * 1.3))
        radius = 60 + (index * 37 + seed * 11) % 180
        shapes.ellipse(
            [cx - radius, cy - radius, cx + radius, cy + radius],
            fill=(255, 255, 255, 28 + (index * 9) % 40),
        )
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    return _png_bytes(image)


def diagram_image(title, palette, size=(1200, 700)):
    """A simple bar chart with labelled axes, for module illustrations."""
    image = Image.new("RGB", size, (250, 251, 253))
    draw = ImageDraw.Draw(image)
    width, height = size
    left, bottom = 110, height - 90
    draw.line([(left, 60), (left, bottom), (width - 60, bottom)], fill=(60, 70, 80), width=4)
    values = [3, 5, 8, 6, 9, 12, 10]
    bar_width = (width - left - 120) // len(values)
    for index, value in enumerate(values):
        x0 = left + 30 + index * bar_width
        y0 = bottom - value * (bottom - 90) / 12
        colour = palette[index % 2]
        draw.rectangle([x0, y0, x0 + bar_width - 24, bottom - 2], fill=colour)
    font = ImageFont.load_default(size=40)
    draw.text((left, 10), title, font=font, fill=(28, 36, 48))
    return _png_bytes(image)


def _png_bytes(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def handout_pdf(title, paragraphs):
    """A one-page PDF with a title and paragraphs of plain text (Helvetica)."""

    def escape(text):
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    lines = [("F2", 20, title), ("F1", 11, "")]
    for paragraph in paragraphs:
        words, line = paragraph.split(), ""
        for word in words:
            if len(line) + len(word) + 1 > 90:
                lines.append(("F1", 11, line))
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(("F1", 11, line))
        lines.append(("F1", 11, ""))
    commands = ["BT", "72 770 Td"]
    for font, size, text in lines:
        commands.append(
            f"/{font} {size} Tf {escape(text) and f'({escape(text)}) Tj'} 0 -{size + 6} Td"
        )
    commands.append("ET")
    stream = zlib.compress("\n".join(commands).encode("latin-1", "replace"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = output.tell()
    output.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        output.write(b"%010d 00000 n \n" % offset)
    output.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return output.getvalue()
