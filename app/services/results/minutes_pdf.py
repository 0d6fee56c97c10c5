"""The prize minutes (Biên bản xét giải) of a round as a PDF the judges print, sign and file.

fpdf2 with DejaVu Sans embedded (subset): every Vietnamese letter renders and stays extractable as text,
so the winners and the seal digest can be searched and copied from the file. The fonts are vendored in
app/static/fonts (see LICENSE-DejaVu.txt) because a server's system fonts cannot be relied on.

Table cells go through sheets.format_cell, the rendering the CSV and the seal digest use, so a figure reads
the same on paper as in the downloaded list. The optional annex (the whole ranked list, up to ~100,000
rows) is drawn with plain text calls rather than fpdf2's table(): that one lays out every cell as a
paragraph and is several times slower on lists of this size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from fpdf import FPDF, FontFace
from fpdf.enums import Align, XPos, YPos

from app.services.kit.sheets import VN_TZ, Column, Part, format_cell
from app.services.kit.text import nfc

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "static" / "fonts"
SANS, MONO = "DejaVuSans", "DejaVuSansMono"
MARGIN = 15.0  # mm
ANNEX_TITLE = "Phụ lục: Danh sách xếp hạng"
NOT_SEALED = "Chưa niêm phong"
ISSUER = "BAN GIÁM KHẢO"
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
_NUMERIC = ("int", "float", "percent")
_RIGHT_ALIGNED = (*_NUMERIC, "date", "datetime")
_PLACED_CACHE = 5000
_SAMPLES = {"date": "00/00/0000", "datetime": "00/00/0000 00:00:00"}
_HEAD_FILL = (221, 235, 247)
_ZEBRA_FILL = (242, 242, 242)
_ANNEX_PT, _ANNEX_ROW_H = 7, 3.6  # ~70 rows a page: a 100,000-row list is ~1,450 pages
_ANNEX_PORTRAIT_COLUMNS = 9


@dataclass
class Minutes:
    organisation: str  # the scope unit, e.g. "Đoàn Thanh niên tỉnh Bắc Ninh"
    contest_title: str
    round_title: str
    place_date: str  # "Bắc Ninh, ngày 26 tháng 11 năm 2026", formatted by the caller
    criteria: list[str]  # counted attempt rule, tie-break chain, prize rule
    totals: list[tuple[str, str]]  # (label, value): participants, attempts, perfect scorers, participation …
    prediction: tuple[str, str] | None  # (question prompt, true value as text)
    winners: Part
    unit_winners: Part | None  # collective prizes
    digest: str | None  # SHA-256 hex of the sealed list; None prints NOT_SEALED
    sealed_at: str | None  # already formatted
    signatures: list[str]  # e.g. ["TRƯỞNG BAN GIÁM KHẢO", "THƯ KÝ"]
    annex: Part | None = None  # the full ranked list, appended as ANNEX_TITLE
    disqualified: Part | None = None  # attempts the judges disqualified, with their reasons
    tz: ZoneInfo = field(default=VN_TZ)


_nfc = nfc


class _MinutesPDF(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(SANS, "", 8)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align=Align.C)


def _new_pdf(minutes: Minutes) -> _MinutesPDF:
    pdf = _MinutesPDF(orientation="portrait", unit="mm", format="A4")
    prepare(pdf, title=f"Biên bản xét giải — {minutes.contest_title} — {minutes.round_title}", author=minutes.organisation, mono=True)
    return pdf


def prepare(pdf: FPDF, *, title: str, author: str, mono: bool = False) -> None:
    """What every PDF of hoithi shares: DejaVu embedded (Vietnamese), A4 margins, Vietnamese metadata."""
    pdf.add_font(SANS, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(SANS, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    if mono:
        pdf.add_font(MONO, "", FONT_DIR / "DejaVuSansMono.ttf")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN + 3)
    pdf.set_title(_nfc(title))
    pdf.set_author(_nfc(author))
    pdf.set_creator("hoithi")
    pdf.set_lang("vi")


def _heading_block(pdf: FPDF, minutes: Minutes) -> None:
    national_heading(pdf, organisation=minutes.organisation, issuer=ISSUER, place_date=minutes.place_date)
    pdf.set_font(SANS, "B", 15)
    pdf.cell(0, 8, "BIÊN BẢN XÉT GIẢI", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "B", 11)
    pdf.multi_cell(0, 6, _nfc(minutes.contest_title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 10.5)
    pdf.multi_cell(0, 6, _nfc(minutes.round_title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def national_heading(pdf: FPDF, *, organisation: str, issuer: str, place_date: str, number: str | None = None) -> None:
    """The administrative heading: the issuing body (and the act's number) on the left, the national motto and
    the place and date on the right."""
    left_w = 75.0
    right_w = pdf.epw - left_w
    top = pdf.get_y()
    pdf.set_font(SANS, "", 10)
    pdf.multi_cell(left_w, 5, _nfc(organisation).upper(), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "B", 10)
    pdf.cell(left_w, 5, _nfc(issuer), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.line(MARGIN + left_w / 2 - 12, pdf.get_y() + 0.5, MARGIN + left_w / 2 + 12, pdf.get_y() + 0.5)
    if number:
        pdf.ln(2)
        pdf.set_font(SANS, "", 9.5)
        pdf.cell(left_w, 5, _nfc(number), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()
    pdf.set_xy(MARGIN + left_w, top)
    pdf.set_font(SANS, "B", 9.5)
    pdf.multi_cell(right_w, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(SANS, "B", 10)
    pdf.multi_cell(right_w, 5, "Độc lập - Tự do - Hạnh phúc", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    line_w = pdf.get_string_width("Độc lập - Tự do - Hạnh phúc")
    pdf.line(MARGIN + left_w + (right_w - line_w) / 2, pdf.get_y(), MARGIN + left_w + (right_w + line_w) / 2, pdf.get_y())
    pdf.ln(2)
    pdf.set_font(SANS, "", 9.5)
    pdf.set_x(MARGIN + left_w)
    pdf.multi_cell(right_w, 5, _nfc(place_date), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)


def _section(pdf: FPDF, number: int, title: str) -> None:
    if pdf.will_page_break(20):  # keep a heading with the first lines under it
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(SANS, "B", 11)
    pdf.cell(0, 7, f"{_ROMAN[number - 1]}. {title}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 10)


def _lines(pdf: FPDF, lines: Sequence[str]) -> None:
    for line in lines:
        pdf.set_x(MARGIN + 4)
        pdf.multi_cell(pdf.epw - 4, 5.5, "- " + _nfc(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _text_width(pdf: FPDF, text: str) -> float:
    # The font's own advance widths, without get_string_width's fragment building: the annex measures
    # a few hundred thousand cells, and its text is NFC, unshaped, with no spacing or stretching set.
    assert pdf.current_font is not None
    return pdf.current_font.get_text_width(text, pdf.font_size_pt, None)[1] / pdf.k


def _col_widths(
    pdf: FPDF,
    columns: Sequence[Column],
    total: float,
    *,
    font_pt: float,
    pad: float,
    one_line: bool = False,
    content: Sequence[Sequence[str]] = (),
) -> list[float]:
    """Widths in proportion to Column.width, but no header word split across lines ("Hạng" in a narrow
    column), no date broken in two, nor any word of the `content` rows (a member code, a phone number)
    when it fits a third of the page: such columns get what they need and the others share the rest."""
    pdf.set_font(SANS, "B", font_pt)
    need = _header_needs(pdf, columns, one_line)
    pdf.set_font(SANS, "", font_pt)
    need = _content_needs(pdf, columns, need, total, content)
    need = [n + 2 * pad + 0.5 for n in need]
    if sum(need) >= total:  # too many columns for the page: everyone gets a share of what they need
        return [total * n / sum(need) for n in need]
    return _share(columns, need, total)


def _header_needs(pdf: FPDF, columns: Sequence[Column], one_line: bool) -> list[float]:
    """The width of each header's longest word, at the current (bold) font."""
    if one_line:  # a header cut with an ellipsis still names its column: it claims its first word at most
        return [_text_width(pdf, (_nfc(c.header).split() or [""])[0] + "…") for c in columns]
    return [max(_text_width(pdf, word) for word in _nfc(c.header).split() or [""]) for c in columns]


def _content_needs(pdf: FPDF, columns: Sequence[Column], need: list[float], total: float, content: Sequence[Sequence[str]]) -> list[float]:
    """`need` widened to a whole date or time, and to the content's longer words up to a third of `total`."""
    # Dates and times have one length; split over two lines they are hard to read.
    need = [max(n, _text_width(pdf, _SAMPLES[c.kind]) if c.kind in _SAMPLES else 0) for n, c in zip(need, columns, strict=True)]
    for row in content:
        for i, text in enumerate(row):
            for word in text.split():
                if len(word) > 3:  # short words fit anyway
                    need[i] = max(need[i], min(_text_width(pdf, word), total / 3))
    return need


def _share(columns: Sequence[Column], need: list[float], total: float) -> list[float]:
    """`total` shared in proportion to Column.width, no column below its need (the needs fit in `total`)."""
    fixed: set[int] = set()
    while True:  # columns held at their need leave less to share, which may push others below theirs
        free = total - sum(need[i] for i in fixed)
        weight = sum(c.width for i, c in enumerate(columns) if i not in fixed) or 1
        widths = [need[i] if i in fixed else free * c.width / weight for i, c in enumerate(columns)]
        short = {i for i, w in enumerate(widths) if i not in fixed and w < need[i]}
        if not short:
            return widths
        fixed |= short


def draw_table(pdf: FPDF, part: Part, tz: ZoneInfo) -> int:
    """A bordered table whose header repeats on each page; long names wrap inside their cell."""
    columns = part.columns
    font_pt = 9 if len(columns) <= 6 else 8 if len(columns) <= 9 else 7  # more columns on the same A4 width
    # Prize lists are short (hundreds of rows at most): rendered up front, they also size the columns.
    rows = [[format_cell(value, column, tz) for value, column in zip(values, columns, strict=True)] for values in part.rows]
    widths = _col_widths(pdf, columns, pdf.epw, font_pt=font_pt, pad=1, content=rows)
    pdf.set_font(SANS, "", font_pt)
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        line_height=font_pt * 0.5,
        text_align=tuple("RIGHT" if c.kind in _NUMERIC else "LEFT" for c in columns),
        headings_style=FontFace(emphasis="BOLD", fill_color=_HEAD_FILL),
        repeat_headings=1,
        padding=1,
    ) as table:
        head = table.row()
        for column in columns:
            head.cell(_nfc(column.header), align=Align.C)
        for texts in rows:
            row = table.row()
            for text in texts:
                row.cell(text)
    pdf.ln(2)
    return len(rows)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Text cut with an ellipsis to fit `width` at the current font (the annex keeps one line per member)."""
    if _text_width(pdf, text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if _text_width(pdf, text[:mid].rstrip() + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


class _Annex:
    """The full ranked list in a compact one-line-per-row table, header repeated on every page."""

    def __init__(self, pdf: FPDF, part: Part, tz: ZoneInfo) -> None:
        self.pdf, self.part, self.tz = pdf, part, tz
        self.pad = 0.8
        # A wide list (contact details, prediction error, …) reads better across an A4 turned sideways.
        self.orientation = "landscape" if len(part.columns) > _ANNEX_PORTRAIT_COLUMNS else "portrait"
        self.widths: list[float] = []
        self.lefts: list[float] = []

    def _page(self) -> None:
        pdf = self.pdf
        pdf.add_page(orientation=self.orientation)
        if not self.widths:  # the page's width is known once the first page of the annex is open
            self.widths = _col_widths(pdf, self.part.columns, pdf.epw, font_pt=_ANNEX_PT, pad=self.pad, one_line=True)
            self.lefts = [MARGIN + sum(self.widths[:i]) for i in range(len(self.widths))]
        self.bottom = pdf.h - MARGIN - 3

    def _head(self) -> None:
        pdf = self.pdf
        pdf.set_font(SANS, "B", _ANNEX_PT)
        pdf.set_fill_color(*_HEAD_FILL)
        y = pdf.get_y()
        pdf.rect(MARGIN, y, pdf.epw, _ANNEX_ROW_H + 1, style="F")
        for column, left, width in zip(self.part.columns, self.lefts, self.widths, strict=True):
            text = _fit(pdf, _nfc(column.header), width - 2 * self.pad)
            x = left + width - self.pad - _text_width(pdf, text) if column.kind in _RIGHT_ALIGNED else left + self.pad
            pdf.text(x, y + _ANNEX_ROW_H - 0.6, text)
        pdf.set_y(y + _ANNEX_ROW_H + 1)
        pdf.set_font(SANS, "", _ANNEX_PT)
        pdf.set_fill_color(*_ZEBRA_FILL)

    def draw(self) -> int:
        pdf = self.pdf
        pdf.set_auto_page_break(False)  # rows are placed by hand; the page break is ours
        self._page()
        pdf.set_font(SANS, "B", 11)
        pdf.cell(0, 7, ANNEX_TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
        self._head()
        # Unit names, scores and times repeat all down a big list: where each text lands (and how it is
        # cut) is measured once per column, within a bound.
        cells: list[tuple[Column, float, float, bool, dict[str, tuple[float, str]]]] = [
            (c, left, width, c.kind in _RIGHT_ALIGNED, {})
            for c, left, width in zip(self.part.columns, self.lefts, self.widths, strict=True)
        ]
        baseline = _ANNEX_ROW_H - 0.9
        count = 0
        y = pdf.get_y()
        for values in self.part.rows:
            if y + _ANNEX_ROW_H > self.bottom:
                self._page()
                self._head()
                y = pdf.get_y()
            if count % 2:
                pdf.rect(MARGIN, y, pdf.epw, _ANNEX_ROW_H, style="F")
            for value, (column, left, width, right, placed) in zip(values, cells, strict=True):
                text = format_cell(value, column, self.tz)
                if not text:
                    continue
                spot = placed.get(text)
                if spot is None:
                    if right:
                        spot = (left + width - self.pad - _text_width(pdf, text), text)
                    else:
                        spot = (left + self.pad, _fit(pdf, text, width - 2 * self.pad))
                    if len(placed) < _PLACED_CACHE:
                        placed[text] = spot
                pdf.text(spot[0], y + baseline, spot[1])
            y += _ANNEX_ROW_H
            count += 1
        pdf.set_y(y)
        pdf.set_auto_page_break(True, margin=MARGIN + 3)
        return count


def _seal(pdf: FPDF, minutes: Minutes) -> None:
    if minutes.digest is None:
        pdf.set_font(SANS, "B", 10)
        pdf.multi_cell(0, 5.5, f"{NOT_SEALED}: danh sách xếp hạng có thể còn thay đổi.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    pdf.multi_cell(0, 5.5, "Mã niêm phong (SHA-256) của danh sách xếp hạng:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(MONO, "", 8.5)
    pdf.set_x(MARGIN + 4)
    pdf.multi_cell(pdf.epw - 4, 5, minutes.digest, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 10)
    if minutes.sealed_at:
        pdf.multi_cell(0, 5.5, f"Niêm phong lúc: {_nfc(minutes.sealed_at)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def signatures(pdf: FPDF, titles: Sequence[str]) -> None:
    if not titles:
        return
    if pdf.will_page_break(45):  # a signature block alone is worth more than one split from its titles
        pdf.add_page()
    pdf.ln(6)
    width = pdf.epw / len(titles)
    top = pdf.get_y()
    for i, title in enumerate(titles):
        pdf.set_xy(MARGIN + i * width, top)
        pdf.set_font(SANS, "B", 10)
        pdf.multi_cell(width, 5.5, _nfc(title), align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(SANS, "", 9)
        pdf.multi_cell(width, 5, "(Ký, ghi rõ họ tên)", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(top + 40)


def write_minutes_pdf(minutes: Minutes, fh: BinaryIO) -> None:
    pdf = _new_pdf(minutes)
    pdf.add_page()
    _heading_block(pdf, minutes)
    number = 0

    def section(title: str) -> None:
        nonlocal number
        number += 1
        _section(pdf, number, title)

    section("Tiêu chí xếp hạng")
    _lines(pdf, minutes.criteria)
    section("Số liệu")
    pdf.set_font(SANS, "", 10)
    with pdf.table(
        col_widths=(2, 1), width=pdf.epw, first_row_as_headings=False, text_align=("LEFT", "RIGHT"), line_height=5.5, padding=1
    ) as table:
        for label, value in minutes.totals:
            row = table.row()
            row.cell(_nfc(label))
            row.cell(_nfc(value))
    if minutes.prediction is not None:
        section("Đáp án câu hỏi dự đoán")
        prompt, truth = minutes.prediction
        _lines(pdf, [f"Câu hỏi: {prompt}", f"Đáp án đúng: {truth}"])
    section("Danh sách đạt giải")
    if draw_table(pdf, minutes.winners, minutes.tz) == 0:
        pdf.multi_cell(0, 5.5, "Không có người đạt giải.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if minutes.unit_winners is not None:
        section("Giải tập thể")
        draw_table(pdf, minutes.unit_winners, minutes.tz)
    if minutes.disqualified is not None:
        section("Lượt thi bị loại")
        if draw_table(pdf, minutes.disqualified, minutes.tz) == 0:
            pdf.multi_cell(0, 5.5, "Không có lượt thi nào bị loại.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    section("Niêm phong kết quả")
    _seal(pdf, minutes)
    signatures(pdf, minutes.signatures)
    if minutes.annex is not None:
        _Annex(pdf, minutes.annex, minutes.tz).draw()
    fh.write(pdf.output())
