"""Tables people download (ranked lists, winners): typed XLSX sheets and CSV, both streamed.

The callers hand over rows as an iterable that may be a generator over a database cursor: a list is consumed
once and never held whole, neither here nor in XlsxWriter (constant-memory mode). Why XlsxWriter:
docs/performance.md#exports.

A text cell is always written as text (write_string), so a spreadsheet never runs it; text that starts like a
formula still gets the leading apostrophe of `neutralise`, as in the CSV, so that copying the cell or saving the
sheet as CSV does not bring the formula back to life.

`format_cell` is the single text rendering of a value: CSV writes it, and the seal digest of a ranked
list hashes it, so a judge who re-hashes the downloaded CSV gets the digest printed on the minutes.
"""

from __future__ import annotations

import codecs
import csv
import inspect
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from app.errors import N_, Invalid
from app.i18n import translate

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
KINDS = ("text", "int", "float", "date", "datetime", "percent", "duration_ms")
MS_PER_DAY = 86_400_000
NOTES_SHEET = "Ghi chú"
CSV_CHUNK_ROWS = 500
XLSX_MAX_ROWS = 1_048_576  # rows of a sheet in Excel, the header included

# What makes Excel or LibreOffice read a cell as a formula (OWASP "CSV injection"); the full-width forms
# are included because some spreadsheet locales fold them to the ASCII ones on input.
_FORMULA_START = frozenset("=+-@＝＋－＠")
_CONTROL_START = ("\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# The control characters XML 1.0 cannot carry (tab, line feed and carriage return it can).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XLSX_FORMATS = {"float": "0.00", "percent": "0.00%", "date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm:ss", "duration_ms": "[m]:ss"}
_HEADER_STYLE = {"bold": True, "bg_color": "#DDEBF7", "pattern": 1, "valign": "vcenter", "text_wrap": True}
# constant_memory: each row goes to a temporary file as soon as the next one starts, so memory stays flat
# whatever the length of the list (strings are then written inline, not into a shared table). The strings_to_*
# options only matter for XlsxWriter's guessing write(), which is never used here; they are off all the same.
_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": True,
}


@dataclass
class Column:
    header: str  # Vietnamese, e.g. "Hạng", "Họ và tên"
    width: int = 14  # XLSX column width in characters
    kind: str = "text"  # one of KINDS
    # The CSV's header where it differs: a duration is a number of milliseconds there (the seal digest hashes
    # the CSV's cells), an Excel duration shown m:ss in the XLSX.
    csv_header: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Part:
    title: str  # sheet name in XLSX (shortened and cleaned there)
    columns: list[Column]
    rows: Iterable[Sequence[Any]]  # str | int | float | None | date | datetime (aware, UTC); consumed once


@dataclass
class Report:
    title: str  # e.g. "Danh sách xếp hạng — Tuần 1"
    parts: list[Part]
    tz: ZoneInfo = VN_TZ  # datetimes are shown in this zone
    note_lines: list[str] = field(default_factory=list)  # XLSX: a last sheet "Ghi chú", one line per row


def translated(part: Part, locale: str) -> Part:
    """The part with its sheet title and column headers (Vietnamese msgids) in the locale."""
    part.title = translate(part.title, locale)
    for c in part.columns:
        c.header = translate(c.header, locale)
        c.csv_header = c.csv_header and translate(c.csv_header, locale)
    return part


