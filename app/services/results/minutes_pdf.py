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
from typing import BinaryIO
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from app.services.kit.pdf import (
    HEAD_FILL,
    MARGIN,
    MONO,
    NUMERIC,
    SANS,
    col_widths,
    draw_table,
    fit,
    national_heading,
    prepare,
    signatures,
    text_width,
)
from app.services.kit.sheets import VN_TZ, Column, Part, format_cell
from app.services.kit.text import nfc

ANNEX_TITLE = "Phụ lục: Danh sách xếp hạng"
NOT_SEALED = "Chưa niêm phong"
ISSUER = "BAN GIÁM KHẢO"
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
_RIGHT_ALIGNED = (*NUMERIC, "date", "datetime")
_PLACED_CACHE = 5000
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


def _heading_block(pdf: FPDF, minutes: Minutes) -> None:
    national_heading(pdf, organisation=minutes.organisation, issuer=ISSUER, place_date=minutes.place_date)
    pdf.set_font(SANS, "B", 15)
    pdf.cell(0, 8, "BIÊN BẢN XÉT GIẢI", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "B", 11)
    pdf.multi_cell(0, 6, _nfc(minutes.contest_title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 10.5)
    pdf.multi_cell(0, 6, _nfc(minutes.round_title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


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
            self.widths = col_widths(pdf, self.part.columns, pdf.epw, font_pt=_ANNEX_PT, pad=self.pad, one_line=True)
            self.lefts = [MARGIN + sum(self.widths[:i]) for i in range(len(self.widths))]
        self.bottom = pdf.h - MARGIN - 3

    def _head(self) -> None:
        pdf = self.pdf
        pdf.set_font(SANS, "B", _ANNEX_PT)
        pdf.set_fill_color(*HEAD_FILL)
        y = pdf.get_y()
        pdf.rect(MARGIN, y, pdf.epw, _ANNEX_ROW_H + 1, style="F")
        for column, left, width in zip(self.part.columns, self.lefts, self.widths, strict=True):
            text = fit(pdf, _nfc(column.header), width - 2 * self.pad)
            x = left + width - self.pad - text_width(pdf, text) if column.kind in _RIGHT_ALIGNED else left + self.pad
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
                        spot = (left + width - self.pad - text_width(pdf, text), text)
                    else:
                        spot = (left + self.pad, fit(pdf, text, width - 2 * self.pad))
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
