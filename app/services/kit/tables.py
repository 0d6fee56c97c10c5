"""Reading the spreadsheets people upload: .xlsx or .csv, into rows of cells with their row numbers.

Shared by every importer, so that each one only maps columns to its own fields. Row numbers are the
ones Excel shows (header = 1), because that is where the organiser goes to fix a cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from app.errors import N_
from app.services.kit.legacy_text import CODES, convert, detect, legacy_bytes, sample_pairs, whole
from app.services.kit.text import clean, fold

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# What a file may make us read, empty rows included: a small file of empty rows is slow to read
# (docs/performance.md#imports).
MAX_SCANNED_ROWS = 2 * MAX_ROWS
MAX_COLUMNS = 64
_ZIP_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", ";", "\t")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")


class FileProblem(Exception):
    """The file as a whole cannot be read (a msgid and its params); no row is looked at."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


@dataclass
class Table:
    header: list[Any]
    header_row: int
    # (spreadsheet row number, cells); empty rows are already left out.
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def read_table(content: bytes, filename: str, *, max_rows: int | None = None, legacy: str | None = None) -> Table:
    """The first non-empty row is the header. Raises FileProblem. `legacy`: the text is in that legacy code
    ("tcvn3" or "vni", legacy_text.CODES), as the organiser said: it is turned into Unicode cell by cell."""
    max_rows = max_rows or MAX_ROWS
    if len(content) > MAX_BYTES:
        raise FileProblem(N_("Tệp lớn quá {max_mb} MB. Hãy chia danh sách thành nhiều tệp nhỏ hơn."), max_mb=MAX_BYTES // (1024 * 1024))
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".xls":
        raise FileProblem(
            N_(
                "Tệp .xls (Excel 97–2003) chưa được hỗ trợ. Hãy mở tệp bằng Excel, chọn "
                '"Lưu thành" (Save As) kiểu "Excel Workbook (*.xlsx)" rồi tải lên lại.'
            )
        )
    if suffix not in (".xlsx", ".xlsm", ".csv"):
        raise FileProblem(N_("Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)."))
    if not content.strip():
        raise FileProblem(N_("Tệp trống."))
    # An .xlsx renamed to .csv (or the other way round) is read for what it is.
    if content.startswith(_ZIP_MAGIC):
        rows = _xlsx_rows(content)
        if legacy:  # a sheet's cells, one by one
            rows = ((n, [convert(c, legacy) if isinstance(c, str) else c for c in cells]) for n, cells in rows)
    else:  # a text file, converted as a whole before it is read
        rows = _csv_rows(from_legacy(content, legacy) if legacy else content)
    table: Table | None = None
    for number, cells in rows:
        if number > MAX_SCANNED_ROWS:
            raise FileProblem(
                N_("Tệp có hơn {max_rows} dòng (kể cả dòng trống). Hãy xoá các dòng trống ở cuối hoặc chia thành nhiều tệp nhỏ hơn."),
                max_rows=f"{MAX_SCANNED_ROWS:,}".replace(",", "."),
            )
        if _is_empty(cells):
            continue
        if table is None:
            table = Table(header=cells, header_row=number)
            continue
        if len(table.rows) >= max_rows:
            raise FileProblem(
                N_("Tệp có hơn {max_rows} dòng dữ liệu. Hãy chia thành nhiều tệp nhỏ hơn."), max_rows=f"{max_rows:,}".replace(",", ".")
            )
        table.rows.append((number, cells))
    if table is None:
        raise FileProblem(N_("Tệp trống."))
    return table


def _is_empty(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise FileProblem(N_("Không đọc được tệp Excel. Hãy mở tệp bằng Excel, lưu lại dạng .xlsx rồi tải lên lại.")) from None
    try:
        sheet = workbook.worksheets[0]
        # Some generators write a wrong <dimension>; read-only mode would trust it and cut rows off.
        sheet.reset_dimensions()
        # read-only iteration starts at row 1 and yields gap rows, so the count is Excel's row number.
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
            yield number, list(values)
    except FileProblem:
        raise
    except Exception:
        raise FileProblem(N_("Không đọc được tệp Excel. Hãy mở tệp bằng Excel, lưu lại dạng .xlsx rồi tải lên lại.")) from None
    finally:
        workbook.close()


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(content)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = None
    if first.lower().startswith("sep=") and len(first.strip()) == 5:
        # Excel's own hint line; Excel hides it, so the header after it is row 1.
        delimiter = first.strip()[4]
        text = text.split("\n", 1)[1] if "\n" in text else ""
    else:
        delimiter = _sniff(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, list(cells)
    except csv.Error as exc:
        raise FileProblem(N_("Tệp CSV bị lỗi ở dòng {row}: {reason}."), row=number + 1, reason=str(exc)) from None


def _sniff(header_line: str) -> str:
    """Comma, semicolon (Excel in a Vietnamese locale) or tab: the one that splits the header into the most
    columns. The header is known text, so this beats guessing from data rows full of names and dates."""
    best, best_count = ",", 1
    for delimiter in _DELIMITERS:
        try:
            count = len(next(csv.reader([header_line], delimiter=delimiter), []))
        except csv.Error:
            continue
        if count > best_count:
            best, best_count = delimiter, count
    return best


_CSV_NOT_UTF8 = (
    N_(
        "Tệp CSV không dùng bảng mã UTF-8 (có vẻ là {encoding}), nên tiếng Việt sẽ bị lỗi font. Trong Excel, chọn "
        '"Lưu thành" (Save As), kiểu tệp "CSV UTF-8 (*.csv)", rồi tải lên lại.'
    ),
    N_(
        'Tệp CSV không dùng bảng mã UTF-8, nên tiếng Việt sẽ bị lỗi font. Trong Excel, chọn "Lưu thành" (Save As), '
        'kiểu tệp "CSV UTF-8 (*.csv)", rồi tải lên lại.'
    ),
)


def decode_utf8(content: bytes, *, advice: tuple[str, str], utf16: bool = False) -> str:
    """The file as text if it is UTF-8 (BOM allowed; UTF-16 with a BOM too when `utf16`). A legacy code
    page (TCVN3, VNI, Windows-1258 …) is refused with `advice`: (message naming the guessed encoding,
    message when no guess), rather than turned into broken Vietnamese letters."""
    if utf16 and content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:  # NULs mean UTF-16 that happened to decode
        return text
    found = legacy_bytes(content[:200_000])
    if found is not None:  # charset-normalizer calls TCVN3 bytes ISO-8859-10, which helps nobody
        code, text = found
        raise FileProblem(
            LEGACY_FILE, font=CODES[code], code=code, sample=next((b for _a, b in sample_pairs(text.splitlines(), code)), "")[:80]
        )
    from charset_normalizer import from_bytes

    guess = from_bytes(content[:200_000]).best()
    if guess is not None and guess.encoding:
        raise FileProblem(advice[0], encoding=encoding_label(guess.encoding))
    raise FileProblem(advice[1])


LEGACY_FILE = N_(
    "Tệp được soạn bằng phông {font}, chưa phải Unicode; ví dụ một dòng sau khi chuyển: «{sample}». Hãy "
    "chọn phông cũ {font} ở ô «Tệp dùng phông cũ» rồi tải lên lại để hệ thống chuyển sang Unicode."
)
LEGACY_TEXT = N_(
    "Chữ trong tệp là phông {font} bị lưu thành Unicode: «{before}» sẽ thành «{after}». Hãy chọn phông cũ "
    "{font} ở ô «Tệp dùng phông cũ» rồi tải lên lại để hệ thống chuyển sang Unicode."
)


def from_legacy(content: bytes, code: str) -> bytes:
    """A text file in a legacy code (its own bytes, or already re-saved as UTF-8) as UTF-8 Unicode."""
    try:
        return convert(content.decode("utf-8-sig"), code).encode("utf-8")
    except UnicodeDecodeError:  # the old bytes themselves: every character is in that code
        return whole(content.decode("cp1252", errors="ignore") if code == "vni" else content.decode("latin-1"), code).encode("utf-8")


def legacy_problem(texts: list[str]) -> FileProblem | None:
    """The file's text is TCVN3 that reached Unicode as Latin-1 letters ("NghÞ quyÕt"): say so, with an
    example of the conversion, instead of storing it."""
    code = detect(" ".join(texts))
    if code is None:
        return None
    before, after = (sample_pairs(texts, code) or [("", "")])[0]
    return FileProblem(LEGACY_TEXT, font=CODES[code], code=code, before=before[:60], after=after[:60])


def _decode(content: bytes) -> str:
    return decode_utf8(content, advice=_CSV_NOT_UTF8)


def encoding_label(name: str) -> str:
    name = name.lower().replace("-", "_")
    if name.startswith("cp") and name[2:].isdigit():
        return f"Windows-{name[2:]}" if name[2:].startswith("125") else f"CP{name[2:]}"
    return name.upper().replace("_", "-")


# --- cells ---------------------------------------------------------------------------------------------------


def header_key(text: Any) -> str:
    """ "Số điện thoại *", " SO DIEN THOAI", "phone_number", "Ngày sinh (dd/mm/yyyy)" fold to one key."""
    key = fold(str(text if text is not None else ""))
    key = re.sub(r"\(.*?\)", " ", key)
    key = re.sub(r"[_\-/*:.]+", " ", key)
    return re.sub(r"\s+", " ", key).strip()


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def cell_text(cell: Any) -> str | None:
    """A cell as the text the person typed: Excel's 912345678.0 is "912345678", a date is dd/mm/yyyy."""
    if cell is None:
        return None
    if isinstance(cell, datetime | date):
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def cell_date(cell: Any) -> date | str | None:
    """A real date cell as a date; anything else as text for parse_date (which names what is wrong)."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool) and cell >= 10_000:
        # A date cell formatted as a number shows Excel's day serial (32,000 is 1987).
        from openpyxl.utils.datetime import from_excel

        try:
            return from_excel(cell).date()
        except (ValueError, OverflowError):
            pass
    return cell_text(cell)


def parse_date(value: str | date | None) -> tuple[date | None, bool]:
    """(date, ok). Day first, as dates are written in Vietnam; ISO dates from other systems too. A blank
    is (None, True)."""
    if value is None or isinstance(value, date):
        return value, True
    text = clean(value)
    if not text:
        return None, True
    try:
        match = _DMY.match(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1])), True
        match = _YMD.match(text)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3])), True
    except ValueError:  # 31/02/1990
        pass
    return None, False


@dataclass
class HeaderProblem:
    field: str | None
    message: str  # a msgid
    params: dict[str, Any]


def map_header(header: list[Any], *, columns: Any, ignored: set[str]) -> tuple[list[str | None], list[HeaderProblem]]:
    """Which field each column of a header row holds, by header text (case, diacritics and spacing
    ignored; aliases accepted), and what is wrong with the header: unknown columns, one field twice,
    required columns missing. `columns` are objects with field, header, required and aliases."""
    keys = {header_key(name): c.field for c in columns for name in (c.header, c.field, *c.aliases)}
    fields: list[str | None] = []
    problems: list[HeaderProblem] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for cell in header:
        shown = clean(str(cell)) if cell is not None else ""
        key = header_key(shown)
        fld = keys.get(key)
        if fld is None:
            if key and key not in ignored:
                unknown.append(shown)
            fields.append(None)
        elif fld in seen:
            problems.append(
                HeaderProblem(fld, N_('Cột "{first}" và cột "{second}" cùng là một thông tin.'), {"first": seen[fld], "second": shown})
            )
            fields.append(None)
        else:
            seen[fld] = shown
            fields.append(fld)
    if unknown:
        problems.append(
            HeaderProblem(
                None,
                N_("Có cột không nhận ra: {columns}. Các cột dùng được: {expected}."),
                {"columns": ", ".join(f'"{u}"' for u in unknown), "expected": ", ".join(c.header for c in columns)},
            )
        )
    missing = [c.header for c in columns if c.required and c.field not in seen]
    if missing:
        problems.append(HeaderProblem(None, N_("Thiếu cột bắt buộc: {columns}."), {"columns": ", ".join(missing)}))
    return fields, problems


def add_guide_sheet(workbook: Any, rows: list[tuple[str, bool, str]], notes: list[str]) -> None:
    """The "Hướng dẫn" sheet every template carries: one row per column (name, required, how to fill
    it in), then general notes."""
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet("Hướng dẫn")
    sheet.append(["Cột", "Bắt buộc", "Cách ghi"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for header, required, guide in rows:
        sheet.append([header, "Có" if required else "Không", guide])
    sheet.append([])
    for line in notes:
        sheet.append([line])
    for letter, width in (("A", 20), ("B", 10), ("C", 100)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
