"""Sharing a contest: its short public link, a QR code of it, and rules text rendered safely."""

from __future__ import annotations

import io

import segno
from markdown_it import MarkdownIt

# Raw HTML in the organiser's Markdown is shown as text, not run: the rules page is public.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def contest_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/c/{slug}"


def study_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/s/{slug}"


def qr_png(url: str, *, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


def qr_svg(url: str, *, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=scale, border=2, xmldecl=False)
    return buf.getvalue()


def render_rules(markdown_text: str) -> str:
    """HTML for the organiser's rules text; links keep only http(s) and mailto targets."""
    return _markdown.render(markdown_text or "")
