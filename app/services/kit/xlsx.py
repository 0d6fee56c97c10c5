"""A small streaming XLSX (Office Open XML, ECMA-376) writer: typed cells, a bold header, frozen panes.

Made for long tables that come from a database cursor: each row's XML is made in one `str.format` call from a
template built once per shape of row (the types of its values), and goes straight into the deflated ZIP
entry of its sheet, a few hundred rows at a time, so memory stays flat whatever the number of rows. Texts are
inline strings (`t="inlineStr"`): a shared string table would hold every distinct name until the end.
Why our own writer rather than XlsxWriter or openpyxl: docs/performance.md#exports.

What the file holds, in ZIP order: [Content_Types].xml, _rels/.rels, docProps/app.xml and core.xml,
xl/workbook.xml and its relationships, xl/styles.xml, then the sheets (xl/worksheets/sheetN.xml).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from operator import call
from types import TracebackType
from typing import IO, Any, BinaryIO, Final

# The characters XML 1.0 cannot carry (tab, line feed and carriage return it can); lone surrogates cannot
# even be encoded in UTF-8.
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CELL_MAX_CHARS = 32_767  # what a cell can hold in Excel; longer text is cut, as Excel would refuse the file
# Deflate level 5: on a 100,000-row ranked list, the size of the default level 6 within 2% in a sixth less time;
# level 1 takes 0.2 s less again but makes the file a third larger to download (docs/performance.md#exports).
COMPRESSLEVEL = 5
ROWS_PER_WRITE = 256  # rows joined and encoded together before they go to the ZIP entry

NUMBER: Final = "number"  # the cell's value is written as <v>{value}</v>: an int, or the text of a number
TAIL: Final = "tail"  # the converter writes the rest of the cell (see number_tail and text_tail)
GENERAL, HEADER = 0, 1  # style ids (cellXfs) of plain cells and of header cells

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CT = "application/vnd.openxmlformats-"
_BUILTIN_FORMATS = {"0": 1, "0.00": 2, "0%": 9, "0.00%": 10}  # ECMA-376 part 1, 18.8.30
_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system, which counts 29/02/1900 as a day
_EPOCH_DATE = _EPOCH.date()
_LEAP_BUG_BEFORE = 61  # serial of 01/03/1900: days before it are one less than the days since _EPOCH
_DAY = datetime(2000, 1, 2) - datetime(2000, 1, 1)
# Excel reads _xHHHH_ in a text as the character HHHH (ST_Xstring, ECMA-376 part 1, 22.9.2.19): such a run
# typed by someone keeps its underscore by writing it as _x005F_.
_XSTRING_LOOKALIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_ERRORS = {"nan": "#NUM!", "inf": "#DIV/0!", "-inf": "#DIV/0!"}  # what a non-finite number is written as

Convert = Callable[[Any], Any]


class SheetFull(Exception):
    """A sheet was given more rows than it may hold."""


@dataclass(frozen=True)
class Slot:
    """How the values of one type are written in one column: form NUMBER (the converted value goes between
    <v> and </v>) or TAIL (the converter writes the rest of the cell), the style id and the conversion."""

    form: str
    style: int
    convert: Convert


def xml_text(value: str) -> str:
    """Text for an element's content: without the characters XML cannot carry, &, < and > escaped."""
    # A chain of replace is several times faster than str.translate on short texts; & goes first. A carriage
    # return is written as a character reference, which XML parsers do not turn into a line feed.
    value = ILLEGAL_XML.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def xml_attr(value: str) -> str:
    """Text for an attribute value between double quotes."""
    return xml_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def text_tail(text: str) -> str:
    """The rest of an inline string cell (form TAIL)."""
    if not text:
        return ' t="inlineStr"><is><t></t></is></c>'  # an empty text, as XlsxWriter wrote it, not a blank cell
    text = text[:CELL_MAX_CHARS]
    # xml:space="preserve" where a reader could otherwise trim or fold white space: at either end, or breaks and tabs.
    keep = text[0].isspace() or text[-1].isspace() or "\n" in text or "\r" in text or "\t" in text
    space = ' xml:space="preserve"' if keep else ""
    if "_x" in text:
        text = _XSTRING_LOOKALIKE.sub(r"_x005F_\1", text)
    return f' t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'


def number_tail(value: float) -> str:
    """The rest of a number cell (form TAIL): repr, so that a float reads back the same; a NaN or an
    infinity, which a number cell cannot hold, becomes an error value (#NUM!, #DIV/0!)."""
    if math.isfinite(value):
        return f"><v>{value!r}</v></c>"
    return f' t="e"><v>{_ERRORS[repr(float(value))]}</v></c>'


def date_serial(value: date) -> int:
    """The Excel serial number of a day (1900 date system)."""
    days = (value - _EPOCH_DATE).days
    return days - 1 if days < _LEAP_BUG_BEFORE else days


def datetime_serial(value: datetime) -> str:
    """The Excel serial number of a wall-clock time (naive, or its zone dropped), as the text of a float."""
    days = (value.replace(tzinfo=None) - _EPOCH) / _DAY
    return repr(days - 1 if days < _LEAP_BUG_BEFORE else days)