def neutralise(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would otherwise run as a formula ("=HYPERLINK(…)",
    "+1", " -2", "@x", or a leading tab / carriage return)."""
    if value.startswith(_CONTROL_START) or value.lstrip()[:1] in _FORMULA_START:
        return "'" + value
    return value


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    # Timestamps are stored in UTC; a naive one coming from SQLite is UTC too.
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(tz)


def format_cell(value: Any, column: Column, tz: ZoneInfo) -> str:
    """The text of one value, the same wherever text is needed (CSV, PDF, the seal digest)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(unicodedata.normalize("NFC", value))
    if isinstance(value, datetime):
        return _local(value, tz).strftime("%d/%m/%Y" if column.kind == "date" else "%d/%m/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):  # before int: bool is an int, and "True" would mean nothing to a judge
        return "1" if value else "0"
    if column.kind == "percent" and isinstance(value, int | float):
        return f"{value * 100:.2f}"
    if isinstance(value, int) and column.kind != "float":
        return str(value)
    if isinstance(value, int | float):
        return f"{value:.2f}"
    return neutralise(unicodedata.normalize("NFC", str(value)))


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: no []:*?/\\, not wrapped in apostrophes, at most 31 characters."""
    cleaned = " ".join(_SHEET_FORBIDDEN.sub("", unicodedata.normalize("NFC", title)).split())
    base = cleaned.strip("' ")[:31].rstrip("' ") or "Sheet"
    name, n = base, 1
    while name.casefold() in taken:  # Excel compares sheet names case-insensitively
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.casefold())
    return name


def _xlsx_text(value: str) -> str:
    # format_cell's text rule, less the characters XML 1.0 cannot carry.
    return _ILLEGAL_XML.sub("", neutralise(unicodedata.normalize("NFC", value)))


# How a value of one type lands in one column: the worksheet method (None: the cell stays empty), a conversion
# (None: as is) and a cell format (None: General).
_Plan = tuple[Callable[..., Any] | None, Callable[[Any], Any] | None, Any]
_Step = tuple[int, Callable[..., Any], Callable[[Any], Any] | None, Any]  # a plan with a write, for one column
_TEXTS_KEPT = 20_000  # distinct texts of one column whose cell text is kept (names, units, prizes repeat)


class _Texts(dict[str, str]):
    """One column's cell texts by value. A text seen before is a dict lookup in C (`texts[value]`), not the
    normalising and the two regular expressions of `_xlsx_text` again: units, prizes and many names repeat
    down a ranked list (docs/performance.md#exports). Bounded, so memory stays flat."""

    def __missing__(self, value: str) -> str:
        text = _xlsx_text(value)
        if len(self) < _TEXTS_KEPT:
            self[value] = text
        return text


class _Formats:
    """The workbook's cell formats, made once (XlsxWriter keeps one style record per Format object)."""

    def __init__(self, wb: Workbook) -> None:
        self.header = wb.add_format(_HEADER_STYLE)
        self.number = {kind: wb.add_format({"num_format": code}) for kind, code in _XLSX_FORMATS.items()}


def _typed_writes(ws: Worksheet) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """The worksheet's write_string, write_number and write_datetime without their decorator, which only turns
    "A1" cell names into row and column: cells here are named by numbers already, and the decorator's call
    was about a twentieth of a big export (docs/performance.md#exports)."""

    def plain(method: Callable[..., Any]) -> Callable[..., Any]:
        return inspect.unwrap(method).__get__(ws)

    return plain(Worksheet.write_string), plain(Worksheet.write_number), plain(Worksheet.write_datetime)


def _xlsx_plan(ws: Worksheet, kind: type, column: Column, tz: ZoneInfo, formats: _Formats) -> _Plan:
    """How a value of this type lands in this column. Every value goes through a typed write (write_string,
    write_number, write_datetime), never XlsxWriter's guessing write(): a name is never read as a number, a
    formula or a link."""
    write_string, write_number, write_datetime = _typed_writes(ws)
    if kind is type(None):
        return None, None, None
    if issubclass(kind, str):
        return write_string, _Texts().__getitem__, None
    if issubclass(kind, datetime):
        # Excel has no time zones: the wall-clock time of the contest's zone is what people expect to read.
        fmt = formats.number["date" if column.kind == "date" else "datetime"]
        return write_datetime, (lambda v: _local(v, tz).replace(tzinfo=None)), fmt
    if issubclass(kind, date):
        return write_datetime, None, formats.number["date"]
    if issubclass(kind, bool):
        return write_number, int, None
    if issubclass(kind, int | float):
        if column.kind == "percent":
            return write_number, None, formats.number["percent"]
        if column.kind == "duration_ms":  # a fraction of a day, as Excel keeps durations; exact to the ms
            return write_number, (lambda v: v / MS_PER_DAY), formats.number["duration_ms"]
        return write_number, None, formats.number["float"] if column.kind == "float" or issubclass(kind, float) else None
    return write_string, (lambda v: _xlsx_text(format_cell(v, column, tz))), None


def _write_part(ws: Worksheet, part: Part, tz: ZoneInfo, formats: _Formats) -> None:
    # In constant-memory mode a row is flushed to disk as soon as the next one starts, so everything about the
    # sheet's layout is set before the first cell, and rows go strictly top to bottom.
    for index, column in enumerate(part.columns):
        ws.set_column(index, index, column.width)
    ws.freeze_panes(1, 0)
    for index, column in enumerate(part.columns):
        ws.write_string(0, index, _xlsx_text(column.header), formats.header)
    # The type checks are made once per shape of row (the types of its values, a handful in a list), not per
    # cell: a row's cells are then written by the steps of its shape (docs/performance.md#exports).
    plans: list[dict[type, _Plan]] = [{} for _ in part.columns]
    shapes: dict[tuple[type, ...], list[_Step]] = {}
    for row_index, row in enumerate(part.rows, 1):
        if row_index == XLSX_MAX_ROWS:  # XlsxWriter would drop the rest without a word
            raise Invalid(
                N_("Danh sách dài quá số dòng một trang tính Excel chứa được ({n}); hãy xuất tệp CSV."), field="format", n=XLSX_MAX_ROWS - 1
            )
        shape = tuple(map(type, row))
        steps = shapes.get(shape)
        if steps is None:
            steps = shapes[shape] = _steps(ws, shape, part.columns, plans, tz, formats)
        for col_index, write, convert, fmt in steps:
            value = row[col_index]
            write(row_index, col_index, value if convert is None else convert(value), fmt)


def _steps(
    ws: Worksheet, shape: tuple[type, ...], columns: list[Column], plans: list[dict[type, _Plan]], tz: ZoneInfo, formats: _Formats
) -> list[_Step]:
    """The writes of a row of this shape, empty cells left out."""
    if len(shape) != len(columns):
        raise ValueError(f"a row of {len(shape)} values for {len(columns)} columns")
    steps: list[_Step] = []
    for col_index, (kind, column, known) in enumerate(zip(shape, columns, plans, strict=True)):
        plan = known.get(kind)
        if plan is None:
            plan = known[kind] = _xlsx_plan(ws, kind, column, tz, formats)
        write, convert, fmt = plan
        if write is not None:
            steps.append((col_index, write, convert, fmt))
    return steps


def write_xlsx(report: Report, fh: BinaryIO) -> None:
    """One sheet per part (bold, frozen header; typed cells), then "Ghi chú" with the note lines if any."""
    with Workbook(fh, _WORKBOOK_OPTIONS) as wb:
        wb.set_properties({"title": unicodedata.normalize("NFC", report.title), "author": "hoithi"})
        formats = _Formats(wb)
        taken: set[str] = set()
        for part in report.parts:
            _write_part(wb.add_worksheet(sheet_title(part.title, taken)), part, report.tz, formats)
        if report.note_lines:
            notes = Part(NOTES_SHEET, [Column(NOTES_SHEET, width=100)], ([line] for line in report.note_lines))
            _write_part(wb.add_worksheet(sheet_title(NOTES_SHEET, taken)), notes, report.tz, formats)
        if not wb.worksheets():  # a workbook without sheets is a file Excel refuses to open
            wb.add_worksheet("Sheet")


def iter_csv(part: Part, tz: ZoneInfo) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel reads the Vietnamese right), header then rows, CRLF line ends, in chunks
    of CSV_CHUNK_ROWS rows: a StreamingResponse sends a 100,000-row list without holding it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = part.columns
    writer.writerow([unicodedata.normalize("NFC", c.csv_header or c.header) for c in columns])
    pending = codecs.BOM_UTF8
    count = 0
    for row in part.rows:
        writer.writerow([format_cell(value, column, tz) for value, column in zip(row, columns, strict=True)])
        count += 1
        if count % CSV_CHUNK_ROWS == 0:
            yield pending + buffer.getvalue().encode("utf-8")
            pending = b""
            buffer.seek(0)
            buffer.truncate()
    yield pending + buffer.getvalue().encode("utf-8")
