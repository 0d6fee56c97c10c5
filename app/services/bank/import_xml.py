"""Moodle XML (<quiz><question type="…">…</question></quiz>), as Moodle's documentation describes it.

multichoice (single="true": one answer, the one with the top positive fraction; single="false": every answer
with a positive fraction is correct) and truefalse are read; <generalfeedback> becomes the explanation;
<category> entries are ignored (everything goes into the chosen topic); HTML is turned into plain text.
Other question types are listed as skipped with the reason.

The XML is read with expat directly, so that a DOCTYPE or an entity declaration (the "billion laughs" and
external-entity attacks) is refused before anything is expanded, and each question keeps its line number."""

from __future__ import annotations

import re
from typing import NoReturn
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from app.errors import N_
from app.services.bank.import_base import Draft, Parsed, decode_text, html_to_text, split_difficulty_tag
from app.services.kit.tables import FileProblem

_TYPE_NAMES = {
    "shortanswer": "trả lời ngắn (shortanswer)",
    "essay": "tự luận (essay)",
    "matching": "ghép đôi (matching)",
    "numerical": "trả lời bằng số (numerical)",
    "cloze": "điền khuyết (cloze)",
    "multianswer": "điền khuyết (cloze)",
    "description": "đoạn mô tả (description)",
    "calculated": "tính toán (calculated)",
    "calculatedsimple": "tính toán (calculatedsimple)",
    "calculatedmulti": "tính toán (calculatedmulti)",
    "ddwtos": "kéo thả vào văn bản (ddwtos)",
    "gapselect": "chọn từ còn thiếu (gapselect)",
    "randomsamatch": "ghép đôi ngẫu nhiên (randomsamatch)",
    "ordering": "sắp xếp thứ tự (ordering)",
}
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


class _Refused(Exception):
    pass


def _refuse(*_args: object) -> NoReturn:
    raise _Refused


def read_xml(content: bytes) -> tuple[Element, dict[int, int]]:
    """The root element, and the line of each <question> (keyed by id(element))."""
    declared = _DECLARED.match(content[:200])
    if declared is None or declared.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8"):
        if not content.startswith((b"\xff\xfe", b"\xfe\xff")):
            decode_text(content)  # a legacy code page without a declaration gets the clear encoding error
    builder = TreeBuilder()
    lines: dict[int, int] = {}
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = builder.start(tag, attrs)
        if tag == "question":
            lines[id(element)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(content, True)
    except _Refused:
        raise FileProblem(
            N_(
                "Tệp XML có khai báo DOCTYPE hoặc ENTITY. Vì an toàn, hệ thống không đọc các khai "
                "báo này; tệp Moodle XML xuất từ Moodle không có chúng. Hãy xoá khai báo đó hoặc xuất "
                "lại tệp từ Moodle."
            )
        ) from None
    except expat.ExpatError as exc:
        raise FileProblem(N_("Tệp XML bị lỗi ở dòng {line}: {reason}."), line=exc.lineno, reason=expat.ErrorString(exc.code)) from None
    except (ValueError, LookupError):  # an encoding expat does not know
        raise FileProblem(N_("Không đọc được bảng mã của tệp XML. Hãy lưu tệp với bảng mã UTF-8.")) from None
    return builder.close(), lines


def _text(element: Element | None, *, default_format: str = "html") -> tuple[str, int]:
    """The text of an element with a <text> child and a format attribute; (plain text, images shown)."""
    if element is None:
        return "", 0
    value = element.findtext("text") or ""
    fmt = (element.get("format") or default_format).lower()
    if fmt == "html" or (fmt != "plain_text" and _TAG.search(value)):
        return html_to_text(value)
    return value, 0


def _fraction(answer: Element) -> float:
    try:
        return float((answer.get("fraction") or "0").replace(",", "."))
    except ValueError:
        return 0.0


def parse_moodle_xml(content: bytes, parsed: Parsed) -> None:
    root, lines = read_xml(content)
    if root.tag != "quiz":
        raise FileProblem(N_("Tệp XML không phải dạng Moodle XML: thẻ gốc phải là <quiz>, tệp này có <{tag}>."), tag=root.tag)
    for question in root.iter("question"):
        draft = _question(lines.get(id(question), 0), question, parsed)
        if draft is not None:
            parsed.add(draft)


def _question(line: int, question: Element, parsed: Parsed) -> Draft | None:
    """One <question> as a draft; None for a category entry and for a question skipped or refused (reported)."""
    kind = (question.get("type") or "").strip().lower()
    if kind == "category":
        return None
    if kind not in ("multichoice", "truefalse"):
        parsed.skip(
            line,
            N_("Câu hỏi loại {kind} chưa được hỗ trợ (chỉ nhập multichoice và truefalse), bỏ qua."),
            kind=_TYPE_NAMES.get(kind, kind or "?"),
        )
        return None
    text, images = _text(question.find("questiontext"))
    if images or (question.findtext("image") or "").strip() or question.find("image_base64") is not None:
        # <image> is how Moodle 1.9 attached a picture to a question
        parsed.skip(line, N_("Câu hỏi có hình ảnh, hệ thống chưa hiển thị được hình trong câu hỏi, bỏ qua."))
        return None
    explanation, _images = _text(question.find("generalfeedback"))
    tags = [t.findtext("text") or "" for t in question.findall("tags/tag")]
    difficulty, tags = split_difficulty_tag(tags)
    answers = question.findall("answer")
    keyed = _true_false(line, answers, parsed) if kind == "truefalse" else _multichoice(line, question, answers, parsed)
    if keyed is None:
        return None
    draft_kind, options = keyed
    return Draft(line=line, kind=draft_kind, text=text, options=options, explanation=explanation, difficulty=difficulty, tags=tags)


def _true_false(line: int, answers: list[Element], parsed: Parsed) -> tuple[str, list[tuple[str | None, bool]]] | None:
    """The kind and options of a truefalse question, keyed by its "true" answer's fraction."""
    truth = next((_fraction(a) > 0 for a in answers if (a.findtext("text") or "").strip().lower() == "true"), None)
    if truth is None:
        parsed.error(line, "options", N_('Câu đúng/sai thiếu phương án "true".'))
        return None
    return "true_false", [("Đúng", truth), ("Sai", not truth)]


def _multichoice(line: int, question: Element, answers: list[Element], parsed: Parsed) -> tuple[str, list[tuple[str | None, bool]]] | None:
    """The kind and options of a multichoice question: single keys only the top fraction, several keys every
    positive one."""
    fractions = [_fraction(a) for a in answers]
    single = (question.findtext("single") or "true").strip().lower() in ("true", "1")
    top = max(fractions, default=0)
    draft_kind = "single" if single else "multiple"
    texts = [_text(a, default_format="moodle_auto_format") for a in answers]
    if any(shown for _t, shown in texts):
        parsed.skip(line, N_("Phương án có hình ảnh, hệ thống chưa hiển thị được hình trong phương án, bỏ qua."))
        return None
    options: list[tuple[str | None, bool]] = [(t, f > 0 and (not single or f >= top)) for (t, _n), f in zip(texts, fractions, strict=True)]
    if single and any(0 < f < top for f in fractions):
        parsed.note(line, N_("Câu có điểm từng phần: chỉ phương án điểm cao nhất được tính là đúng; phần điểm từng phần bị bỏ."))
    return draft_kind, options
