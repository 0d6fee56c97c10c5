"""Images shown when a link is shared on Zalo or Facebook (Open Graph, 1200 × 630 PNG): a few lines of text
on the product's colours, with the Vietnamese font the PDFs embed. Nothing private goes on one."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 64
FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
BACKGROUND = (183, 28, 28)  # the red of the header bar
BAND = (255, 214, 0)  # the gold rule under the title
TEXT = (255, 255, 255)


@dataclass(frozen=True)
class Line:
    text: str
    size: int = 40
    bold: bool = False
    max_lines: int = 2


@cache
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _wrap(draw: ImageDraw.ImageDraw, line: Line) -> list[str]:
    """The line's words over as many rows as fit the width (at most max_lines; the last ends in … if cut)."""
    font, width = _font(line.size, line.bold), WIDTH - 2 * MARGIN
    rows: list[str] = []
    current = ""
    for word in line.text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not current:
            current = trial
            continue
        rows.append(current)
        current = word
    if current:
        rows.append(current)
    if len(rows) > line.max_lines:
        rows = rows[: line.max_lines]
        last = rows[-1]
        while last and draw.textlength(last + " …", font=font) > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        rows[-1] = last + " …"
    return rows


def card_png(title: Line, lines: list[Line], footer: str = "") -> bytes:
    """A title, a gold rule, the lines below it, and a small footer (the site's name or address)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    for row in _wrap(draw, title):
        draw.text((MARGIN, y), row, font=_font(title.size, title.bold), fill=TEXT)
        y += int(title.size * 1.25)
    y += 12
    draw.rectangle((MARGIN, y, MARGIN + 160, y + 8), fill=BAND)
    y += 36
    for line in lines:
        for row in _wrap(draw, line):
            if y + line.size > HEIGHT - MARGIN - 30:
                break
            draw.text((MARGIN, y), row, font=_font(line.size, line.bold), fill=TEXT)
            y += int(line.size * 1.3)
    if footer:
        draw.text((MARGIN, HEIGHT - MARGIN), footer, font=_font(26, False), fill=BAND)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
