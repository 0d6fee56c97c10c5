"""Tables people download (ranked lists, winners): typed XLSX sheets and CSV, both streamed.

The callers hand over rows as an iterable that may be a generator over a database cursor: a list is consumed
once and never held whole. The XLSX is written by our own small OOXML writer (`kit.xlsx`), which streams each
row's XML into the sheet's deflated ZIP entry; it replaced XlsxWriter, whose per-cell Python work was about
nine tenths of a big export. Why: docs/performance.md#exports.

A text cell is always written as text (an inline string), so a spreadsheet never runs it; text that starts
like a formula still gets the leading apostrophe of `neutralise`, as in the CSV, so that copying the cell or
saving the sheet as CSV does not bring the formula back to life.

`format_cell` is the single text rendering of a value: CSV writes it, and the seal digest of a ranked
list hashes it, so a judge who re-hashes the downloaded CSV gets the digest printed on the minutes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from app.errors import N_, Invalid
from app.i18n import translate
from app.services.kit import xlsx

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

# The control characters XML 1.0 cannot carry (tab, line feed and carriage return it can), and lone surrogates.
_ILLEGAL_XML = xlsx.ILLEGAL_XML
_XLSX_FORMATS = {"float": "0.00", "percent": "0.00%", "date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm:ss", "duration_ms": "[m]:ss"}


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


_TEXTS_KEPT = 20_000  # distinct texts of one column whose cell XML is kept (names, units, prizes repeat)


class _Texts(dict[str, str]):
    """One column's text cells by value (the XML after the cell reference). A text seen before is a dict
    lookup in C (`texts[value]`), not the normalising, the two regular expressions of `_xlsx_text` and the
    escaping again: units, prizes and many names repeat down a ranked list (docs/performance.md#exports).
    Bounded, so memory stays flat."""

    def __missing__(self, value: str) -> str:
        tail = xlsx.text_tail(_xlsx_text(value))
        if len(self) < _TEXTS_KEPT:
            self[value] = tail
        return tail


def _serial_in(tz: ZoneInfo) -> Callable[[datetime], str]:
    # Excel has no time zones: the wall-clock time of the contest's zone is what people expect to read.
    return lambda value: xlsx.datetime_serial(_local(value, tz))


def _duration_tail(value: float) -> str:
    return xlsx.number_tail(value / MS_PER_DAY)  # a fraction of a day, as Excel keeps durations; exact to the ms


def _number_slot(kind: type, column: Column, book: xlsx.Book) -> xlsx.Slot:
    # An int is written as it is (form NUMBER); a float through number_tail, which turns NaN and infinities
    # into error values.
    exact = not issubclass(kind, float)
    plain = xlsx.Slot(xlsx.NUMBER, 0, int) if exact else xlsx.Slot(xlsx.TAIL, 0, xlsx.number_tail)
    if column.kind == "percent":
        return xlsx.Slot(plain.form, book.style(_XLSX_FORMATS["percent"]), plain.convert)
    if column.kind == "duration_ms":
        return xlsx.Slot(xlsx.TAIL, book.style(_XLSX_FORMATS["duration_ms"]), _duration_tail)
    if column.kind == "float" or not exact:
        return xlsx.Slot(plain.form, book.style(_XLSX_FORMATS["float"]), plain.convert)
    return plain


def _xlsx_slot(kind: type, column: Column, tz: ZoneInfo, book: xlsx.Book) -> xlsx.Slot | None:
    """How a value of this type lands in this column (None: the cell stays empty). A str is always a text
    cell, never guessed at: a name is never read as a number, a formula or a link."""
    if kind is type(None):
        return None
    if issubclass(kind, str):
        return xlsx.Slot(xlsx.TAIL, 0, _Texts().__getitem__)
    if issubclass(kind, datetime):
        return xlsx.Slot(xlsx.NUMBER, book.style(_XLSX_FORMATS["date" if column.kind == "date" else "datetime"]), _serial_in(tz))
    if issubclass(kind, date):
        return xlsx.Slot(xlsx.NUMBER, book.style(_XLSX_FORMATS["date"]), xlsx.date_serial)
    if issubclass(kind, bool):  # before int: a bool is an int, written 0 or 1
        return xlsx.Slot(xlsx.NUMBER, 0, int)
    if issubclass(kind, int | float):
        return _number_slot(kind, column, book)
    return xlsx.Slot(xlsx.TAIL, 0, lambda v: xlsx.text_tail(_xlsx_text(format_cell(v, column, tz))))


def _write_part(book: xlsx.Book, part: Part, tz: ZoneInfo) -> None:
    # The type checks are made once per shape of row (the types of its values, a handful in a list), not per
    # cell: a row's cells are then written by the template of its shape (docs/performance.md#exports).
    slots: list[dict[type, xlsx.Slot | None]] = [{} for _ in part.columns]

    def slots_for(shape: tuple[type, ...]) -> list[xlsx.Slot | None]:
        if len(shape) != len(part.columns):
            raise ValueError(f"a row of {len(shape)} values for {len(part.columns)} columns")
        for kind, column, known in zip(shape, part.columns, slots, strict=True):
            if kind not in known:
                known[kind] = _xlsx_slot(kind, column, tz, book)
        return [known[kind] for kind, known in zip(shape, slots, strict=True)]

    header = [_xlsx_text(column.header) for column in part.columns]
    try:
        book.write_sheet([column.width for column in part.columns], header, part.rows, slots_for, XLSX_MAX_ROWS)
    except xlsx.SheetFull:  # Excel would refuse the file, or drop the rest without a word
        raise Invalid(
            N_("Danh sách dài quá số dòng một trang tính Excel chứa được ({n}); hãy xuất tệp CSV."), field="format", n=XLSX_MAX_ROWS - 1
        ) from None


def write_xlsx(report: Report, fh: BinaryIO) -> None:
    """One sheet per part (bold, frozen header; typed cells), then "Ghi chú" with the note lines if any."""
    parts = list(report.parts)
    if report.note_lines:
        parts.append(Part(NOTES_SHEET, [Column(NOTES_SHEET, width=100)], ([line] for line in report.note_lines)))
    taken: set[str] = set()
    names = [sheet_title(_ILLEGAL_XML.sub("", part.title), taken) for part in parts]
    # A workbook without sheets is a file Excel refuses to open: xlsx.Book then writes an empty "Sheet".
    title = unicodedata.normalize("NFC", report.title)
    with xlsx.Book(fh, title=title, creator="hoithi", sheet_names=names, number_formats=list(_XLSX_FORMATS.values())) as book:
        for part in parts:
            _write_part(book, part, report.tz)


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
