"""Moodle's two plain-text question formats, as their public documentation describes them.

Aiken: the question on one line, options "A. …" or "A) …" on the next lines, then "ANSWER: B".
GIFT: questions separated by blank lines, "// comments", "::title::", answers in braces: {=right ~wrong},
{~%50%right ~%50%right ~%-100%wrong} (several correct: checkboxes), {T}/{F}/{TRUE}/{FALSE}, "#feedback"
after an answer, "####general feedback", and the escapes \\~ \\= \\# \\{ \\} \\: \\\\ \\n. The other GIFT
kinds (short answer, numerical, matching, essay, description) are listed as skipped, with the reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import N_
from app.services.bank.import_base import Draft, Parsed, html_to_text

# --- Aiken -----------------------------------------------------------------------------------------------------

_AIKEN_OPTION = re.compile(r"^([A-Z])[.)]\s*(\S.*)$")  # "A) Text", and "A)Text" as files are often typed
_AIKEN_ANSWER = re.compile(r"^(?:ANSWER|ĐÁP ÁN)\s*:\s*(.*)$", re.IGNORECASE)


def looks_like_aiken(text: str) -> bool:
    return bool(re.search(r"^\s*ANSWER\s*:", text, re.IGNORECASE | re.MULTILINE))


def parse_aiken(text: str, parsed: Parsed) -> None:
    start = 0  # the line of the question being read; 0 = none
    question: list[str] = []
    options: list[tuple[str, str]] = []
    broken = False

    def reset() -> None:
        nonlocal start, question, options, broken
        start, question, options, broken = 0, [], [], False

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if start and options:
                parsed.error(start, "answer", N_('Câu hỏi thiếu dòng "ANSWER: …" ngay sau các phương án.'))
                reset()
            continue  # blank lines between questions, or between a question and its options
        answer = _AIKEN_ANSWER.match(line)
        if answer:
            if not start or not options:
                parsed.error(number, "answer", N_('Dòng "ANSWER: …" không đi sau một câu hỏi có phương án.'))
            elif not broken:
                _aiken_finish(start, number, " ".join(question), options, answer.group(1), parsed)
            reset()
            continue
        option = _AIKEN_OPTION.match(line)
        if not start:
            start, question = number, [line]
        elif option:
            expected = chr(ord("A") + len(options))
            if option.group(1) != expected:
                parsed.error(
                    number,
                    "options",
                    N_("Phương án {letter} không đúng thứ tự: ở đây cần phương án {expected}."),
                    letter=option.group(1),
                    expected=expected,
                )
                broken = True
            options.append((option.group(1), option.group(2)))
        elif not options:
            question.append(line)  # a question wrapped over several lines: kept, though Aiken wants one
        else:
            parsed.error(number, None, N_('Dòng này không phải phương án ("A. …" hoặc "A) …") cũng không phải dòng "ANSWER: …".'))
            broken = True
    if start:
        parsed.error(start, "answer", N_('Câu hỏi thiếu dòng "ANSWER: …" ngay sau các phương án.'))


def _aiken_finish(start: int, answer_line: int, question: str, options: list[tuple[str, str]], answer: str, parsed: Parsed) -> None:
    letters = [t.strip().rstrip(".)") for t in re.split(r"[,;\s]+", answer.strip().upper()) if t.strip()]
    known = {letter for letter, _ in options}
    bad = [t for t in letters if t not in known]
    if not letters or bad:
        parsed.error(
            answer_line,
            "answer",
            N_('Đáp án "{value}" không phải chữ cái của một phương án (A–{last}).'),
            value=answer.strip(),
            last=options[-1][0],
        )
        return
    parsed.add(
        Draft(
            line=start,
            kind="multiple" if len(set(letters)) > 1 else "single",
            text=question,
            options=[(t, letter in letters) for letter, t in options],
        )
    )


# --- GIFT ------------------------------------------------------------------------------------------------------

_ESCAPES = {
    "\\\\": "\ue000",
    "\\~": "\ue001",
    "\\=": "\ue002",
    "\\#": "\ue003",
    "\\{": "\ue004",
    "\\}": "\ue005",
    "\\:": "\ue006",
    "\\n": "\n",
}
_RESTORE = str.maketrans({"\ue000": "\\", "\ue001": "~", "\ue002": "=", "\ue003": "#", "\ue004": "{", "\ue005": "}", "\ue006": ":"})
_ESCAPE = re.compile(r"\\[\\~=#{}:n]")
_TITLE = re.compile(r"^::(.*?)::", re.DOTALL)
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_TRUE_FALSE = re.compile(r"^(TRUE|FALSE|T|F)\s*(#.*)?$", re.IGNORECASE | re.DOTALL)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:[.,]\d+)?)%")
_MEDIA = re.compile(r"<\s*(img|audio|video|source|object|embed)\b|@@PLUGINFILE@@", re.IGNORECASE)


def _blocks(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each question: blank lines separate questions (as in Moodle's reader, so an
    unclosed brace is reported on its own question instead of swallowing the rest); comments are dropped."""
    out: list[tuple[int, str]] = []
    lines: list[str]
    start, lines = 0, []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.lstrip().startswith("//"):
            continue
        if not raw.strip():
            if lines:
                out.append((start, "\n".join(lines)))
            start, lines = 0, []
            continue
        if not lines:
            start = number
        lines.append(raw)
    if lines:
        out.append((start, "\n".join(lines)))
    return out


