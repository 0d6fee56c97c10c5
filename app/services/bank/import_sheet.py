"""The question bank as a spreadsheet (.xlsx/.csv): its columns, reading rows into drafts, the blank
templates, and the rows the XLSX export writes (the same columns, so an export imports back as is)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from app.errors import N_
from app.services.bank.import_base import (
    DIFFICULTY_LABELS,
    KIND_LABELS,
    Draft,
    Parsed,
    difficulty_value,
    kind_value,
)
from app.services.kit.tables import MAX_BYTES, FileProblem, add_guide_sheet, cell_text, column_letter, header_key, map_header, read_table
from app.services.kit.text import clean, fold

LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    aliases: tuple[str, ...]
    guide: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "kind",
        "Loại",
        False,
        ("loai cau hoi", "kieu", "kind", "type"),
        "Một lựa chọn, Nhiều lựa chọn hoặc Đúng/Sai (cũng nhận single, multiple, true_false). Bỏ trống: một "
        "lựa chọn, hoặc nhiều lựa chọn nếu có từ hai đáp án đúng.",
    ),
    Column("text", "Câu hỏi", True, ("noi dung", "noi dung cau hoi", "question", "text"), "Nội dung câu hỏi, tối đa 4.000 ký tự."),
    *(
        Column(
            f"option_{letter}",
            f"Phương án {letter}",
            False,
            (f"option {letter}", f"lua chon {letter}", f"dap an {letter}", letter),
            "Từ 2 đến 8 phương án (A đến H), mỗi phương án một ô; bỏ trống các cột không dùng. Câu đúng/sai có "
            "thể bỏ trống: hệ thống dùng A = Đúng, B = Sai."
            if letter == "A"
            else "",
        )
        for letter in LETTERS
    ),
    Column(
        "answer",
        "Đáp án đúng",
        True,
        ("dap an", "answer", "correct", "correct answer"),
        "Chữ cái của phương án đúng, ví dụ B; câu nhiều lựa chọn ghi các chữ cái cách nhau bởi dấu phẩy, ví dụ "
        "A,C. Câu đúng/sai ghi Đúng hoặc Sai (hoặc A/B).",
    ),
    Column(
        "explanation",
        "Giải thích",
        False,
        ("giai thich dap an", "dap an giai thich", "explanation"),
        "Không bắt buộc. Giải thích đáp án, hiện cho người thi sau khi trả lời (khi thể lệ cho phép).",
    ),
    Column(
        "difficulty",
        "Mức độ",
        False,
        ("do kho", "muc do kho", "difficulty"),
        "Dễ, Trung bình hoặc Khó (cũng nhận easy, medium, hard). Bỏ trống: Trung bình.",
    ),
    Column(
        "source_ref",
        "Nguồn",
        False,
        ("nguon trich dan", "trich dan", "source", "source ref"),
        "Không bắt buộc. Câu hỏi lấy từ phần nào của Nghị quyết, tối đa 300 ký tự.",
    ),
    Column("tags", "Nhãn", False, ("the", "tags", "tag"), "Không bắt buộc. Các nhãn cách nhau bởi dấu phẩy, mỗi nhãn tối đa 40 ký tự."),
)
FIELD_ORDER = {c.field: i for i, c in enumerate(COLUMNS)}
# How a report names the field of an error: the template's own column headers (Vietnamese source strings).
HEADERS = {**{c.field: c.header for c in COLUMNS}, "options": N_("Phương án"), "file": N_("Tệp"), "format": N_("Định dạng tệp")}
_IGNORED_HEADERS = {"stt", "tt", "no", "#", "id", "ma cau hoi"}
_TRUE = {"dung", "true", "t", "d", "đ", "co"}
_FALSE = {"sai", "false", "f", "s", "khong"}


def sheet_row(
    *,
    kind: str,
    text: str,
    options: list[tuple[str, bool]],
    explanation: str = "",
    difficulty: str = "medium",
    source_ref: str = "",
    tags: list[str] | None = None,
) -> list[Any]:
    """One question as the cells of the template's columns (used by the templates and the export)."""
    cells = [""] * len(COLUMNS)
    cells[FIELD_ORDER["kind"]] = KIND_LABELS.get(kind, kind)
    cells[FIELD_ORDER["text"]] = text
    for letter, (option, _correct) in zip(LETTERS, options, strict=False):
        cells[FIELD_ORDER[f"option_{letter}"]] = option
    cells[FIELD_ORDER["answer"]] = ",".join(letter for letter, (_t, c) in zip(LETTERS, options, strict=False) if c)
    cells[FIELD_ORDER["explanation"]] = explanation
    cells[FIELD_ORDER["difficulty"]] = DIFFICULTY_LABELS.get(difficulty, difficulty)
    cells[FIELD_ORDER["source_ref"]] = source_ref
    cells[FIELD_ORDER["tags"]] = ", ".join(tags or [])
    return cells


