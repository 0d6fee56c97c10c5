"""The streaming XLSX writer (app.services.kit.xlsx) behind sheets.write_xlsx: the file read back with openpyxl
(normal mode), its XML parts parsed one by one, serial numbers checked against hand-computed values."""

from __future__ import annotations

import io
import math
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook

from app.errors import Invalid
from app.services.kit import sheets, xlsx
from app.services.kit.sheets import NOTES_SHEET, Column, Part, Report, write_xlsx

VN = sheets.VN_TZ
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# 2026-12-06 17:00 UTC is 2026-12-07 00:00 in Hà Nội (UTC+7). 2026-01-01 is serial 46023 (2025-01-01 is 45658,
# plus 365 days); 7 December is day 341 of 2026, so 46023 + 340 = 46363.
MIDNIGHT_UTC = datetime(2026, 12, 6, 17, 0, tzinfo=timezone.utc)
MIDNIGHT_SERIAL = 46363.0
# 2026-11-26 01:30 UTC is 08:30 in Hà Nội: day 330 of 2026 (46023 + 329 = 46352) and 8.5 hours.
SUBMITTED = datetime(2026, 11, 26, 1, 30, tzinfo=timezone.utc)
SUBMITTED_SERIAL = 46352 + 8.5 / 24

COLUMNS = [
    Column("Hạng", width=6, kind="int"),
    Column("Họ và tên", width=28),
    Column("Điểm", width=8, kind="float"),
    Column("Tỉ lệ đúng", width=10, kind="percent"),
    Column("Ngày sinh", width=12, kind="date"),
    Column("Nộp bài lúc", width=20, kind="datetime"),
    Column("Thời gian", width=10, kind="duration_ms"),
    Column("Ngày nộp", width=12, kind="date"),
]


def xlsx_bytes(report: Report) -> bytes:
    buf = io.BytesIO()
    write_xlsx(report, buf)
    return buf.getvalue()


def read(report: Report) -> OpenpyxlWorkbook:
    return load_workbook(io.BytesIO(xlsx_bytes(report)))  # normal mode: styles, widths and panes are read too


def one_part(rows: list[tuple], columns: list[Column] = COLUMNS, note_lines: list[str] | None = None) -> Report:
    part = Part("Xếp hạng", columns, iter(rows))
    return Report(title="Danh sách xếp hạng — Tuần 1", parts=[part], tz=VN, note_lines=note_lines or [])


def sheet_xml(data: bytes, n: int = 1) -> ElementTree.Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return ElementTree.fromstring(z.read(f"xl/worksheets/sheet{n}.xml"))


def test_typed_values_and_number_formats_per_kind() -> None:
    row = (1, "Nguyễn Thị Ánh Tuyết", 19.5, 0.975, date(2001, 3, 9), SUBMITTED, 61_501, MIDNIGHT_UTC)
    ws = read(one_part([row])).active
    rank, name, score, share, born, submitted, taken, day = ws[2]
    assert (rank.value, rank.data_type, rank.number_format) == (1, "n", "General")
    assert (name.value, name.data_type) == ("Nguyễn Thị Ánh Tuyết", "s")
    assert (score.value, score.number_format) == (19.5, "0.00")
    assert (share.value, share.number_format) == (0.975, "0.00%")
    assert born.value == datetime(2001, 3, 9) and born.number_format == "dd/mm/yyyy"
    assert submitted.value == datetime(2026, 11, 26, 8, 30) and submitted.number_format == "dd/mm/yyyy hh:mm:ss"
    assert taken.value == timedelta(milliseconds=61_501) and taken.number_format == "[m]:ss"
    assert day.value == datetime(2026, 12, 7) and day.number_format == "dd/mm/yyyy"  # the "date" kind of a datetime


def test_serial_numbers_are_the_hand_computed_ones() -> None:
    row = (1, "A", 19, 1, date(2001, 3, 9), SUBMITTED, 61_501, MIDNIGHT_UTC)
    cells = {c.get("r"): c for c in sheet_xml(xlsx_bytes(one_part([row]))).iter(f"{MAIN}c")}
    value = {ref: c.findtext(f"{MAIN}v") for ref, c in cells.items()}
    # 09/03/2001: 2001-01-01 is 36892 (2000-01-01 is 36526, and 2000 has 366 days), plus 31 + 28 + 8 days.
    assert value["E2"] == "36959"
    assert float(value["F2"]) == pytest.approx(SUBMITTED_SERIAL, abs=1e-9)
    assert float(value["H2"]) == MIDNIGHT_SERIAL
    assert float(value["G2"]) == 61_501 / 86_400_000
    assert (value["C2"], value["D2"]) == ("19", "1")  # an int stays an int, in a float or percent column too
    assert xlsx.date_serial(date(1900, 3, 1)) == 61 and xlsx.date_serial(date(1900, 2, 28)) == 59  # Excel's 29/02/1900
    assert xlsx.date_serial(date(1900, 1, 1)) == 1 and xlsx.date_serial(date(1999, 12, 31)) == 36525
    assert float(xlsx.datetime_serial(datetime(1900, 3, 1, 12))) == 61.5


