"""The compiled essays of a unit (tập bài thu hoạch) as a PDF the cell prints and sends upward: a cover sheet
(organisation, unit, campaign, counts, participation, date), then each essay on its own pages.

fpdf2 with the DejaVu fonts vendored for the prize minutes (app.services.kit.pdf.FONT_DIR), so every
Vietnamese letter renders and stays searchable. Essay text is the members' own: it is written as plain text
(no markdown, no HTML), paragraphs as the member separated them by blank lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from app.services.kit.pdf import MARGIN, SANS, prepare
from app.services.kit.sheets import VN_TZ, Part, format_cell
from app.services.kit.text import nfc


@dataclass
class EssayPage:
    full_name: str
    member_code: str
    unit_name: str
    facts: list[tuple[str, str]]  # (label, value): topic, words, submitted at, status, score …
    paragraphs: list[str]


@dataclass
class Bundle:
    organisation: str  # the campaign's scope unit
    unit_name: str  # the unit compiled
    title: str  # e.g. "TẬP BÀI THU HOẠCH"
    campaign_title: str
    prompt: str
    place_date: str  # "Ngày 26 tháng 11 năm 2026"
    counts: list[tuple[str, str]]
    participation: Part | None  # per unit directly under the compiled one
    essays: Iterable[EssayPage]  # consumed once; may be a generator over a cursor
    empty_text: str = "Chưa có bài thu hoạch nào được nộp."
    footer: str = "Trang {page}/{{nb}}"


_nfc = nfc


class _BundlePDF(FPDF):
    footer_text = ""
    running = ""  # the essay's author, repeated at the foot of each of its pages

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(SANS, "", 8)
        self.cell(0, 5, self.footer_text.format(page=self.page_no()) + (f" · {self.running}" if self.running else ""), align=Align.C)


def _new_pdf(bundle: Bundle) -> _BundlePDF:
    pdf = _BundlePDF(orientation="portrait", unit="mm", format="A4")
    pdf.footer_text = bundle.footer
    prepare(pdf, title=f"{bundle.title} — {bundle.campaign_title} — {bundle.unit_name}", author=bundle.organisation)
    return pdf


def _two_columns(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    with pdf.table(
        col_widths=(2, 1), width=pdf.epw, first_row_as_headings=False, text_align=("LEFT", "RIGHT"), line_height=5.5, padding=1
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(_nfc(label))
            row.cell(_nfc(value))


def _cover(pdf: _BundlePDF, bundle: Bundle) -> None:
    pdf.add_page()
    pdf.set_font(SANS, "", 10)
    pdf.multi_cell(90, 5, _nfc(bundle.organisation).upper(), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if bundle.unit_name != bundle.organisation:
        pdf.set_font(SANS, "B", 10)
        pdf.multi_cell(90, 5, _nfc(bundle.unit_name).upper(), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(28)
    pdf.set_font(SANS, "B", 20)
    pdf.multi_cell(0, 10, _nfc(bundle.title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(SANS, "B", 13)
    pdf.multi_cell(0, 7, _nfc(bundle.campaign_title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 11)
    pdf.multi_cell(0, 6, _nfc(bundle.unit_name), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    if bundle.prompt:
        pdf.set_font(SANS, "", 10)
        pdf.multi_cell(0, 5.5, _nfc(bundle.prompt), align=Align.J, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
    pdf.set_font(SANS, "", 10)
    _two_columns(pdf, bundle.counts)
    if bundle.participation is not None:
        pdf.ln(4)
        pdf.set_font(SANS, "B", 11)
        pdf.cell(0, 7, _nfc(bundle.participation.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _table(pdf, bundle.participation)
    pdf.ln(6)
    pdf.set_font(SANS, "", 10)
    pdf.multi_cell(0, 5.5, _nfc(bundle.place_date), align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, part: Part) -> None:
    numeric = ("int", "float", "percent")
    pdf.set_font(SANS, "", 8.5)
    with pdf.table(
        col_widths=[c.width for c in part.columns],
        width=pdf.epw,
        line_height=4.5,
        padding=1,
        text_align=tuple("RIGHT" if c.kind in numeric else "LEFT" for c in part.columns),
        repeat_headings=1,
    ) as table:
        head = table.row()
        for column in part.columns:
            head.cell(_nfc(column.header))
        for values in part.rows:
            row = table.row()
            for value, column in zip(values, part.columns, strict=True):
                row.cell(format_cell(value, column, VN_TZ))


def _essay(pdf: _BundlePDF, page: EssayPage) -> None:
    pdf.running = _nfc(page.full_name)
    pdf.add_page()
    pdf.set_font(SANS, "B", 13)
    pdf.multi_cell(0, 7, _nfc(page.full_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 9.5)
    pdf.multi_cell(0, 5, _nfc(f"{page.member_code} · {page.unit_name}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    for label, value in page.facts:
        pdf.set_font(SANS, "B", 9.5)
        pdf.write(5, _nfc(label) + ": ")
        pdf.set_font(SANS, "", 9.5)
        pdf.write(5, _nfc(value))
        pdf.ln(5)
    pdf.ln(1)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + pdf.epw, pdf.get_y())
    pdf.ln(3)
    pdf.set_font(SANS, "", 11)
    for paragraph in page.paragraphs:
        pdf.multi_cell(0, 6, _nfc(paragraph), align=Align.J, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)


def write_bundle_pdf(bundle: Bundle, fh: BinaryIO) -> int:
    """Write the bundle; returns how many essays it holds."""
    pdf = _new_pdf(bundle)
    _cover(pdf, bundle)
    count = 0
    for page in bundle.essays:
        _essay(pdf, page)
        count += 1
    if count == 0:
        pdf.ln(6)
        pdf.set_font(SANS, "", 10)
        pdf.multi_cell(0, 5.5, _nfc(bundle.empty_text), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    fh.write(pdf.output())
    return count
