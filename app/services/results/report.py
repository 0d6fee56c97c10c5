"""The report up the tree (báo cáo kết quả): for a unit and a contest, each child unit's participation in every
round, the prizes its members won and the essays they handed in (campaigns linked to the contest), with the
unit's own total. Every figure of a unit is its whole subtree's, as in the unit standings. A cell sends it to
its ward, a ward to the city: a page, an XLSX and a PDF in the administrative layout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from sqlalchemy import func, select
from sqlmodel import Session, col
from sqlmodel import select as sm_select  # typed for a whole table model

from app.errors import N_, NotFound
from app.i18n import translate
from app.models import Contest, Prize, Round, Unit
from app.models.contests import ContestStatus
from app.models.essays import Essay, EssayCampaign, EssayStatus
from app.models.types import is_db_id, utcnow
from app.services.essays import campaigns as essay_campaigns
from app.services.kit.files import XLSX, ExportFile, ascii_slug, temp_file
from app.services.kit.pdf import SANS, draw_table, national_heading, prepare, signatures
from app.services.kit.sheets import Column, Part, Report, translated, write_xlsx
from app.services.kit.text import nfc
from app.services.org import units
from app.services.org.access import Actor
from app.services.results import participation

HANDED_IN = (EssayStatus.submitted, EssayStatus.reviewed)


@dataclass(frozen=True)
class Line:
    """One unit's figures: its subtree's."""

    code: str
    name: str
    headcount: int
    per_round: list[tuple[int, float | None]]  # (participants, rate) in each round, in round order
    prizes: int
    essays: int


@dataclass(frozen=True)
class UnitReport:
    contest: Contest
    unit: Unit
    rounds: list[Round]
    total: Line
    children: list[Line]
    campaigns: list[EssayCampaign]


def _reach(session: Session, actor: Actor, contest_id: int, unit_code: str | None) -> tuple[Contest, Unit]:
    """As participation.reach, for a contest: organisers of the unit and judges; a unit inside the scope."""
    contest = session.get(Contest, contest_id) if is_db_id(contest_id) else None
    scope = session.get(Unit, contest.scope_unit_id) if contest else None
    if contest is None or scope is None or contest.status == ContestStatus.draft:
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    unit = units.reached_unit(
        session=session,
        actor=actor,
        scope=scope,
        unit_code=unit_code,
        roles=participation.SEES,
        missing=N_("Không tìm thấy cuộc thi."),
        outside=N_("Đơn vị {code} không thuộc phạm vi cuộc thi."),
    )
    return contest, unit


def check_format(fmt: str) -> None:
    """A report comes as XLSX or PDF; any other ending is a page that does not exist."""
    if fmt not in ("xlsx", "pdf"):
        raise NotFound(N_("Không tìm thấy trang hoặc dữ liệu bạn yêu cầu."))


def rolled(tree: list[Unit], counts: dict[int, int]) -> dict[int, int]:
    return units.subtree_totals((u.path, counts.get(u.id or 0, 0)) for u in tree)


def unit_report(*, session: Session, actor: Actor, contest_id: int, unit_code: str | None = None) -> UnitReport:
    contest, unit = _reach(session, actor, contest_id, unit_code)
    assert unit.id is not None and contest.id is not None
    rounds = list(session.exec(sm_select(Round).where(col(Round.contest_id) == contest.id).order_by(col(Round.position))).all())
    turnout = [participation.subtree_rows(session=session, round_id=r.id or 0, root_path=unit.path) for r in rounds]
    tree = list(session.exec(sm_select(Unit).where(col(Unit.path).startswith(unit.path, autoescape=True))).all())
    prize_counts = dict(
        session.execute(
            select(col(Prize.unit_id), func.count())
            .join(Round, col(Round.id) == col(Prize.round_id))
            .where(col(Round.contest_id) == contest.id, col(Prize.collective).is_(False))
            .group_by(col(Prize.unit_id))
        ).all()
    )
    campaigns = list(session.exec(sm_select(EssayCampaign).where(col(EssayCampaign.contest_id) == contest.id)).all())
    essay_counts = dict(
        session.execute(
            select(col(Essay.unit_id), func.count())
            .where(col(Essay.campaign_id).in_([c.id for c in campaigns]), col(Essay.status).in_(HANDED_IN))
            .group_by(col(Essay.unit_id))
        ).all()
    )
    prizes, essays = rolled(tree, prize_counts), rolled(tree, essay_counts)

    def line(u: Unit) -> Line:
        uid = u.id or 0
        per_round = [(t[uid].participants, t[uid].rate) for t in turnout]
        headcount = turnout[0][uid].headcount if turnout else 0
        return Line(u.code, u.name, headcount, per_round, prizes.get(uid, 0), essays.get(uid, 0))

    children = sorted((u for u in tree if u.parent_id == unit.id), key=lambda u: u.code)
    return UnitReport(contest, unit, rounds, line(unit), [line(u) for u in children], campaigns)


def _part(report: UnitReport, locale: str = "vi") -> Part:
    columns = [Column(N_("Mã đơn vị"), 12), Column(N_("Đơn vị"), 32), Column(N_("Biên chế khai báo"), 11, "int")]
    for r in report.rounds:
        columns += [
            Column(translate(N_("{round}: tham gia"), locale, round=r.title), 11, "int"),
            Column(translate(N_("{round}: tỉ lệ"), locale, round=r.title), 10, "percent"),
        ]
    columns += [Column(N_("Số giải cá nhân"), 10, "int"), Column(N_("Bài thu hoạch đã nộp"), 12, "int")]

    def row(x: Line) -> tuple[object, ...]:
        figures = [v for p, rate in x.per_round for v in (p, rate)]
        return (x.code, x.name, x.headcount, *figures, x.prizes, x.essays)

    return Part(N_("Báo cáo kết quả"), columns, [row(x) for x in [*report.children, report.total]])


def _notes(report: UnitReport, tz: ZoneInfo, locale: str) -> list[str]:
    return [
        translate(N_("Cuộc thi: {title}"), locale, title=report.contest.title),
        translate(N_("Đơn vị báo cáo: {unit}"), locale, unit=f"{report.unit.code} — {report.unit.name}"),
        translate(N_("Xuất lúc: {at}"), locale, at=utcnow().astimezone(tz).strftime("%d/%m/%Y %H:%M:%S")),
        translate(N_("Số liệu của mỗi đơn vị gồm cả các đơn vị trực thuộc; tỉ lệ tính trên biên chế khai báo."), locale),
    ]


def export(*, session: Session, actor: Actor, contest_id: int, fmt: str, unit_code: str | None = None, locale: str = "vi") -> ExportFile:
    """The report as XLSX or PDF (fmt)."""
    check_format(fmt)
    report = unit_report(session=session, actor=actor, contest_id=contest_id, unit_code=unit_code)
    tz = ZoneInfo(report.contest.timezone)
    display = translate(
        N_("Báo cáo kết quả {contest} - {unit}.{fmt}"), locale, contest=report.contest.title, unit=report.unit.name, fmt=fmt
    )
    name = f"bao-cao-{ascii_slug(report.contest.title)}-{ascii_slug(report.unit.code)}.{fmt}"
    if fmt == "pdf":
        return ExportFile(
            path=temp_file(".pdf", lambda fh: write_pdf(report, fh, tz)), filename=name, display_name=display, media_type="application/pdf"
        )
    part = translated(_part(report, locale), locale)
    return ExportFile(
        path=temp_file(
            ".xlsx", lambda fh: write_xlsx(Report(title=display, parts=[part], tz=tz, note_lines=_notes(report, tz, locale)), fh)
        ),
        filename=name,
        display_name=display,
        media_type=XLSX,
    )


def write_pdf(report: UnitReport, fh: BinaryIO, tz: ZoneInfo) -> None:
    lines = (report.contest.title, f"Đơn vị báo cáo: {report.unit.name}")
    note = "Số liệu của mỗi đơn vị gồm cả các đơn vị trực thuộc; tỉ lệ tham gia tính trên biên chế khai báo."
    write_report_pdf(report.unit.name, "BÁO CÁO KẾT QUẢ", lines, _part(report), tz, fh, note)


# --- an essay campaign's report ----------------------------------------------------------------------------
@dataclass(frozen=True)
class EssayLine:
    code: str
    name: str
    headcount: int
    handed_in: int
    reviewed: int
    returned: int
    graded: int


@dataclass(frozen=True)
class CampaignReport:
    campaign: EssayCampaign
    unit: Unit
    total: EssayLine
    children: list[EssayLine]


def campaign_report(*, session: Session, actor: Actor, campaign_id: int, unit_code: str | None = None) -> CampaignReport:
    """For a unit and an essay campaign: each child unit's essays handed in, accepted by the cell, returned and
    graded, every figure its subtree's (the unit each essay was last handed in from)."""
    reached = essay_campaigns.reach(session=session, actor=actor, campaign_id=campaign_id, unit_code=unit_code, roles=participation.SEES)
    unit = reached.unit
    tree = list(session.exec(sm_select(Unit).where(col(Unit.path).startswith(unit.path, autoescape=True))).all())
    counted: dict[str, dict[int, int]] = {}
    for name, condition in (
        ("handed_in", col(Essay.status).in_(HANDED_IN)),
        ("reviewed", col(Essay.status) == EssayStatus.reviewed),
        ("returned", col(Essay.status) == EssayStatus.returned),
        ("graded", col(Essay.grade_count) > 0),
    ):
        direct = dict(
            session.execute(
                select(col(Essay.unit_id), func.count())
                .where(col(Essay.campaign_id) == campaign_id, condition)
                .group_by(col(Essay.unit_id))
            ).all()
        )
        counted[name] = rolled(tree, direct)
    heads = units.subtree_totals((u.path, u.headcount or 0) for u in tree)

    def line(u: Unit) -> EssayLine:
        uid = u.id or 0
        return EssayLine(
            u.code, u.name, heads.get(uid, 0), *(counted[k].get(uid, 0) for k in ("handed_in", "reviewed", "returned", "graded"))
        )

    children = sorted((u for u in tree if u.parent_id == unit.id), key=lambda u: u.code)
    return CampaignReport(reached.campaign, unit, line(unit), [line(u) for u in children])


