"""The member list as a file: its columns, reading rows out of .xlsx/.csv, and the blank templates.

The checks against the database and the writing are in app.services.org.member_import."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.errors import N_
from app.i18n import translate
from app.services.kit.tables import (
    MAX_BYTES,
    MAX_ROWS,
    FileProblem,
    add_guide_sheet,
    cell_date,
    cell_text,
    column_letter,
    header_key,
    legacy_problem,
    map_header,
    read_table,
)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    aliases: tuple[str, ...]
    sample: str
    guide: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "full_name",
        "Họ và tên",
        True,
        ("ho ten", "full name", "fullname", "name"),
        "Nguyễn Thị Ánh",
        "Họ và tên đầy đủ, có dấu, tối đa 120 ký tự.",
    ),
    Column(
        "phone",
        "Số điện thoại",
        True,
        ("dien thoai", "sdt", "so dt", "phone", "phone number"),
        "0912345678",
        "10 chữ số, bắt đầu bằng 0 (có thể ghi +84). Dùng làm tên đăng nhập, không trùng với người khác.",
    ),
    Column(
        "member_code",
        "Mã hội viên",
        True,
        ("ma dang vien", "ma doan vien", "member code"),
        "HV00001",
        "Mã hội viên/đảng viên/đoàn viên: chữ không dấu, số, dấu chấm, gạch ngang; không trùng với người khác. "
        "Cũng dùng được làm tên đăng nhập.",
    ),
    Column(
        "birth_date",
        "Ngày sinh",
        False,
        ("ngay thang nam sinh", "birth date", "birthdate", "dob"),
        "15/05/1990",
        "Không bắt buộc. Ghi theo dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 15/05/1990.",
    ),
    Column(
        "unit_code",
        "Mã đơn vị",
        True,
        ("unit code", "unit"),
        "CB001",
        "Mã của chi bộ/chi đoàn/đơn vị mà người này sinh hoạt; đơn vị phải có sẵn và thuộc phạm vi bạn quản lý.",
    ),
    Column(
        "id_number",
        "Số CCCD",
        False,
        ("cccd", "so cmnd", "cmnd", "so cccd cmnd", "id number"),
        "001090012345",
        "Không bắt buộc. Căn cước công dân 12 chữ số (CMND cũ: 9 chữ số). Chỉ lưu dạng mã hoá, hiển thị che bớt.",
    ),
    Column(
        "password",
        "Mật khẩu ban đầu",
        False,
        ("mat khau", "password", "initial password"),
        "",
        "Không bắt buộc. Ít nhất 8 ký tự, khác số điện thoại. Bỏ trống thì dùng mật khẩu ban đầu chung nhập khi "
        "tải tệp lên. Người dùng phải đổi mật khẩu ở lần đăng nhập đầu. Không thay đổi mật khẩu của tài khoản "
        "đã có.",
    ),
)
FIELD_ORDER = {c.field: i for i, c in enumerate(COLUMNS)}
_IGNORED_HEADERS = {"stt", "tt", "no", "#"}  # a running number column is in nearly every Vietnamese list
SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE][+]?\d+$")


@dataclass
class RawRow:
    """One data row as read from the file: text cells, or a date for a real Excel date cell."""

    row: int
    full_name: str | None = None
    phone: str | None = None
    member_code: str | None = None
    birth_date: str | date | None = None
    unit_code: str | None = None
    id_number: str | None = None
    password: str | None = None


def row_error(row: int, fld: str | None, message: str, locale: str, /, **params: Any) -> dict[str, Any]:
    return {"row": row, "field": fld, "message": translate(message, locale, **params)}


# --- reading -------------------------------------------------------------------------------------------------


def parse(content: bytes, filename: str, *, locale: str = "vi", legacy: str | None = None) -> tuple[list[RawRow], list[dict[str, Any]]]:
    """The data rows and the file-level errors (row 0); when there are file-level errors there are no rows.
    `legacy`: the organiser says the file is in that legacy code ("tcvn3", "vni"): its text becomes Unicode."""
    try:
        table = read_table(content, filename, legacy=legacy)
    except FileProblem as exc:
        return [], [_file_error(exc, None, locale)]
    fields, problems = map_header(table.header, columns=COLUMNS, ignored=_IGNORED_HEADERS)
    errors = [row_error(0, p.field, p.message, locale, **p.params) for p in problems]
    if errors:
        return [], errors
    named = [bool(header_key(h)) for h in table.header]
    rows: list[RawRow] = []
    for number, cells in table.rows:
        raw = RawRow(row=number)
        for index, cell in enumerate(cells):
            fld = fields[index] if index < len(fields) else None
            if fld is not None:
                setattr(raw, fld, _cell_value(fld, cell))
            elif (index >= len(named) or not named[index]) and cell is not None and str(cell).strip():
                errors.append(
                    row_error(
                        number, None, N_("Ô ở cột {column} có dữ liệu nhưng cột không có tiêu đề."), locale, column=column_letter(index)
                    )
                )
        rows.append(raw)
    if errors:
        return [], errors
    if not rows:
        return [], [row_error(0, None, N_("Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào."), locale)]
    garbled = None if legacy else legacy_problem([r.full_name or "" for r in rows[:2000]])
    if garbled is not None:
        return [], [_file_error(garbled, "full_name", locale)]
    return rows, []


def _file_error(problem: FileProblem, fld: str | None, locale: str) -> dict[str, Any]:
    error = row_error(0, fld, problem.message, locale, **problem.params)
    if problem.params.get("code"):  # the legacy code the file seems to be in, so a page can offer it
        error["legacy"] = problem.params["code"]
    return error


def _cell_value(fld: str, cell: Any) -> str | date | None:
    if fld == "birth_date":
        return cell_date(cell)
    value = cell_text(cell)
    if fld == "id_number" and isinstance(cell, int | float) and value is not None and value.isdigit():
        # Every CCCD starts with a 0xx province code, which a number cell drops (CMND: 0 + 8 digits).
        if len(value) in (10, 11):
            return value.zfill(12)
        if len(value) == 8:
            return value.zfill(9)
    return value


# --- templates -----------------------------------------------------------------------------------------------

_TEXT_FIELDS = {"phone", "member_code", "birth_date", "unit_code", "id_number", "password"}


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet, the active one
    sheet.title = "Danh sách"
    sheet.append([c.header for c in COLUMNS])
    sheet.append([c.sample or None for c in COLUMNS])
    bold = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = bold
        sheet.column_dimensions[letter].width = max(16, len(column.header) + 4)
        if column.field in _TEXT_FIELDS:
            # Text, so Excel keeps leading zeros (0912…, 001…) and does not turn 05/06 into a US date.
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
    sheet.column_dimensions["A"].width = 28
    sheet.freeze_panes = "A2"

    add_guide_sheet(
        workbook,
        [(c.header, c.required, c.guide) for c in COLUMNS],
        [
            "Dòng 1 là tiêu đề, giữ nguyên tên cột. Mỗi dòng tiếp theo là một người; dòng trống được bỏ qua.",
            'Dòng mẫu ở trang "Danh sách" cần xoá hoặc sửa trước khi tải lên.',
            "Người đã có (trùng số điện thoại hoặc mã hội viên) được cập nhật họ tên, ngày sinh, đơn vị, CCCD; mật khẩu của họ giữ nguyên.",
            "Tệp có lỗi thì không ghi dòng nào: hệ thống liệt kê mọi lỗi kèm số dòng để sửa rồi tải lên lại.",
            f"Tối đa {MAX_ROWS:,} dòng và {MAX_BYTES // (1024 * 1024)} MB mỗi tệp.".replace(",", "."),
            'Nếu lưu thành CSV, chọn kiểu "CSV UTF-8 (*.csv)" để giữ tiếng Việt có dấu.',
        ],
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS])
    writer.writerow([c.sample for c in COLUMNS])
    # The BOM is what makes Excel read the file as UTF-8 (Vietnamese letters intact).
    return buffer.getvalue().encode("utf-8-sig")