SAMPLES = (
    sheet_row(
        kind="single",
        text="Nghị quyết xác định mấy khâu đột phá?",
        options=[("Hai", False), ("Ba", True), ("Bốn", False), ("Năm", False)],
        explanation="Nghị quyết nêu ba khâu đột phá chiến lược.",
        difficulty="easy",
        source_ref="Phần II, mục 3",
        tags=["đột phá"],
    ),
    sheet_row(
        kind="multiple",
        text="Những nội dung nào thuộc chương trình chỉnh trang đô thị?",
        options=[("Cải tạo vỉa hè", True), ("Chiếu sáng công cộng", True), ("Tăng thuế đất", False)],
        difficulty="medium",
        tags=["đô thị", "văn minh đô thị"],
    ),
    sheet_row(
        kind="true_false",
        text="Dịch vụ công trực tuyến mức độ 4 cho phép nộp hồ sơ và nhận kết quả trực tuyến.",
        options=[("Đúng", True), ("Sai", False)],
        difficulty="hard",
        tags=["cải cách hành chính"],
    ),
)


# --- reading ---------------------------------------------------------------------------------------------------


def parse(content: bytes, filename: str, parsed: Parsed) -> None:
    """Every data row into a draft; header problems are row 0 and stop the reading."""
    table = read_table(content, filename, legacy=parsed.legacy)
    fields, problems = map_header(table.header, columns=COLUMNS, ignored=_IGNORED_HEADERS)
    for problem in problems:
        parsed.error(0, problem.field, problem.message, **problem.params)
    if parsed.errors:
        return
    named = [bool(header_key(h)) for h in table.header]
    for number, cells in table.rows:
        values: dict[str, str | None] = {}
        for index, cell in enumerate(cells):
            fld = fields[index] if index < len(fields) else None
            if fld is not None:
                values[fld] = cell_text(cell)
            elif (index >= len(named) or not named[index]) and cell is not None and str(cell).strip():
                parsed.error(number, None, N_("Ô ở cột {column} có dữ liệu nhưng cột không có tiêu đề."), column=column_letter(index))
        draft = _draft(number, values, parsed)
        if draft is not None:
            parsed.add(draft)
    if not table.rows:
        parsed.error(0, None, N_("Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào."))


def _draft(row: int, values: dict[str, str | None], parsed: Parsed) -> Draft | None:
    kind = kind_value(values.get("kind"))
    options = [(letter, clean(values.get(f"option_{letter}"))) for letter in LETTERS]
    given = [(letter, text) for letter, text in options if text]
    answer = clean(values.get("answer"))
    if not answer:
        parsed.error(row, "answer", N_("Thiếu đáp án đúng."))
        return None
    kind, given, answer = _true_false(kind, given, answer)
    letters = _answer_letters(row, answer, given, parsed)
    if letters is None:
        return None
    if kind is None and len(letters) > 1:
        kind = "multiple"
    tags = [t for t in (values.get("tags") or "").split(",")]
    return Draft(
        line=row,
        kind=kind,
        text=values.get("text"),
        options=[(text, letter in letters) for letter, text in given],
        explanation=values.get("explanation"),
        difficulty=difficulty_value(values.get("difficulty")),
        source_ref=values.get("source_ref"),
        tags=tags,
    )