def parse_gift(text: str, parsed: Parsed) -> None:
    for line, block in _blocks(text):
        _gift_question(line, _ESCAPE.sub(lambda m: _ESCAPES[m.group()], block).strip(), parsed)


def _plain(value: str, is_html: bool) -> str:
    value = _FORMAT.sub("", value, count=1).translate(_RESTORE)  # a marker may open an answer too: "=[plain]…"
    return html_to_text(value)[0] if is_html else value


def _gift_question(line: int, body: str, parsed: Parsed) -> None:
    if body.upper().startswith("$CATEGORY:"):
        return  # where Moodle files the questions: the import goes into the chosen topic instead
    body, is_html = _gift_header(body)
    split = _gift_split(line, body, parsed)
    if split is None:
        return
    before, answers, after = split
    # The missing-word form: "Nghị quyết có {~hai =ba} khâu đột phá." shows a blank where the answers were.
    question = f"{before} _____ {after}" if after else before
    question = _plain(question, is_html)
    general = ""
    if "####" in answers:
        answers, general = answers.split("####", 1)
        answers = answers.strip()
    general = _plain(general, is_html)
    if not answers:
        parsed.skip(line, N_("Câu tự luận (essay) chưa được hỗ trợ, bỏ qua."))
        return
    if answers.startswith("#"):
        parsed.skip(line, N_("Câu trả lời bằng số (numerical) chưa được hỗ trợ, bỏ qua."))
        return
    true_false = _TRUE_FALSE.match(answers)
    if true_false:
        _gift_true_false(line, true_false, question, general, is_html, parsed)
    else:
        _gift_choice(line, answers, question, general, is_html, parsed)


def _gift_header(body: str) -> tuple[str, bool]:
    """The question without its "::title::" and "[format]" marker, and whether that format is HTML."""
    title = _TITLE.match(body)
    if title:
        body = body[title.end() :].lstrip()
    fmt = _FORMAT.match(body)
    is_html = fmt is not None and fmt.group(1).lower() == "html"
    if fmt:
        body = body[fmt.end() :]
    return body, is_html


def _gift_split(line: int, body: str, parsed: Parsed) -> tuple[str, str, str] | None:
    """The text before the braces, the answers inside and the text after; None (reported) when the question
    has no answers, an unclosed brace, media, or several answer parts."""
    opening = body.find("{")
    if opening < 0:
        parsed.skip(line, N_("Đoạn mô tả (không có phần trả lời trong ngoặc nhọn): không phải câu hỏi, bỏ qua."))
        return None
    closing = body.find("}", opening)
    if closing < 0:
        parsed.error(line, None, N_("Thiếu dấu ngoặc nhọn đóng phần trả lời."))
        return None
    before, answers, after = body[:opening].strip(), body[opening + 1 : closing].strip(), body[closing + 1 :].strip()
    if _MEDIA.search(body):
        parsed.skip(line, N_("Câu hỏi có hình ảnh hoặc âm thanh, hệ thống chưa hiển thị được, bỏ qua."))
        return None
    if "{" in after:
        parsed.skip(line, N_("Câu có nhiều phần trả lời (dạng cloze) chưa được hỗ trợ, bỏ qua."))
        return None
    return before, answers, after


