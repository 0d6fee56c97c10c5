"""The prize minutes PDF (app.services.results.minutes_pdf), read back as text with pypdf."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, timezone

from pypdf import PdfReader

from app.services.kit.pdf import FONT_DIR
from app.services.kit.sheets import Column, Part
from app.services.results.minutes_pdf import ANNEX_TITLE, NOT_SEALED, Minutes, write_minutes_pdf

SUBMITTED = datetime(2026, 11, 26, 1, 30, tzinfo=timezone.utc)
DIGEST = hashlib.sha256("danh sách xếp hạng tuần 1".encode()).hexdigest()
WINNER_COLUMNS = [
    Column("Giải", 14),
    Column("Hạng", 6, "int"),
    Column("Họ và tên", 30),
    Column("Đơn vị", 36),
    Column("Điểm", 8, "float"),
    Column("Nộp bài lúc", 20, "datetime"),
]
NAMES = [
    "Nguyễn Thị Ánh Tuyết",
    "Trần Văn Bảo",
    "Lê Hoàng Phương Thảo",
    "Phạm Quỳnh Anh",
    "Đặng Hữu Nghĩa",
    "Vũ Thị Ngọc Diệp",
    "Hoàng Đức Mạnh",
    "Bùi Thị Thu Hường",
    "Đỗ Minh Khôi",
    "Ngô Thị Yến",
]
PRIZES = ["Giải Nhất", "Giải Nhì", "Giải Nhì", "Giải Ba", "Giải Ba", "Giải Ba"] + ["Giải Khuyến khích"] * 4


def winners() -> Part:
    rows = [
        (PRIZES[i], i + 1, name, "Chi đoàn Thôn Đông Xuyên, xã Yên Phong, huyện Yên Phong, tỉnh Bắc Ninh", 20 - i * 0.5, SUBMITTED)
        for i, name in enumerate(NAMES)
    ]
    return Part("Đạt giải", WINNER_COLUMNS, rows)


def minutes(**changes) -> Minutes:
    values = dict(
        organisation="Đoàn Thanh niên tỉnh Bắc Ninh",
        contest_title="Cuộc thi trực tuyến tìm hiểu Nghị quyết Đại hội Đảng bộ tỉnh lần thứ XX",
        round_title="Tuần 1 (từ 20/11 đến 26/11/2026)",
        place_date="Bắc Ninh, ngày 26 tháng 11 năm 2026",
        criteria=[
            "Mỗi người tính lượt thi có điểm cao nhất.",
            "Bằng điểm: dự đoán gần đúng hơn, rồi thời gian làm bài ngắn hơn, rồi nộp bài sớm hơn.",
            "Cơ cấu giải: 1 giải Nhất, 2 giải Nhì, 3 giải Ba, 4 giải Khuyến khích.",
        ],
        totals=[("Số người dự thi", "12.345"), ("Số lượt thi", "23.456"), ("Số người đạt điểm tuyệt đối", "1.234")],
        prediction=("Có bao nhiêu người trả lời đúng tất cả các câu hỏi?", "1.234"),
        winners=winners(),
        unit_winners=Part(
            "Tập thể",
            [Column("Giải", 14), Column("Đơn vị", 50), Column("Tỉ lệ tham gia (%)", 14, "percent")],
            [("Giải Nhất", "Đoàn xã Yên Phong", 0.9234), ("Giải Nhì", "Đoàn phường Suối Hoa", 0.8811)],
        ),
        digest=DIGEST,
        sealed_at="26/11/2026 09:00:00",
        signatures=["TRƯỞNG BAN GIÁM KHẢO", "THƯ KÝ"],
    )
    values.update(changes)
    return Minutes(**values)


def render(m: Minutes) -> tuple[PdfReader, list[str]]:
    buf = io.BytesIO()
    write_minutes_pdf(m, buf)
    assert buf.getvalue().startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(buf.getvalue()))
    return reader, [unicodedata.normalize("NFC", page.extract_text()) for page in reader.pages]


def test_minutes_text_is_vietnamese_and_complete() -> None:
    _reader, pages = render(minutes())
    text = "\n".join(pages)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ĐOÀN THANH NIÊN TỈNH BẮC NINH",
        "BIÊN BẢN XÉT GIẢI",
        "Bắc Ninh, ngày 26 tháng 11 năm 2026",
        "Tuần 1 (từ 20/11 đến 26/11/2026)",
        "I. Tiêu chí xếp hạng",
        "II. Số liệu",
        "III. Đáp án câu hỏi dự đoán",
        "IV. Danh sách đạt giải",
        "V. Giải tập thể",
        "Số người đạt điểm tuyệt đối",
        "1.234",
        "Đoàn phường Suối Hoa",
        "92.34",
        "TRƯỞNG BAN GIÁM KHẢO",
        "THƯ KÝ",
        "(Ký, ghi rõ họ tên)",
        "Niêm phong lúc: 26/11/2026 09:00:00",
        "26/11/2026 08:30:00",
        "Nguyễn Thị Ánh Tuyết",
        "Bùi Thị Thu Hường",
    ):
        assert expected in text, expected
    assert "BAN GIÁM KHẢO" in text[: text.index("BIÊN BẢN XÉT GIẢI")]  # the issuing panel, in the heading
    assert NOT_SEALED not in text and ANNEX_TITLE not in text
    assert DIGEST in re.sub(r"\s+", "", text)


def test_winners_in_rank_order() -> None:
    _reader, pages = render(minutes())
    text = " ".join("\n".join(pages).split())  # a prize name may wrap inside its cell
    positions = [text.index(name) for name in NAMES]
    assert positions == sorted(positions)
    assert text.index("Giải Nhất") < text.index("Trần Văn Bảo") < text.index("Giải Khuyến khích")


def test_page_numbers_count_all_pages() -> None:
    reader, pages = render(minutes())
    total = len(reader.pages)
    assert "Trang 1/" in pages[0]
    for number, page in enumerate(pages, 1):
        assert f"Trang {number}/{total}" in page


def test_not_sealed_and_no_prediction() -> None:
    _reader, pages = render(minutes(digest=None, sealed_at=None, prediction=None, unit_winners=None))
    text = "\n".join(pages)
    assert NOT_SEALED in text
    assert "SHA-256" not in text and "Đáp án câu hỏi dự đoán" not in text and "Giải tập thể" not in text
    assert "III. Danh sách đạt giải" in text  # sections are numbered without gaps


def test_fonts_are_embedded_from_the_app() -> None:
    assert FONT_DIR.is_dir() and (FONT_DIR / "DejaVuSans.ttf").is_file() and (FONT_DIR / "LICENSE-DejaVu.txt").is_file()
    assert FONT_DIR.parts[-3:] == ("app", "static", "fonts")
    reader, _pages = render(minutes())
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(f.get_object()["/BaseFont"]) for f in fonts.values()}
    assert any("DejaVuSans" in n for n in names)
    descendants = [f.get_object()["/DescendantFonts"][0].get_object() for f in fonts.values()]
    assert all("/FontFile2" in d["/FontDescriptor"] for d in descendants)  # embedded, not referenced


def test_annex_lists_everyone_with_header_on_each_page() -> None:
    columns = [
        Column("Hạng", 6, "int"),
        Column("Họ và tên", 28),
        Column("Đơn vị", 36),
        Column("Điểm", 8, "float"),
        Column("Nộp bài lúc", 20, "datetime"),
    ]
    long_unit = "Chi đoàn Thôn Đông Xuyên thuộc Đoàn xã Yên Phong, huyện Yên Phong, tỉnh Bắc Ninh, nhiệm kỳ 2022-2027"
    consumed = 0

    def ranked() -> Iterator[tuple]:
        nonlocal consumed
        for i in range(1, 401):
            consumed += 1
            yield (i, f"{NAMES[i % len(NAMES)]} {i}", long_unit if i == 7 else f"Chi đoàn {i % 13}", 20 - i / 100, SUBMITTED)

    reader, pages = render(minutes(annex=Part("Xếp hạng", columns, ranked())))
    assert consumed == 400
    text = "\n".join(pages)
    assert ANNEX_TITLE in text
    annex_pages = pages[next(i for i, p in enumerate(pages) if ANNEX_TITLE in p) :]
    assert len(annex_pages) >= 4
    assert all("Họ và tên" in p and "Nộp bài lúc" in p for p in annex_pages)
    annex = "\n".join(annex_pages)
    assert f"400 {NAMES[0]} 400" in annex and "16.00" in annex
    positions = [annex.index(f"{NAMES[i % len(NAMES)]} {i} ") for i in (1, 2, 100, 399, 400)]
    assert positions == sorted(positions)
    # a unit name too long for its column is cut on one line, not spilled over the next column
    assert long_unit not in annex and "Chi đoàn Thôn Đông Xuyên" in annex and "…" in annex
    assert f"Trang {len(reader.pages)}/{len(reader.pages)}" in pages[-1]


def test_wide_tables_keep_dates_on_one_line() -> None:
    headers = [
        "Giải",
        "Hạng",
        "Họ và tên",
        "Mã hội viên",
        "Ngày sinh",
        "Số điện thoại",
        "CCCD (4 số cuối)",
        "Mã đơn vị",
        "Đơn vị",
        "Điểm",
        "Nộp bài lúc",
    ]
    kinds = {"Hạng": "int", "Điểm": "int", "Ngày sinh": "date", "Nộp bài lúc": "datetime"}
    widths = [18, 7, 28, 14, 12, 14, 12, 12, 30, 8, 20]
    columns = [Column(h, w, kinds.get(h, "text")) for h, w in zip(headers, widths, strict=True)]
    row = (
        "Giải Nhất",
        1,
        "Nguyễn Thị Ánh Tuyết",
        "BN000001",
        date(2001, 3, 9),
        "0912345678",
        "1234",
        "BN-YP-01",
        "Chi đoàn Thôn Đông Xuyên",
        20,
        SUBMITTED,
    )
    annex = Part(
        "Xếp hạng",
        [*columns, Column("Dự đoán", 10, "int"), Column("Sai số", 10, "int"), Column("Số lượt", 10, "int")],
        [(*row, 4000, 3, 2)],
    )
    reader, pages = render(minutes(winners=Part("Đạt giải", columns, [row]), annex=annex))
    text = "\n".join(pages)
    assert text.count("26/11/2026 08:30:00") == 2 and text.count("09/03/2001") == 2
    assert "Nguyễn Thị Ánh Tuyết" in " ".join(pages[0].split())  # may wrap in the winners table
    assert "1 Nguyễn Thị Ánh Tuyết BN000001" in pages[-1] and "0912345678" in pages[-1]  # one line in the annex
    first, last = reader.pages[0].mediabox, reader.pages[-1].mediabox
    assert first.width < first.height and last.width > last.height  # a 14-column annex turns the page