def _campaign_part(report: CampaignReport) -> Part:
    columns = [
        Column(N_("Mã đơn vị"), 12),
        Column(N_("Đơn vị"), 32),
        Column(N_("Biên chế khai báo"), 11, "int"),
        Column(N_("Đã nộp"), 10, "int"),
        Column(N_("Chi bộ đã duyệt"), 10, "int"),
        Column(N_("Được trả lại để sửa"), 10, "int"),
        Column(N_("Đã chấm"), 10, "int"),
    ]
    rows = [(x.code, x.name, x.headcount, x.handed_in, x.reviewed, x.returned, x.graded) for x in [*report.children, report.total]]
    return Part(N_("Báo cáo bài thu hoạch"), columns, rows)


def export_campaign(
    *, session: Session, actor: Actor, campaign_id: int, fmt: str, unit_code: str | None = None, locale: str = "vi"
) -> ExportFile:
    check_format(fmt)
    report = campaign_report(session=session, actor=actor, campaign_id=campaign_id, unit_code=unit_code)
    tz = ZoneInfo(report.campaign.timezone)
    display = translate(
        N_("Báo cáo bài thu hoạch {title} - {unit}.{fmt}"), locale, title=report.campaign.title, unit=report.unit.name, fmt=fmt
    )
    name = f"bao-cao-thu-hoach-{ascii_slug(report.campaign.title)}-{ascii_slug(report.unit.code)}.{fmt}"
    part = translated(_campaign_part(report), locale)
    if fmt == "xlsx":
        write = lambda fh: write_xlsx(Report(title=display, parts=[part], tz=tz), fh)  # noqa: E731
        return ExportFile(path=temp_file(".xlsx", write), filename=name, display_name=display, media_type=XLSX)
    lines = (f"Cuộc viết: {report.campaign.title}", f"Đơn vị báo cáo: {report.unit.name}")
    note = "Số liệu của mỗi đơn vị gồm cả các đơn vị trực thuộc."
    write_pdf_part = lambda fh: write_report_pdf(report.unit.name, "BÁO CÁO KẾT QUẢ BÀI THU HOẠCH", lines, part, tz, fh, note)  # noqa: E731
    return ExportFile(path=temp_file(".pdf", write_pdf_part), filename=name, display_name=display, media_type="application/pdf")