def _true_false(kind: str | None, given: list[tuple[str, str]], answer: str) -> tuple[str | None, list[tuple[str, str]], str]:
    """A true/false row, said so or told by an answer of Đúng/Sai without option cells, gets its two options
    and the answer word as its letter; any other row is returned as it is."""
    if not (kind == "true_false" or (kind is None and not given and fold(answer) in _TRUE | _FALSE)):
        return kind, given, answer
    if not given:  # the usual true/false row: no option cells, the answer says Đúng or Sai
        given = [("A", "Đúng"), ("B", "Sai")]
    word = fold(answer)
    if word in _TRUE:
        answer = "A"
    elif word in _FALSE:
        answer = "B"
    return "true_false", given, answer


def _answer_letters(row: int, answer: str, given: list[tuple[str, str]], parsed: Parsed) -> set[str] | None:
    """The letters of the correct options, each naming a filled option cell; None (reported) otherwise."""
    letters = _letters(answer)
    if letters is None:
        parsed.error(
            row,
            "answer",
            N_('Đáp án đúng "{value}" không đọc được: ghi chữ cái của phương án đúng, ví dụ B, hoặc A,C với câu nhiều lựa chọn.'),
            value=answer,
        )
        return None
    present = {letter for letter, _ in given}
    empty = [letter for letter in letters if letter not in present]
    if empty:
        parsed.error(row, "answer", N_("Đáp án đúng ghi phương án {letters} nhưng ô của phương án đó để trống."), letters=", ".join(empty))
        return None
    return letters


def _letters(answer: str) -> set[str] | None:
    out: set[str] = set()
    for token in re.split(r"[,;\s/+&]+", answer.upper()):
        if not token:
            continue
        token = token.rstrip(".)")
        if not token or any(ch not in LETTERS for ch in token):
            return None
        out.update(token)  # "AC" as well as "A,C"
    return out or None


# --- templates ---------------------------------------------------------------------------------------------------


def workbook_bytes(rows: list[list[Any]], *, sheet_title: str = "Câu hỏi", guide: bool = True) -> bytes:
    """The template's layout with these data rows: bold frozen header, wrapped text, a guide sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet, the active one
    sheet.title = sheet_title[:31]
    sheet.append([c.header for c in COLUMNS])
    bold = Font(bold=True)
    for index, column in enumerate(COLUMNS):
        sheet.cell(row=1, column=index + 1).font = bold
        width = 60 if column.field == "text" else 40 if column.field == "explanation" else 20
        sheet.column_dimensions[column_letter(index)].width = width
    # Answer letters and the like are text: Excel must not read "A,C" or a numeric option as anything else.
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # an option "=5" is text, never a formula
    sheet.freeze_panes = "C2"
    if guide:
        _guide(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _guide(workbook: Any) -> None:
    rows = [("Phương án A … H" if c.field == "option_A" else c.header, c.required, c.guide) for c in COLUMNS if c.guide]
    add_guide_sheet(
        workbook,
        rows,
        [
            "Dòng 1 là tiêu đề, giữ nguyên tên cột. Mỗi dòng tiếp theo là một câu hỏi; dòng trống được bỏ qua.",
            'Các dòng mẫu ở trang "Câu hỏi" cần xoá hoặc sửa trước khi tải lên.',
            "Tệp có lỗi thì không ghi câu nào: hệ thống liệt kê mọi lỗi kèm số dòng để sửa rồi tải lên lại.",
            f"Tối đa {MAX_BYTES // (1024 * 1024)} MB mỗi tệp.",
            'Nếu lưu thành CSV, chọn kiểu "CSV UTF-8 (*.csv)" để giữ tiếng Việt có dấu.',
            "Cũng nhập được tệp Aiken (.txt), GIFT (.gift) và Moodle XML (.xml) của Moodle.",
        ],
    )


def template_xlsx() -> bytes:
    return workbook_bytes([list(r) for r in SAMPLES])


def template_csv() -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS])
    writer.writerows(SAMPLES)
    # The BOM is what makes Excel read the file as UTF-8 (Vietnamese letters intact).
    return buffer.getvalue().encode("utf-8-sig")


__all__ = ["COLUMNS", "FileProblem", "LETTERS", "SAMPLES", "parse", "sheet_row", "template_csv", "template_xlsx", "workbook_bytes"]
