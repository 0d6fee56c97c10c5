"""What every PDF of hoithi shares: DejaVu embedded (Vietnamese), A4 margins and metadata (prepare), the
administrative heading and the signature block of a Vietnamese act, and bordered tables whose columns are sized
to their headers and contents (draw_table; col_widths and fit for a table drawn by hand, as the minutes' annex)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF, FontFace
from fpdf.enums import Align, XPos, YPos

from app.services.kit.sheets import Column, Part, format_cell
from app.services.kit.text import nfc

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "static" / "fonts"
SANS, MONO = "DejaVuSans", "DejaVuSansMono"
MARGIN = 15.0  # mm
NUMERIC = ("int", "float", "percent")  # column kinds set right-aligned
_SAMPLES = {"date": "00/00/0000", "datetime": "00/00/0000 00:00:00"}
HEAD_FILL = (221, 235, 247)  # a table header's background


def prepare(pdf: FPDF, *, title: str, author: str, mono: bool = False) -> None:
    """What every PDF of hoithi shares: DejaVu embedded (Vietnamese), A4 margins, Vietnamese metadata."""
    pdf.add_font(SANS, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(SANS, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    if mono:
        pdf.add_font(MONO, "", FONT_DIR / "DejaVuSansMono.ttf")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN + 3)
    pdf.set_title(nfc(title))
    pdf.set_author(nfc(author))
    pdf.set_creator("hoithi")
    pdf.set_lang("vi")


def national_heading(pdf: FPDF, *, organisation: str, issuer: str, place_date: str, number: str | None = None) -> None:
    """The administrative heading: the issuing body (and the act's number) on the left, the national motto and
    the place and date on the right."""
    left_w = 75.0
    right_w = pdf.epw - left_w
    top = pdf.get_y()
    pdf.set_font(SANS, "", 10)
    pdf.multi_cell(left_w, 5, nfc(organisation).upper(), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "B", 10)
    pdf.cell(left_w, 5, nfc(issuer), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.line(MARGIN + left_w / 2 - 12, pdf.get_y() + 0.5, MARGIN + left_w / 2 + 12, pdf.get_y() + 0.5)
    if number:
        pdf.ln(2)
        pdf.set_font(SANS, "", 9.5)
        pdf.cell(left_w, 5, nfc(number), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
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
    pdf.multi_cell(right_w, 5, nfc(place_date), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)


def text_width(pdf: FPDF, text: str) -> float:
    # The font's own advance widths, without get_string_width's fragment building: the annex measures
    # a few hundred thousand cells, and its text is NFC, unshaped, with no spacing or stretching set.
    assert pdf.current_font is not None
    return pdf.current_font.get_text_width(text, pdf.font_size_pt, None)[1] / pdf.k


def col_widths(
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
        return [text_width(pdf, (nfc(c.header).split() or [""])[0] + "…") for c in columns]
    return [max(text_width(pdf, word) for word in nfc(c.header).split() or [""]) for c in columns]


def _content_needs(pdf: FPDF, columns: Sequence[Column], need: list[float], total: float, content: Sequence[Sequence[str]]) -> list[float]:
    """`need` widened to a whole date or time, and to the content's longer words up to a third of `total`."""
    # Dates and times have one length; split over two lines they are hard to read.
    need = [max(n, text_width(pdf, _SAMPLES[c.kind]) if c.kind in _SAMPLES else 0) for n, c in zip(need, columns, strict=True)]
    for row in content:
        for i, text in enumerate(row):
            for word in text.split():
                if len(word) > 3:  # short words fit anyway
                    need[i] = max(need[i], min(text_width(pdf, word), total / 3))
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
    widths = col_widths(pdf, columns, pdf.epw, font_pt=font_pt, pad=1, content=rows)
    pdf.set_font(SANS, "", font_pt)
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        line_height=font_pt * 0.5,
        text_align=tuple("RIGHT" if c.kind in NUMERIC else "LEFT" for c in columns),
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
        repeat_headings=1,
        padding=1,
    ) as table:
        head = table.row()
        for column in columns:
            head.cell(nfc(column.header), align=Align.C)
        for texts in rows:
            row = table.row()
            for text in texts:
                row.cell(text)
    pdf.ln(2)
    return len(rows)


def fit(pdf: FPDF, text: str, width: float) -> str:
    """Text cut with an ellipsis to fit `width` at the current font (the annex keeps one line per member)."""
    if text_width(pdf, text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if text_width(pdf, text[:mid].rstrip() + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


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
        pdf.multi_cell(width, 5.5, nfc(title), align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(SANS, "", 9)
        pdf.multi_cell(width, 5, "(Ký, ghi rõ họ tên)", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(top + 40)