def write_report_pdf(
    unit_name: str, title: str, lines: tuple[str, ...], part: Part, tz: ZoneInfo, fh: BinaryIO, note: str, more: Sequence[Part] = ()
) -> None:
    """A report in the administrative layout: heading, title, the lines under it, the table, the note, then
    each of `more` under its own title, and the signatures."""
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    prepare(pdf, title=title, author=unit_name)
    pdf.add_page()
    today = utcnow().astimezone(tz)
    place_date = f"Ngày {today.day:02d} tháng {today.month:02d} năm {today.year}"
    national_heading(pdf, organisation=unit_name, issuer="BAN TỔ CHỨC", place_date=place_date)
    pdf.set_font(SANS, "B", 15)
    pdf.cell(0, 8, title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 10)
    for line in lines:
        pdf.multi_cell(0, 6, nfc(line), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    draw_table(pdf, part, tz)
    pdf.ln(2)
    pdf.set_font(SANS, "", 9)
    pdf.multi_cell(0, 5, nfc(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for extra in more:
        if pdf.will_page_break(20):  # keep a table's title with its first rows
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font(SANS, "B", 11)
        pdf.cell(0, 7, nfc(extra.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        draw_table(pdf, extra, tz)
    signatures(pdf, ["NGƯỜI LẬP BIỂU", f"TM. {unit_name.upper()}"])
    pdf.output(fh)