def column_letter(index: int) -> str:
    """The letters of a column: A for column 0, then Z, AA, … XFD for column 16,383."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_width(characters: float) -> float:
    """The stored width of a column `characters` digits wide: the digits plus 5 pixels of padding, in units of
    a 7-pixel digit of the default font, truncated to 1/256 (ECMA-376 part 1, 18.3.1.13)."""
    return int((int(characters * 7 + 0.5) + 5) / 7 * 256) / 256 if characters > 0 else 0


def row_template(slots: Sequence[Slot | None]) -> tuple[str, tuple[Convert, ...]]:
    """A row's XML with {0} for the row number and {k} for the converted value of column k - 1, and the
    conversions, one per column (an empty cell, slot None, is left out and its value ignored)."""
    cells = []
    for index, slot in enumerate(slots):
        if slot is None:
            continue
        style = f' s="{slot.style}"' if slot.style else ""
        head = f'<c r="{column_letter(index)}{{0}}"{style}'
        cells.append(f"{head}><v>{{{index + 1}}}</v></c>" if slot.form == NUMBER else f"{head}{{{index + 1}}}")
    converts = tuple(_ignored if slot is None else slot.convert for slot in slots)
    return '<row r="{0}">' + "".join(cells) + "</row>", converts


def _ignored(value: object) -> None:
    return None


class Book:
    """One workbook written into `fh` (a file open for binary writing); sheets are added in the order of
    `sheet_names`, every one of them, before `close`. `number_formats` are the codes `style` may be asked."""

    def __init__(self, fh: BinaryIO, *, title: str, creator: str, sheet_names: Sequence[str], number_formats: Sequence[str]) -> None:
        self.sheet_names = list(sheet_names) or ["Sheet"]
        self.written = 0
        self._styles = {code: index for index, code in enumerate(number_formats, HEADER + 1)}
        self._zip = zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL)
        for name, xml in _package_parts(title, creator, self.sheet_names, list(number_formats)):
            self._zip.writestr(name, xml)

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:  # the file is thrown away; the ZIP is only closed, not completed with empty sheets
            self._zip.close()

    def style(self, number_format: str | None) -> int:
        """The style id of cells shown with this number format (None: General)."""
        return GENERAL if number_format is None else self._styles[number_format]

    def write_sheet(
        self,
        widths: Sequence[float],
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        slots_for: Callable[[tuple[type, ...]], Sequence[Slot | None]],
        max_rows: int,
    ) -> None:
        """The next sheet: the header (bold, on a fill, frozen), then the rows, each written by the slots
        `slots_for` gives for its shape (the types of its values), asked once per shape. Raises SheetFull on
        a row numbered above max_rows (the header is row 1)."""
        self.written += 1
        # No ZIP64 (the local header would then disagree with the central directory, which some readers of
        # Office files refuse): a sheet stays far below 2 GiB within Excel's 1,048,576 rows.
        with self._zip.open(f"xl/worksheets/sheet{self.written}.xml", "w") as out:
            out.write(_sheet_head(widths, selected=self.written == 1, frozen=bool(header)).encode())
            if header:
                template = row_template([Slot(TAIL, HEADER, text_tail)] * len(header))[0]
                out.write(template.format(1, *map(text_tail, header)).encode())
            _write_rows(out, rows, slots_for, max_rows)
            out.write(_SHEET_TAIL.encode())

    def close(self) -> None:
        """Completes the workbook: a sheet not written (a workbook needs one at least) is left empty."""
        while self.written < len(self.sheet_names):
            self.write_sheet([], [], [], lambda shape: [], 1)
        self._zip.close()


def _write_rows(
    out: IO[bytes], rows: Iterable[Sequence[Any]], slots_for: Callable[[tuple[type, ...]], Sequence[Slot | None]], max_rows: int
) -> None:
    templates: dict[tuple[type, ...], tuple[str, tuple[Convert, ...]]] = {}
    pending: list[str] = []
    for number, row in enumerate(rows, 2):
        if number > max_rows:
            raise SheetFull(max_rows)
        shape = tuple(map(type, row))
        plan = templates.get(shape)
        if plan is None:
            plan = templates[shape] = row_template(slots_for(shape))
        template, converts = plan
        pending.append(template.format(number, *map(call, converts, row)))
        if len(pending) == ROWS_PER_WRITE:
            out.write("".join(pending).encode())
            pending.clear()
    out.write("".join(pending).encode())


def _sheet_head(widths: Sequence[float], *, selected: bool, frozen: bool) -> str:
    # CT_Worksheet's order: sheetPr?, dimension?, sheetViews?, sheetFormatPr?, cols*, sheetData, … pageMargins?
    # No dimension: the number of rows is not known before they are written, and the element is optional.
    tab = ' tabSelected="1"' if selected else ""
    pane = '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' if frozen else ""
    selection = '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>' if frozen else ""
    cols = "".join(f'<col min="{i}" max="{i}" width="{column_width(width)!r}" customWidth="1"/>' for i, width in enumerate(widths, 1))
    return (
        f'{_XML_DECL}<worksheet xmlns="{_MAIN}" xmlns:r="{_DOC_REL}">'
        f'<sheetViews><sheetView{tab} workbookViewId="0">{pane}{selection}</sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}<sheetData>'
    )


_SHEET_TAIL = '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'


def _package_parts(title: str, creator: str, sheet_names: list[str], number_formats: list[str]) -> list[tuple[str, str]]:
    sheets = range(1, len(sheet_names) + 1)
    overrides = [
        ("/xl/workbook.xml", "officedocument.spreadsheetml.sheet.main+xml"),
        ("/xl/styles.xml", "officedocument.spreadsheetml.styles+xml"),
        ("/docProps/core.xml", "package.core-properties+xml"),
        ("/docProps/app.xml", "officedocument.extended-properties+xml"),
        *((f"/xl/worksheets/sheet{n}.xml", "officedocument.spreadsheetml.worksheet+xml") for n in sheets),
    ]
    types = "".join(f'<Override PartName="{part}" ContentType="{_CT}{kind}"/>' for part, kind in overrides)
    content_types = (
        f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="{_CT}package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{types}</Types>'
    )
    package_rels = _relationships(
        [
            (f"{_DOC_REL}/officeDocument", "xl/workbook.xml"),
            (f"{_PKG_REL}/metadata/core-properties", "docProps/core.xml"),
            (f"{_DOC_REL}/extended-properties", "docProps/app.xml"),
        ]
    )
    workbook_rels = _relationships(
        [*((f"{_DOC_REL}/worksheet", f"worksheets/sheet{n}.xml") for n in sheets), (f"{_DOC_REL}/styles", "styles.xml")]
    )
    listed = "".join(f'<sheet name="{xml_attr(name)}" sheetId="{n}" r:id="rId{n}"/>' for n, name in zip(sheets, sheet_names, strict=True))
    workbook = (
        f'{_XML_DECL}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_REL}">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{listed}</sheets></workbook>'
    )
    return [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", package_rels),
        ("docProps/app.xml", _app_properties(creator, sheet_names)),
        ("docProps/core.xml", _core_properties(title, creator)),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/styles.xml", _styles(number_formats)),
    ]


def _relationships(targets: list[tuple[str, str]]) -> str:
    items = "".join(f'<Relationship Id="rId{n}" Type="{kind}" Target="{target}"/>' for n, (kind, target) in enumerate(targets, 1))
    return f'{_XML_DECL}<Relationships xmlns="{_PKG_REL}">{items}</Relationships>'


def _core_properties(title: str, creator: str) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = 'xsi:type="dcterms:W3CDTF"'
    return (
        f'{_XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{xml_text(title)}</dc:title><dc:creator>{xml_text(creator)}</dc:creator>"
        f"<cp:lastModifiedBy>{xml_text(creator)}</cp:lastModifiedBy>"
        f"<dcterms:created {stamp}>{now}</dcterms:created><dcterms:modified {stamp}>{now}</dcterms:modified></cp:coreProperties>"
    )


def _app_properties(creator: str, sheet_names: list[str]) -> str:
    names = "".join(f"<vt:lpstr>{xml_text(name)}</vt:lpstr>" for name in sheet_names)
    return (
        f'{_XML_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>{xml_text(creator)}</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
        '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>'
        f"<vt:variant><vt:i4>{len(sheet_names)}</vt:i4></vt:variant></vt:vector></HeadingPairs>"
        f'<TitlesOfParts><vt:vector size="{len(sheet_names)}" baseType="lpstr">{names}</vt:vector></TitlesOfParts>'
        "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
        "</Properties>"
    )


def _format_ids(number_formats: list[str]) -> dict[str, int]:
    """Built-in formats keep their ids; the others are numbered from 164, the first id left to files."""
    ids: dict[str, int] = {}
    for code in number_formats:
        ids[code] = _BUILTIN_FORMATS.get(code, 164 + sum(1 for known in ids if known not in _BUILTIN_FORMATS))
    return ids


def _styles(number_formats: list[str]) -> str:
    """Style 0 General, 1 the header (bold, light blue fill, centred vertically, wrapped), then one per number
    format (CT_Stylesheet's order: numFmts, fonts, fills, borders, cellStyleXfs, cellXfs, cellStyles, …)."""
    ids = _format_ids(number_formats)
    custom = [f'<numFmt numFmtId="{ids[code]}" formatCode="{xml_attr(code)}"/>' for code in ids if code not in _BUILTIN_FORMATS]
    num_fmts = f'<numFmts count="{len(custom)}">{"".join(custom)}</numFmts>' if custom else ""
    base = 'fontId="0" fillId="0" borderId="0" xfId="0"'
    numbers = "".join(f'<xf numFmtId="{ids[code]}" {base} applyNumberFormat="1"/>' for code in number_formats)
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
    return (
        f'{_XML_DECL}<styleSheet xmlns="{_MAIN}">{num_fmts}'
        f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{2 + len(number_formats)}"><xf numFmtId="0" {base}/>'
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">'
        f'<alignment vertical="center" wrapText="1"/></xf>{numbers}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
    )