def test_naive_datetime_is_utc_and_floats_round_trip() -> None:
    floats = [0.1, 1 / 3, 1e-7, 123456789.123456789, -0.0, 2.5e300]
    rows = [(i, "x", f, None, None, MIDNIGHT_UTC.replace(tzinfo=None), None, None) for i, f in enumerate(floats)]
    ws = read(one_part(rows)).active
    assert [ws.cell(row=r, column=3).value for r in range(2, 2 + len(floats))] == floats
    assert ws["F2"].value == datetime(2026, 12, 7, 0, 0)  # a naive datetime (SQLite) is UTC
    assert ws["D2"].value is None and ws["E2"].value is None


def test_bools_other_types_and_non_finite_numbers() -> None:
    columns = [Column("a", kind="int"), Column("b", kind="float"), Column("c"), Column("d")]
    rows = [(True, math.nan, Decimal("1.50"), timedelta(minutes=2)), (False, math.inf, "=1", -math.inf)]
    data = xlsx_bytes(one_part(rows, columns))
    ws = load_workbook(io.BytesIO(data)).active
    assert [ws["A2"].value, ws["A3"].value] == [1, 0] and ws["A2"].data_type == "n"
    assert (ws["B2"].value, ws["B2"].data_type) == ("#NUM!", "e")
    assert (ws["B3"].value, ws["B3"].data_type) == ("#DIV/0!", "e")
    assert (ws["C2"].value, ws["D2"].value) == ("1.50", "0:02:00")  # other types: format_cell's text
    assert ws["C3"].value == "'=1" and ws["D3"].value == "#DIV/0!"


def test_header_style_freeze_widths_and_sheet_names() -> None:
    report = Report(
        title='Kết quả <Tuần 1> & "chung kết"\x01',
        tz=VN,
        note_lines=["SHA-256: abc", "Niêm phong lúc 26/11/2026"],
        parts=[
            Part("Xếp hạng", COLUMNS, iter([])),  # an empty part: the header only
            Part('Đội A & B: "vòng 2" <chung kết>', [Column("Đơn vị", 40)], [("Đoàn xã Yên Phong",)]),
            Part("xếp HẠNG", [Column("Tên")], [("b",)]),
        ],
    )
    wb = read(report)
    assert wb.sheetnames == ["Xếp hạng", 'Đội A & B "vòng 2" <chung kết>', "xếp HẠNG (2)", NOTES_SHEET]
    assert wb.properties.title == 'Kết quả <Tuần 1> & "chung kết"' and wb.properties.creator == "hoithi"
    ws = wb["Xếp hạng"]
    assert ws.max_row == 1 and [c.value for c in ws[1]] == [c.header for c in COLUMNS]
    for cell in ws[1]:
        assert cell.font.b and cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == "FFDDEBF7"
        assert cell.alignment.vertical == "center" and cell.alignment.wrap_text
    assert ws.freeze_panes == "A2" and wb['Đội A & B "vòng 2" <chung kết>'].freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == 6.7109375  # 6 digits of 7 pixels, plus 5 pixels of padding, in 1/256
    assert [round(ws.column_dimensions[letter].width) for letter in "ABCDEFGH"] == [7, 29, 9, 11, 13, 21, 11, 13]
    assert wb["xếp HẠNG (2)"]["A2"].value == "b" and not wb["xếp HẠNG (2)"]["A2"].font.b
    notes = wb[NOTES_SHEET]
    assert [c.value for c in notes["A"]] == [NOTES_SHEET, "SHA-256: abc", "Niêm phong lúc 26/11/2026"]
    assert int(notes.column_dimensions["A"].width) == 100 and notes["A1"].font.b


def test_text_stays_text_cleaned_and_intact() -> None:
    texts = [
        '=HYPERLINK("http://x","a")',
        "+84912345678",
        "@SUM(A1)",
        "\r=x",
        "Lê\x0bVăn\x00 Tám\x1f",
        unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết"),
        "  hai khoảng trắng  ",
        "dòng 1\ndòng 2\tcột",
        "a < b && c > d",
        "0912345678",
        "",
        "x" * 40_000,
    ]
    ws = read(one_part([(t,) for t in texts], [Column("Giá trị")])).active
    values = [ws.cell(row=r, column=1).value for r in range(2, 2 + len(texts))]
    assert values[:10] == [
        '\'=HYPERLINK("http://x","a")',
        "'+84912345678",
        "'@SUM(A1)",
        "'\r=x",
        "LêVăn Tám",
        "Nguyễn Thị Ánh Tuyết",
        "  hai khoảng trắng  ",
        "dòng 1\ndòng 2\tcột",
        "a < b && c > d",
        "0912345678",
    ]
    assert values[5] == unicodedata.normalize("NFC", values[5]) and len(values[5]) == 20
    assert values[10] == ""  # an empty text is an empty text cell, not a blank one
    assert values[11] == "x" * xlsx.CELL_MAX_CHARS  # what a cell can hold in Excel
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(2, 12))


