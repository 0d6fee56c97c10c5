"""What every question-file reader produces: drafts with the line (or Excel row) they start on, the
questions left out on purpose (skipped, with the reason) and the problems found (errors).

A draft is not checked here: app.services.bank.question_rules.check_question does that, once, for every format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from app.errors import N_
from app.i18n import translate
from app.services.kit.tables import FileProblem, decode_utf8
from app.services.kit.text import fold

MAX_QUESTIONS = 50_000


@dataclass
class Draft:
    line: int  # text formats: the line the question starts on; spreadsheets: the Excel row
    kind: str | None
    text: str | None
    options: list[tuple[str | None, bool]]
    explanation: str | None = ""
    difficulty: str | None = None
    source_ref: str | None = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    locale: str = "vi"
    legacy: str | None = None  # the file's legacy code as the organiser said ("tcvn3", "vni"): made Unicode
    drafts: list[Draft] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)  # imported, but not quite as written: said so

    def note(self, line: int, reason: str, /, **params: Any) -> None:
        self.notes.append({"line": line, "reason": translate(reason, self.locale, **params)})

    def error(self, row: int, fld: str | None, message: str, /, **params: Any) -> None:
        self.errors.append({"row": row, "field": fld, "message": translate(message, self.locale, **params)})

    def skip(self, line: int, reason: str, /, **params: Any) -> None:
        self.skipped.append({"line": line, "reason": translate(reason, self.locale, **params)})

    def add(self, draft: Draft) -> None:
        if len(self.drafts) >= MAX_QUESTIONS:
            raise FileProblem(
                N_("Tệp có hơn {max_rows} câu hỏi. Hãy chia thành nhiều tệp nhỏ hơn."), max_rows=f"{MAX_QUESTIONS:,}".replace(",", ".")
            )
        self.drafts.append(draft)


_TEXT_NOT_UTF8 = (
    N_(
        "Tệp không dùng bảng mã UTF-8 (có vẻ là {encoding}), nên tiếng Việt sẽ bị lỗi font. Hãy mở tệp bằng trình "
        'soạn thảo (ví dụ Notepad), chọn "Lưu thành" (Save As) với bảng mã UTF-8 rồi tải lên lại.'
    ),
    N_(
        "Tệp không dùng bảng mã UTF-8, nên tiếng Việt sẽ bị lỗi font. Hãy mở tệp bằng trình soạn thảo (ví dụ "
        'Notepad), chọn "Lưu thành" (Save As) với bảng mã UTF-8 rồi tải lên lại.'
    ),
)


def decode_text(content: bytes) -> str:
    """A plain-text file (Aiken, GIFT); Notepad's "Unicode" (UTF-16 with BOM) is read too."""
    return decode_utf8(content, advice=_TEXT_NOT_UTF8, utf16=True)


# --- text helpers shared by the formats --------------------------------------------------------------------

_KINDS = {
    "single": "single",
    "mot lua chon": "single",
    "1 lua chon": "single",
    "chon mot": "single",
    "mot dap an": "single",
    "multichoice": "single",
    "multiple": "multiple",
    "nhieu lua chon": "multiple",
    "chon nhieu": "multiple",
    "nhieu dap an": "multiple",
    "true false": "true_false",
    "dung sai": "true_false",
    "truefalse": "true_false",
    "true_false": "true_false",
}
_DIFFICULTIES = {
    "easy": "easy",
    "de": "easy",
    "medium": "medium",
    "trung binh": "medium",
    "tb": "medium",
    "vua": "medium",
    "hard": "hard",
    "kho": "hard",
}
KIND_LABELS = {"single": "Một lựa chọn", "multiple": "Nhiều lựa chọn", "true_false": "Đúng/Sai"}
DIFFICULTY_LABELS = {"easy": "Dễ", "medium": "Trung bình", "hard": "Khó"}
# Moodle XML has no difficulty; a tag "Mức độ: Khó" carries it there and back (Moodle keeps tags).
DIFFICULTY_TAG = "Mức độ: {label}"
_DIFFICULTY_TAG = re.compile(r"^(?:muc do|difficulty)\s*:\s*(.+)$")


def _key(value: str | None) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[/_\-]+", " ", fold(value or ""))).strip()


def kind_value(value: str | None) -> str | None:
    """ "Nhiều lựa chọn", "đúng/sai", "single"… to a QuestionKind; anything else as typed, for check_question
    to name."""
    if value is None or not value.strip():
        return None
    return _KINDS.get(_key(value), _KINDS.get(fold(value).replace(" ", ""), value))


def difficulty_value(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return _DIFFICULTIES.get(_key(value), value)


def split_difficulty_tag(tags: list[str]) -> tuple[str | None, list[str]]:
    """The difficulty carried by a "Mức độ: …" tag, and the other tags."""
    difficulty, rest = None, []
    for tag in tags:
        match = _DIFFICULTY_TAG.match(_key(tag).replace(" :", ":"))
        value = _DIFFICULTIES.get(match.group(1).strip()) if match else None
        if value is not None:
            difficulty = value
        else:
            rest.append(tag)
    return difficulty, rest


class _TextOfHtml(HTMLParser):
    """Line structure survives: blocks and <br> break lines, a table becomes one line per row with its
    cells joined by " | ", and <pre> keeps its own line breaks; elsewhere source white space is one space."""

    _BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "pre", "blockquote"}
    _CELLS = {"td", "th"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.images = 0
        self.pre = 0
        self.cells = 0  # cells seen in the current table row

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")
            if tag == "pre":
                self.pre += 1
            elif tag == "tr":
                self.cells = 0
        elif tag in self._CELLS:
            if self.cells:
                self.parts.append(" | ")
            self.cells += 1
        elif tag == "img":
            self.images += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")
            if tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.pre else _SOURCE_SPACE.sub(" ", data))


_SOURCE_SPACE = re.compile(r"\s+")


def html_to_text(value: str) -> tuple[str, int]:
    """Plain text of an HTML fragment (tags dropped, entities decoded) and how many images it showed."""
    parser = _TextOfHtml()
    parser.feed(value)
    parser.close()
    return "".join(parser.parts), parser.images