def _gift_true_false(line: int, true_false: re.Match[str], question: str, general: str, is_html: bool, parsed: Parsed) -> None:
    truth = true_false.group(1).upper().startswith("T")
    # {TRUE#feedback for a wrong answer#feedback for the right one}
    feedback = [_plain(f, is_html) for f in (true_false.group(2) or "").split("#")[1:]]
    explanation = general or next((f for f in reversed(feedback) if f.strip()), "")
    parsed.add(Draft(line=line, kind="true_false", text=question, options=[("Đúng", truth), ("Sai", not truth)], explanation=explanation))


def _gift_choice(line: int, answers: str, question: str, general: str, is_html: bool, parsed: Parsed) -> None:
    parts = re.split(r"(?=[=~])", answers)
    if parts[0].strip():
        parsed.error(
            line,
            "options",
            N_('Mỗi phương án phải bắt đầu bằng "=" (đúng) hoặc "~" (sai); gặp "{value}".'),
            value=_plain(parts[0].strip(), False)[:60],
        )
        return
    choices = _gift_answers(line, parts[1:], is_html, parsed)
    if choices is None:
        return
    if not any(a.mark == "~" for a in choices):
        parsed.skip(line, N_("Câu trả lời ngắn (short answer) chưa được hỗ trợ, bỏ qua."))
        return
    # With an "=" answer the question is single choice (as in Moodle): "=" is the full credit, "~%50%…" a
    # partial credit hoithi does not give, so only the "=" answer is keyed and the report says so.
    single = any(a.mark == "=" for a in choices)
    # "=%75%…" is partial credit as well: only an unweighted (or 100 %) "=" is the right answer
    if single and any(a.weight is not None and 0 < a.weight < 100 for a in choices):
        parsed.note(line, N_('Câu có điểm từng phần (~%n%): chỉ phương án "=" được tính là đúng; phần điểm từng phần bị bỏ.'))
    options: list[tuple[str | None, bool]] = [(a.text, a.correct(single)) for a in choices]
    kind = _gift_kind(choices, single)
    if not general and kind == "single":
        general = next((a.feedback for a, (_t, c) in zip(choices, options, strict=True) if c and a.feedback.strip()), "")
    parsed.add(Draft(line=line, kind=kind, text=question, options=options, explanation=general))


def _gift_kind(choices: list[_Answer], single: bool) -> str:
    """Several correct answers (checkboxes): no "=" answer, and a "~" answer of positive weight."""
    return "multiple" if not single and any(a.mark == "~" and a.positive for a in choices) else "single"


@dataclass
class _Answer:
    mark: str  # "=" or "~"
    weight: float | None  # percent, when given
    text: str
    feedback: str

    @property
    def positive(self) -> bool:
        return self.weight is not None and self.weight > 0

    def correct(self, single: bool) -> bool:
        """Keyed as right: an unweighted (or 100 %) "=", or, without any "=", any answer of positive weight."""
        return (self.mark == "=" and (self.weight is None or self.weight >= 100)) or (not single and self.positive)


def _gift_answers(line: int, parts: list[str], is_html: bool, parsed: Parsed) -> list[_Answer] | None:
    """The answers in plain text; None (reported) for a matching question."""
    out: list[_Answer] = []
    for part in parts:
        mark, rest = part[0], part[1:]
        weight = _WEIGHT.match(rest)
        value = float(weight.group(1).replace(",", ".")) if weight else None
        if weight:
            rest = rest[weight.end() :]
        text, _sep, feedback = rest.partition("#")
        if "->" in text:
            parsed.skip(line, N_("Câu ghép đôi (matching) chưa được hỗ trợ, bỏ qua."))
            return None
        out.append(_Answer(mark, value, _plain(text, is_html), _plain(feedback, is_html)))
    return out