def test_every_part_is_well_formed_xml_in_a_sound_zip() -> None:
    report = one_part([(1, "a & b", 1.5, 0.5, date(2000, 1, 1), SUBMITTED, 1000, None)], note_lines=["x"])
    data = xlsx_bytes(report)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[0] == "[Content_Types].xml"  # where file-type sniffers look for it
        assert {"_rels/.rels", "docProps/core.xml", "docProps/app.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} <= set(names)
        assert {"xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= set(names)
        assert "xl/sharedStrings.xml" not in names
        for name in names:
            ElementTree.fromstring(z.read(name))
        types = ElementTree.fromstring(z.read("[Content_Types].xml"))
        parts = {o.get("PartName") for o in types}
        assert {"/" + n for n in names if not n.endswith(".rels") and n != "[Content_Types].xml"} <= parts
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
        assert all(int(f.get("numFmtId")) >= 164 for f in styles.iter(f"{MAIN}numFmt"))
    sheet = sheet_xml(data)
    order = [child.tag.removeprefix(MAIN) for child in sheet]
    assert order == ["sheetViews", "sheetFormatPr", "cols", "sheetData", "pageMargins"]
    pane = sheet.find(f"{MAIN}sheetViews/{MAIN}sheetView/{MAIN}pane")
    assert pane is not None and pane.attrib == {"ySplit": "1", "topLeftCell": "A2", "activePane": "bottomLeft", "state": "frozen"}


def test_empty_report_has_one_plain_sheet() -> None:
    data = xlsx_bytes(Report(title="x", tz=VN, parts=[]))
    assert load_workbook(io.BytesIO(data)).sheetnames == ["Sheet"]
    assert [child.tag.removeprefix(MAIN) for child in sheet_xml(data)] == ["sheetViews", "sheetFormatPr", "sheetData", "pageMargins"]


def test_rows_are_streamed_not_held() -> None:
    buf = io.BytesIO()
    seen: list[int] = []

    def ranked() -> Iterator[tuple]:
        for i in range(1, 60_001):
            if i == 50_000:
                seen.append(buf.tell())  # what had reached the file by then
            yield (i, f"Phạm Quỳnh Anh {i}", 10.0, 0.5, None, SUBMITTED, 60_000 + i, None)

    write_xlsx(Report("x", [Part("Xếp hạng", COLUMNS, ranked())], VN), buf)
    assert seen[0] > 200_000 and buf.tell() > seen[0]
    ws = load_workbook(io.BytesIO(buf.getvalue()), read_only=True)["Xếp hạng"]
    last = list(ws.iter_rows(min_row=60_001, values_only=True))
    assert last[0][:2] == (60_000, "Phạm Quỳnh Anh 60000")


def test_a_row_of_the_wrong_length_and_a_full_sheet_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError):
        write_xlsx(one_part([(1, "a")]), io.BytesIO())
    monkeypatch.setattr(sheets, "XLSX_MAX_ROWS", 3)  # the header and two rows
    with pytest.raises(Invalid) as refused:
        write_xlsx(one_part([(i, "a", 1, 1, None, None, None, None) for i in range(3)]), io.BytesIO())
    assert refused.value.field == "format"
    write_xlsx(one_part([(i, "a", 1, 1, None, None, None, None) for i in range(2)]), io.BytesIO())


def test_helpers() -> None:
    assert [xlsx.column_letter(i) for i in (0, 25, 26, 51, 701, 702, 16_383)] == ["A", "Z", "AA", "AZ", "ZZ", "AAA", "XFD"]
    assert xlsx.column_width(100) == 100.7109375 and xlsx.column_width(0) == 0
    assert xlsx.text_tail(" a") == ' t="inlineStr"><is><t xml:space="preserve"> a</t></is></c>'
    assert xlsx.text_tail("a&<b>") == ' t="inlineStr"><is><t>a&amp;&lt;b&gt;</t></is></c>'
    assert xlsx.xml_attr('a"\n') == "a&quot;&#10;"
    assert xlsx.text_tail("a_x0041_b_x00") == ' t="inlineStr"><is><t>a_x005F_x0041_b_x00</t></is></c>'  # not read as "aAb"
    assert xlsx.text_tail("x\ry") == ' t="inlineStr"><is><t xml:space="preserve">x&#13;y</t></is></c>'
