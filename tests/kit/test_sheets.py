"""Result tables as XLSX and CSV (app.services.kit.sheets): typed cells, neutralised formulas, streaming."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from app.services.kit.sheets import (
    CSV_CHUNK_ROWS,
    Column,
    Part,
    Report,
    format_cell,
    iter_csv,
    neutralise,
    sheet_title,
    write_xlsx,
)
from app.services.results.results import ranking_columns

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SUBMITTED = datetime(2026, 11, 26, 1, 30, tzinfo=timezone.utc)  # 08:30 in Hà Nội
HYPERLINK = '=HYPERLINK("http://x","a")'

COLUMNS = [
    Column("Hạng", width=6, kind="int"),
    Column("Họ và tên", width=28),
    Column("Đơn vị", width=36),
    Column("Điểm", width=8, kind="float"),
    Column("Tỉ lệ đúng", width=10, kind="percent"),
    Column("Ngày sinh", width=12, kind="date"),
    Column("Nộp bài lúc", width=20, kind="datetime"),
]
ROWS = [
    (1, "Nguyễn Thị Ánh Tuyết", "Chi đoàn Thôn Đông Xuyên", 19.5, 0.975, date(2001, 3, 9), SUBMITTED),
    (2, "Trần Văn Bảo", HYPERLINK, 19, 0.95, date(1999, 12, 31), SUBMITTED),
    (3, "+1", "-2", 18.25, 0.875, None, SUBMITTED),
    (4, "@x", "Đoàn xã Yên Phong", 0, 0.0, None, None),
]


def rows_gen() -> Iterator[tuple]:
    yield from ROWS


def workbook(report: Report):
    buf = io.BytesIO()
    write_xlsx(report, buf)
    buf.seek(0)
    return load_workbook(buf)


def test_xlsx_sheets_headers_and_layout() -> None:
    report = Report(
        title="Danh sách xếp hạng — Tuần 1",
        tz=VN,
        note_lines=["SHA-256: abc123", "Niêm phong lúc 26/11/2026"],
        parts=[
            Part("Xếp hạng", COLUMNS, rows_gen()),
            Part("Giải tập thể: [Tuần 1] / đơn vị có tỉ lệ cao nhất", [Column("Đơn vị", 40)], [("Đoàn xã Yên Phong",)]),
        ],
    )
    wb = workbook(report)
    assert wb.sheetnames == ["Xếp hạng", "Giải tập thể Tuần 1 đơn vị có t", "Ghi chú"]
    assert wb.properties.title == "Danh sách xếp hạng — Tuần 1"
    ws = wb["Xếp hạng"]
    assert [c.value for c in ws[1]] == ["Hạng", "Họ và tên", "Đơn vị", "Điểm", "Tỉ lệ đúng", "Ngày sinh", "Nộp bài lúc"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    # Excel stores a width as characters plus the cell padding (6 characters are kept as 6.71): the whole part
    # is the width asked for.
    assert [int(ws.column_dimensions[letter].width) for letter in "ABCDEFG"] == [6, 28, 36, 8, 10, 12, 20]
    assert ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    notes = wb["Ghi chú"]
    assert [r[0] for r in notes.iter_rows(min_row=2, values_only=True)] == ["SHA-256: abc123", "Niêm phong lúc 26/11/2026"]


def test_xlsx_cells_are_typed_and_in_order() -> None:
    ws = workbook(Report(title="x", tz=VN, parts=[Part("Xếp hạng", COLUMNS, rows_gen())])).active
    assert ws.max_row == 1 + len(ROWS)
    assert [ws.cell(row=r, column=1).value for r in range(2, 6)] == [1, 2, 3, 4]
    rank, name, _unit, score, share, born, submitted = ws[2]
    assert rank.data_type == "n" and isinstance(rank.value, int)
    assert name.value == "Nguyễn Thị Ánh Tuyết"
    assert score.value == 19.5 and score.number_format == "0.00"
    assert ws.cell(row=3, column=4).value == 19 and ws.cell(row=3, column=4).number_format == "0.00"
    assert share.value == 0.975 and share.number_format == "0.00%"
    assert born.is_date and born.value == datetime(2001, 3, 9) and born.number_format == "dd/mm/yyyy"
    assert submitted.is_date and submitted.number_format == "dd/mm/yyyy hh:mm:ss"
    assert submitted.value == datetime(2026, 11, 26, 8, 30, 0)  # shown in Asia/Ho_Chi_Minh, zone dropped
    assert ws.cell(row=4, column=6).value is None
    assert ws.cell(row=5, column=7).value is None


def test_xlsx_formula_like_text_stays_text() -> None:
    ws = workbook(Report(title="x", tz=VN, parts=[Part("Xếp hạng", COLUMNS, rows_gen())])).active
    cells = [ws.cell(row=3, column=3), ws.cell(row=4, column=2), ws.cell(row=4, column=3), ws.cell(row=5, column=2)]
    assert [c.value for c in cells] == ["'" + HYPERLINK, "'+1", "'-2", "'@x"]
    assert all(c.data_type == "s" for c in cells)


def test_xlsx_text_that_looks_like_a_number_link_or_date_stays_text() -> None:
    looks = ["0912345678", "http://hoithi.vn/c/abc", "1e5", "01/02/2026", "TRUE", "00123"]
    ws = workbook(Report(title="x", tz=VN, parts=[Part("A", [Column("Giá trị")], ([v] for v in looks))])).active
    cells = [ws.cell(row=r, column=1) for r in range(2, 2 + len(looks))]
    assert [c.value for c in cells] == looks
    assert all(c.data_type == "s" and c.hyperlink is None for c in cells)


def test_xlsx_is_written_in_constant_memory_mode() -> None:
    # Inline strings and no shared string table: each row goes into the sheet's ZIP entry as soon as it is
    # made, so that a list of any length is never held (a shared table would hold every name).
    buf = io.BytesIO()
    write_xlsx(Report(title="x", tz=VN, parts=[Part("Xếp hạng", COLUMNS, rows_gen())]), buf)
    with zipfile.ZipFile(buf) as z:
        assert "xl/sharedStrings.xml" not in z.namelist()
        assert b't="inlineStr"' in z.read("xl/worksheets/sheet1.xml")


def _ranked(n: int) -> Iterator[tuple]:
    """The ranked list of a round as results.ranking_rows yields it (14 columns; None where the data has none)."""
    for i in range(1, n + 1):
        yield (
            i,
            f"HV{i:05d}",
            f"Nguyễn Thị Thử {i}",
            "CB-01",
            "Chi bộ 1, Đảng bộ phường Phú Cường",
            20 - i,
            20 - i,
            20,
            4000 + i if i % 3 else None,
            i * 7 if i % 3 else None,
            61_500 + i,
            SUBMITTED,
            1 + i % 2,
            "Giải Nhất" if i == 1 else None,
        )


def test_xlsx_ranked_list_of_fourteen_columns_reads_back_typed() -> None:
    columns = ranking_columns()
    assert len(columns) == 14
    ws = workbook(Report(title="x", tz=VN, parts=[Part("Xếp hạng", columns, _ranked(300))]))["Xếp hạng"]
    assert ws.freeze_panes == "A2" and ws.max_row == 301 and ws.max_column == 14
    assert [c.value for c in ws[1]] == [c.header for c in columns]
    widths = [ws.column_dimensions[chr(ord("A") + i)].width for i in range(14)]
    assert [int(w) for w in widths] == [c.width for c in columns]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == list(range(1, 301))  # in order
    first, second, third = rows[:3]
    assert first == (
        1,
        "HV00001",
        "Nguyễn Thị Thử 1",
        "CB-01",
        "Chi bộ 1, Đảng bộ phường Phú Cường",
        19,
        19,
        20,
        4001,
        7,
        timedelta(milliseconds=61_501),
        datetime(2026, 11, 26, 8, 30),
        2,
        "Giải Nhất",
    )
    assert second[-1] is None and third[8] is None and third[9] is None
    assert all(isinstance(v, int) for v in first[5:10])
    assert ws.cell(row=2, column=11).number_format == "[m]:ss"  # an Excel duration shown m:ss, exact to the ms
    stamp = ws.cell(row=2, column=12)
    assert stamp.is_date and stamp.number_format == "dd/mm/yyyy hh:mm:ss"
    assert ws.cell(row=2, column=1).number_format == "General"


def test_xlsx_control_characters_are_dropped_and_empty_report_opens() -> None:
    ws = workbook(Report(title="x", tz=VN, parts=[Part("A", [Column("Tên")], [("Lê\x0bVăn\x00 Tám",)])])).active
    assert ws["A2"].value == "LêVăn Tám"
    assert workbook(Report(title="x", tz=VN, parts=[])).sheetnames == ["Sheet"]


def test_sheet_title_is_cleaned_shortened_and_unique() -> None:
    taken: set[str] = set()
    first = sheet_title("Tuần 1: kết quả [chính thức] / *bản in?* \\ của ban giám khảo", taken)
    assert len(first) <= 31 and not set(first) & set("[]:*?/\\")
    assert first.startswith("Tuần 1 kết quả chính thức")
    assert sheet_title("'Xếp hạng'", taken) == "Xếp hạng"
    assert sheet_title("xếp hạng", taken) == "xếp hạng (2)"
    assert sheet_title("***", taken) == "Sheet"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+84912345678", "'+84912345678"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =cmd", "'  =cmd"),
        ("\t1", "'\t1"),
        ("\r=x", "'\r=x"),
        ("＝1", "'＝1"),
        ("Nguyễn Văn A", "Nguyễn Văn A"),
        ("Chi đoàn 3-2", "Chi đoàn 3-2"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(raw: str, expected: str) -> None:
    assert neutralise(raw) == expected


def test_format_cell_one_rendering() -> None:
    text, num, pct = Column("Tên"), Column("Điểm", kind="float"), Column("Tỉ lệ", kind="percent")
    assert format_cell(None, text, VN) == ""
    assert format_cell(17, Column("Hạng", kind="int"), VN) == "17"
    assert format_cell(17, num, VN) == "17.00"
    assert format_cell(18.255, num, VN) == "18.25" or format_cell(18.255, num, VN) == "18.26"
    assert format_cell(1234.5, num, VN) == "1234.50"
    assert format_cell(0.875, pct, VN) == "87.50"
    assert format_cell(1, pct, VN) == "100.00"
    assert format_cell(date(2026, 1, 5), Column("Ngày", kind="date"), VN) == "05/01/2026"
    assert format_cell(SUBMITTED, Column("Lúc", kind="datetime"), VN) == "26/11/2026 08:30:00"
    assert format_cell(datetime(2026, 11, 26, 17, 0, 1), Column("Lúc", kind="datetime"), VN) == "27/11/2026 00:00:01"
    assert format_cell(datetime(2026, 11, 26, 17, 0, 1), Column("Ngày", kind="date"), VN) == "27/11/2026"
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    assert format_cell(decomposed, text, VN) == unicodedata.normalize("NFC", "Nguyễn Thị Ánh Tuyết")
    assert format_cell("=1", text, VN) == "'=1"
    with pytest.raises(ValueError):
        Column("x", kind="money")


def csv_rows(chunks: Iterator[bytes]) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith(codecs.BOM_UTF8)
    text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_rows_text_and_dates() -> None:
    chunks = list(iter_csv(Part("Xếp hạng", COLUMNS, rows_gen()), VN))
    assert b"".join(chunks).count(b"\r\n") == 1 + len(ROWS) and b"\n" not in b"".join(chunks).replace(b"\r\n", b"")
    rows = csv_rows(iter(chunks))
    assert rows == [
        ["Hạng", "Họ và tên", "Đơn vị", "Điểm", "Tỉ lệ đúng", "Ngày sinh", "Nộp bài lúc"],
        ["1", "Nguyễn Thị Ánh Tuyết", "Chi đoàn Thôn Đông Xuyên", "19.50", "97.50", "09/03/2001", "26/11/2026 08:30:00"],
        ["2", "Trần Văn Bảo", "'" + HYPERLINK, "19.00", "95.00", "31/12/1999", "26/11/2026 08:30:00"],
        ["3", "'+1", "'-2", "18.25", "87.50", "", "26/11/2026 08:30:00"],
        ["4", "'@x", "Đoàn xã Yên Phong", "0.00", "0.00", "", ""],
    ]


def test_csv_quotes_commas_quotes_and_newlines() -> None:
    part = Part("x", [Column("Đơn vị"), Column("Ghi chú")], [('Chi đoàn "Thanh niên", xã Hòa Bình', "dòng 1\ndòng 2")])
    assert csv_rows(iter_csv(part, VN))[1] == ['Chi đoàn "Thanh niên", xã Hòa Bình', "dòng 1\ndòng 2"]


def test_csv_streams_a_big_list_lazily() -> None:
    consumed = 0

    def ranked() -> Iterator[tuple]:
        nonlocal consumed
        for i in range(100_000):
            consumed += 1
            yield (i + 1, f"Phạm Quỳnh Anh {i}", "Chi đoàn 1", 10.0, 0.5, None, SUBMITTED)

    chunks = iter_csv(Part("x", COLUMNS, ranked()), VN)
    first = next(chunks)
    assert first.startswith(codecs.BOM_UTF8)
    assert consumed <= CSV_CHUNK_ROWS + 1  # the generator is nowhere near exhausted
    second = next(chunks)
    assert not second.startswith(codecs.BOM_UTF8)
    rest = list(itertools.islice(chunks, 1_000))
    assert consumed == 100_000
    lines = b"".join([first, second, *rest]).decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("Hạng,") and lines[100_000].startswith("100000,Phạm Quỳnh Anh 99999,")
    assert lines[-1] == ""


def test_csv_header_only_when_no_rows() -> None:
    assert csv_rows(iter_csv(Part("x", COLUMNS[:2], iter(())), VN)) == [["Hạng", "Họ và tên"]]


def test_xlsx_refuses_a_list_longer_than_a_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.errors import Invalid
    from app.services.kit import sheets

    monkeypatch.setattr(sheets, "XLSX_MAX_ROWS", 4)  # the header and three rows
    with pytest.raises(Invalid):
        write_xlsx(Report(title="x", tz=VN, parts=[Part("Xếp hạng", COLUMNS, rows_gen())]), io.BytesIO())
    write_xlsx(Report(title="x", tz=VN, parts=[Part("Xếp hạng", COLUMNS, ROWS[:3])]), io.BytesIO())
