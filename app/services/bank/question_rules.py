"""A question's rules, the one place they live: forms, the API and every importer call check_question, which
normalises a question (NFC, trimmed) and lists every problem of it, field by field. And how its tags are
kept in their column."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import N_
from app.models.bank import Difficulty, QuestionKind
from app.services.kit.text import clean, clean_lines, fold
from app.services.org.members import FieldError

MIN_OPTIONS, MAX_OPTIONS = 2, 8
MAX_TEXT = 4000
TRUE_FALSE = ("Đúng", "Sai")


@dataclass
class CleanQuestion:
    kind: str
    text: str
    options: list[tuple[str, bool]]
    explanation: str = ""
    difficulty: str = Difficulty.medium
    source_ref: str = ""
    tags: list[str] = field(default_factory=list)


def check_question(
    *,
    kind: str | None,
    text: str | None,
    options: list[tuple[str | None, bool]],
    explanation: str | None = "",
    difficulty: str | None = Difficulty.medium,
    source_ref: str | None = "",
    tags: list[str] | None = None,
) -> tuple[CleanQuestion, list[FieldError]]:
    """Normalise (NFC, trimmed) and list every problem of one question, field by field."""
    # the problems are listed in this order (callers that show one show the first), so the checks keep it
    errors: list[FieldError] = []
    kind_n = _check_kind(kind, errors)
    text_n = _check_text(text, errors)
    opts = [(clean(t), bool(c)) for t, c in options]
    if kind_n == QuestionKind.true_false and not opts:
        opts = [(TRUE_FALSE[0], False), (TRUE_FALSE[1], False)]
    _check_option_texts(opts, errors)
    _check_keys(kind_n, opts, errors)
    diff = _check_difficulty(difficulty, errors)
    tag_list = _check_tags(tags, errors)
    source = clean(source_ref)
    if len(source) > 300:
        errors.append(FieldError("source_ref", N_("Nguồn trích dẫn dài quá 300 ký tự."), {}))
    return CleanQuestion(kind_n, text_n, opts, clean_lines(explanation), diff, source, list(dict.fromkeys(tag_list))), errors


def _check_kind(kind: str | None, errors: list[FieldError]) -> str:
    kind_n = clean(kind).lower() or QuestionKind.single
    if kind_n not in set(QuestionKind):
        errors.append(
            FieldError(
                "kind",
                N_("Loại câu hỏi {value} không có (Một lựa chọn, Nhiều lựa chọn, Đúng/Sai; trong API: single, multiple, true_false)."),
                {"value": kind_n},
            )
        )
    return kind_n


def _check_text(text: str | None, errors: list[FieldError]) -> str:
    text_n = clean_lines(text)
    if not text_n:
        errors.append(FieldError("text", N_("Thiếu nội dung câu hỏi."), {}))
    elif len(text_n) > MAX_TEXT:
        errors.append(FieldError("text", N_("Nội dung câu hỏi dài quá {n} ký tự."), {"n": MAX_TEXT}))
    return text_n


def _check_option_texts(opts: list[tuple[str, bool]], errors: list[FieldError]) -> None:
    """Every option has a text, there are MIN_OPTIONS to MAX_OPTIONS of them, and no two read the same."""
    if any(not t for t, _ in opts):
        errors.append(FieldError("options", N_("Có phương án để trống."), {}))
    if not MIN_OPTIONS <= len(opts) <= MAX_OPTIONS:
        errors.append(FieldError("options", N_("Câu hỏi cần từ {min} đến {max} phương án."), {"min": MIN_OPTIONS, "max": MAX_OPTIONS}))
    folded = [fold(t) for t, _ in opts if t]
    if len(set(folded)) != len(folded):
        errors.append(FieldError("options", N_("Có hai phương án giống nhau."), {}))


def _check_keys(kind_n: str, opts: list[tuple[str, bool]], errors: list[FieldError]) -> None:
    """How many options are correct, by kind: exactly one (single, true/false of two options), at least one (multiple)."""
    n_correct = sum(1 for _, c in opts if c)
    if kind_n == QuestionKind.true_false and len(opts) != 2:
        errors.append(FieldError("options", N_("Câu đúng/sai có đúng hai phương án."), {}))
    if kind_n in (QuestionKind.single, QuestionKind.true_false) and n_correct != 1:
        errors.append(FieldError("options", N_("Câu một lựa chọn cần đúng một đáp án đúng (đang có {n})."), {"n": n_correct}))
    if kind_n == QuestionKind.multiple and n_correct < 1:
        errors.append(FieldError("options", N_("Câu nhiều lựa chọn cần ít nhất một đáp án đúng."), {}))


def _check_difficulty(difficulty: str | None, errors: list[FieldError]) -> str:
    diff = clean(difficulty).lower() or Difficulty.medium
    if diff not in set(Difficulty):
        errors.append(
            FieldError("difficulty", N_("Mức độ {value} không có (Dễ, Trung bình, Khó; trong API: easy, medium, hard)."), {"value": diff})
        )
    return diff


def _check_tags(tags: list[str] | None, errors: list[FieldError]) -> list[str]:
    tag_list = [clean(t) for t in (tags or []) if clean(t)]
    if any("," in t or len(t) > 40 for t in tag_list):
        errors.append(FieldError("tags", N_("Mỗi nhãn tối đa 40 ký tự và không chứa dấu phẩy."), {}))
    return tag_list


def tags_column(tags: list[str]) -> str:
    return "," + ",".join(tags) + "," if tags else ""


def tags_list(column: str) -> list[str]:
    return [t for t in column.split(",") if t]
