"""The report up the tree for a period (báo cáo kết quả theo kỳ): for a unit and a span of days, across every
contest and essay campaign the unit took part in. A cell sends it to its ward, a ward to the city: a page, an
XLSX and a PDF in the administrative layout of app.services.results.report.

What it counts: every round closing in the period (its closes_at, on the contest's calendar) that has opened, of every contest
that is not a draft and whose scope contains the unit or lies inside its subtree; every essay campaign whose
deadline falls in the period and whose scope does the same. Every figure of a unit is its whole subtree's.

A unit's line counts the rounds that reached it: those of the contests whose scope contains it or lies inside
it. A round's participants and rate are those of the part of the unit's subtree inside the contest's scope (a
contest of one cell is not spread over its whole ward), so a ward's rate for it is the cell's. The average rate
is the plain mean of those rounds' rates. Organisers of the unit and judges see it (participation.SEES); a
unit outside their reach does not exist for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col
from sqlmodel import select as sm_select  # typed for a whole table model

from app.errors import N_, Invalid, NotFound
from app.i18n import translate
from app.models import Contest, Prize, Round, Unit
from app.models.contests import ContestStatus
from app.models.essays import Essay, EssayCampaign
from app.models.types import utcnow
from app.services.kit.files import XLSX, ExportFile, ascii_slug, temp_file
from app.services.kit.sheets import VN_TZ, Column, Part, Report, translated, write_xlsx
from app.services.kit.text import clean
from app.services.org import units
from app.services.org.access import Actor, Grant
from app.services.results import participation
from app.services.results.participation import UnitTurnout
from app.services.results.report import HANDED_IN, check_format, rolled, write_report_pdf

MAX_DAYS = 366  # a year, a leap one included
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")  # what a date input sends; what people type where there is none


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def holds(self, at: datetime, timezone: str) -> bool:
        """Whether the instant falls on a day of the period, on that time zone's calendar."""
        return self.start <= at.astimezone(ZoneInfo(timezone)).date() <= self.end


@dataclass(frozen=True)
class PeriodLine:
    """One unit's figures: its subtree's."""

    code: str
    name: str
    headcount: int  # declared, of the whole subtree
    rounds: int  # rounds counted
    participations: int  # sum over those rounds of the participants
    rate: float | None  # the mean of those rounds' participation rates
    prizes: int  # individual prizes won in those rounds
    essays: int  # essays handed in to the campaigns


@dataclass(frozen=True)
class RoundEntry:
    contest: str
    title: str
    closes_on: date  # on the contest's calendar
    participants: int  # of the reported unit's subtree (inside the contest's scope)
    rate: float | None


@dataclass(frozen=True)
class CampaignEntry:
    title: str
    deadline: date  # on the campaign's calendar
    handed_in: int  # of the reported unit's subtree


@dataclass(frozen=True)
class PeriodReport:
    unit: Unit
    period: Period
    total: PeriodLine
    children: list[PeriodLine]
    rounds: list[RoundEntry]
    campaigns: list[CampaignEntry]


# --- the period --------------------------------------------------------------------------------------------
def _day(value: str | None, field: str) -> date | None:
    text = clean(value)
    if not text:
        return None
    for fmt in _FORMATS:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not FIRST_DAY <= day <= LAST_DAY:
            raise Invalid(N_("Ngày {value} nằm ngoài khoảng cho phép (từ năm 2000 đến năm 2099)."), field=field, value=text[:40])
        return day
    raise Invalid(N_("Ngày không hợp lệ: {value}. Hãy nhập theo dạng năm-tháng-ngày, ví dụ 2026-03-31."), field=field, value=text[:40])


def _month_end(day: date) -> date:
    first_of_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first_of_next - timedelta(days=1)


def today() -> date:
    return utcnow().astimezone(VN_TZ).date()


def parse_period(date_from: str | None, date_to: str | None, *, now: date | None = None) -> Period:
    """The period asked for, both ends included. Neither end given: the current month; one end only: that
    end's month (from its first day, or to its last)."""
    start, end = _day(date_from, "from"), _day(date_to, "to")
    if start is None:
        start = (end or now or today()).replace(day=1)
    if end is None:
        end = _month_end(start if date_from else (now or today()))
    if start > end:
        raise Invalid(
            N_("Ngày bắt đầu ({start}) sau ngày kết thúc ({end}): hãy chọn lại khoảng thời gian."),
            field="from",
            start=start.strftime("%d/%m/%Y"),
            end=end.strftime("%d/%m/%Y"),
        )
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise Invalid(N_("Khoảng thời gian dài {days} ngày: một báo cáo gồm tối đa {most} ngày."), field="to", days=days, most=MAX_DAYS)
    return Period(start, end)


# --- who sees which unit -----------------------------------------------------------------------------------
def widest_grant(actor: Actor) -> Grant | None:
    """The actor's widest unit among those they organise or judge (the report's default)."""
    grants = [g for g in actor.grants if g.role in participation.SEES]
    return min(grants, key=lambda g: (g.unit_path.count("/"), g.unit_code), default=None)


def reach(*, session: Session, actor: Actor, unit_code: str | None) -> Unit:
    """The unit named, if it lies in the actor's reach as organiser or judge; else their widest unit. A unit
    outside their reach, as one that does not exist, is not found; so is any unit for one who has none."""
    widest = widest_grant(actor)
    if widest is None:
        raise NotFound(N_("Không tìm thấy trang hoặc dữ liệu bạn yêu cầu."))
    code = units.normalise_code(unit_code) or widest.unit_code
    unit = session.exec(sm_select(Unit).where(col(Unit.code) == code)).first()
    if unit is None or not actor.covers(unit, participation.SEES):
        raise NotFound(N_("Không tìm thấy đơn vị {code} trong phạm vi bạn được giao."), code=code[:40])
    return unit


# --- the figures -------------------------------------------------------------------------------------------
def _meets(scope_path: Mapped[str], unit: Unit) -> ColumnElement[bool]:
    """A scope that contains the unit (one of its ancestors, or itself) or lies inside its subtree."""
    parts = unit.path.strip("/").split("/")
    above = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return or_(scope_path.in_(above), scope_path.startswith(unit.path, autoescape=True))


def _window(period: Period) -> tuple[datetime, datetime]:
    """A UTC window wide enough for the period on any calendar (checked exactly afterwards)."""
    return (
        datetime.combine(period.start, time(), UTC) - timedelta(days=1),
        datetime.combine(period.end, time(), UTC) + timedelta(days=2),
    )


def _rounds(session: Session, unit: Unit, period: Period) -> list[tuple[Contest, Unit, Round]]:
    """The rounds of the period (contest, its scope, round), by closing time."""
    low, high = _window(period)
    stmt = (
        sm_select(Contest, Unit, Round)
        .join(Unit, col(Unit.id) == col(Contest.scope_unit_id))
        .join(Round, col(Round.contest_id) == col(Contest.id))
        .where(
            col(Contest.status) != ContestStatus.draft,
            col(Round.closes_at) >= low,
            col(Round.closes_at) < high,
            col(Round.opens_at) <= utcnow(),  # a round not yet open has nothing to report
            _meets(col(Unit.path), unit),
        )
        .order_by(col(Round.closes_at), col(Contest.id), col(Round.position))
    )
    return [(c, s, r) for c, s, r in session.exec(stmt).all() if period.holds(r.closes_at, c.timezone)]


def _campaigns(session: Session, unit: Unit, period: Period) -> list[EssayCampaign]:
    low, high = _window(period)
    stmt = (
        sm_select(EssayCampaign)
        .join(Unit, col(Unit.id) == col(EssayCampaign.scope_unit_id))
        .where(col(EssayCampaign.closes_at) >= low, col(EssayCampaign.closes_at) < high, _meets(col(Unit.path), unit))
        .order_by(col(EssayCampaign.closes_at), col(EssayCampaign.id))
    )
    return [c for c in session.exec(stmt).all() if period.holds(c.closes_at, c.timezone)]


def _cell(unit: Unit, scope: Unit, rows: dict[int, UnitTurnout]) -> UnitTurnout | None:
    """A unit's figures in a round of a contest of this scope: its own when the scope contains it, the
    scope's when it lies inside the unit; none when the contest did not reach it."""
    if unit.path.startswith(scope.path):
        return rows.get(unit.id or 0)
    if scope.path.startswith(unit.path):
        return rows.get(scope.id or 0)
    return None


def _counts(session: Session, ids: Sequence[int], key: Mapped[int], *where: ColumnElement[bool]) -> dict[int, int]:
    if not ids:
        return {}
    return {int(k): int(n) for k, n in session.execute(select(key, func.count()).where(*where).group_by(key)).all()}


def _mean(rates: list[float]) -> float | None:
    return round(sum(rates) / len(rates), 4) if rates else None


def period_report(
    *, session: Session, actor: Actor, unit_code: str | None = None, date_from: str | None = None, date_to: str | None = None
) -> PeriodReport:
    unit = reach(session=session, actor=actor, unit_code=unit_code)
    period = parse_period(date_from, date_to)
    tree = list(session.exec(sm_select(Unit).where(col(Unit.path).startswith(unit.path, autoescape=True))).all())
    rounds = _rounds(session, unit, period)
    turnout = [participation.subtree_rows(session=session, round_id=r.id or 0, root_path=unit.path) for _c, _s, r in rounds]
    round_ids = [r.id or 0 for _c, _s, r in rounds]
    prize_counts = _counts(session, round_ids, col(Prize.unit_id), col(Prize.round_id).in_(round_ids), col(Prize.collective).is_(False))
    campaigns = _campaigns(session, unit, period)
    campaign_ids = [c.id or 0 for c in campaigns]
    essay_counts = _counts(
        session, campaign_ids, col(Essay.unit_id), col(Essay.campaign_id).in_(campaign_ids), col(Essay.status).in_(HANDED_IN)
    )
    prizes, essays = rolled(tree, prize_counts), rolled(tree, essay_counts)
    heads = units.subtree_totals((u.path, u.headcount or 0) for u in tree)

    def line(u: Unit) -> PeriodLine:
        cells = [c for c in (_cell(u, scope, rows) for (_c, scope, _r), rows in zip(rounds, turnout, strict=True)) if c is not None]
        uid = u.id or 0
        rate = _mean([c.rate for c in cells if c.rate is not None])
        return PeriodLine(
            u.code, u.name, heads.get(uid, 0), len(cells), sum(c.participants for c in cells), rate, prizes.get(uid, 0), essays.get(uid, 0)
        )

    children = sorted((u for u in tree if u.parent_id == unit.id), key=lambda u: u.code)
    return PeriodReport(
        unit=unit,
        period=period,
        total=line(unit),
        children=[line(u) for u in children],
        rounds=_round_entries(unit, rounds, turnout),
        campaigns=_campaign_entries(session, unit, campaigns),
    )


def _round_entries(unit: Unit, rounds: list[tuple[Contest, Unit, Round]], turnout: list[dict[int, UnitTurnout]]) -> list[RoundEntry]:
    out = []
    for (contest, scope, r), rows in zip(rounds, turnout, strict=True):
        cell = _cell(unit, scope, rows)
        closes_on = r.closes_at.astimezone(ZoneInfo(contest.timezone)).date()
        out.append(RoundEntry(contest.title, r.title, closes_on, cell.participants if cell else 0, cell.rate if cell else None))
    return out


def _campaign_entries(session: Session, unit: Unit, campaigns: list[EssayCampaign]) -> list[CampaignEntry]:
    ids = [c.id or 0 for c in campaigns]
    handed_in = _counts(
        session,
        ids,
        col(Essay.campaign_id),
        col(Essay.campaign_id).in_(ids),
        col(Essay.status).in_(HANDED_IN),
        col(Essay.unit_id).in_(select(col(Unit.id)).where(col(Unit.path).startswith(unit.path, autoescape=True))),
    )
    return [CampaignEntry(c.title, c.closes_at.astimezone(ZoneInfo(c.timezone)).date(), handed_in.get(c.id or 0, 0)) for c in campaigns]


# --- the files ---------------------------------------------------------------------------------------------
def _units_part(report: PeriodReport) -> Part:
    columns = [
        Column(N_("Mã đơn vị"), 12),
        Column(N_("Đơn vị"), 32),
        Column(N_("Biên chế khai báo"), 11, "int"),
        Column(N_("Số vòng thi"), 9, "int"),
        Column(N_("Tổng lượt tham gia"), 11, "int"),
        Column(N_("Tỉ lệ tham gia bình quân"), 12, "percent"),
        Column(N_("Số giải cá nhân"), 10, "int"),
        Column(N_("Bài thu hoạch đã nộp"), 12, "int"),
    ]
    rows = [(x.code, x.name, x.headcount, x.rounds, x.participations, x.rate, x.prizes, x.essays) for x in [*report.children, report.total]]
    return Part(N_("Báo cáo kết quả theo kỳ"), columns, rows)


def _rounds_part(report: PeriodReport) -> Part:
    columns = [
        Column(N_("Cuộc thi"), 32),
        Column(N_("Vòng thi"), 20),
        Column(N_("Ngày kết thúc"), 12, "date"),
        Column(N_("Đã tham gia"), 11, "int"),
        Column(N_("Tỉ lệ tham gia"), 11, "percent"),
    ]
    rows = [(x.contest, x.title, x.closes_on, x.participants, x.rate) for x in report.rounds]
    return Part(N_("Các vòng thi trong kỳ"), columns, rows)


def _campaigns_part(report: PeriodReport) -> Part:
    columns = [Column(N_("Cuộc viết bài thu hoạch"), 40), Column(N_("Hạn nộp"), 12, "date"), Column(N_("Bài thu hoạch đã nộp"), 12, "int")]
    rows = [(x.title, x.deadline, x.handed_in) for x in report.campaigns]
    return Part(N_("Bài thu hoạch trong kỳ"), columns, rows)


def _span(report: PeriodReport, locale: str) -> str:
    start, end = (d.strftime("%d/%m/%Y") for d in (report.period.start, report.period.end))
    return translate(N_("Từ ngày {start} đến ngày {end}"), locale, start=start, end=end)


def _notes(report: PeriodReport, locale: str) -> list[str]:
    return [
        translate(N_("Đơn vị báo cáo: {unit}"), locale, unit=f"{report.unit.code} — {report.unit.name}"),
        _span(report, locale),
        translate(N_("Xuất lúc: {at}"), locale, at=utcnow().astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S")),
        translate(NOTE, locale),
    ]


NOTE = N_(
    "Gồm các vòng thi kết thúc và các cuộc viết bài thu hoạch hết hạn trong kỳ. Số liệu của mỗi đơn vị gồm cả các đơn vị "
    "trực thuộc; mỗi đơn vị tính các vòng thi của cuộc thi dành cho đơn vị đó; tỉ lệ tham gia tính trên biên chế khai báo, "
    "tỉ lệ bình quân là trung bình tỉ lệ của các vòng được tính."
)


def export(
    *,
    session: Session,
    actor: Actor,
    fmt: str,
    unit_code: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    locale: str = "vi",
) -> ExportFile:
    """The report as XLSX or PDF (fmt); the PDF, a paper sent up the tree, is in Vietnamese."""
    check_format(fmt)
    report = period_report(session=session, actor=actor, unit_code=unit_code, date_from=date_from, date_to=date_to)
    start, end = report.period.start, report.period.end
    display = translate(
        N_("Báo cáo kết quả {unit} từ {start} đến {end}.{fmt}"),
        locale,
        unit=report.unit.name,
        start=start.strftime("%d-%m-%Y"),
        end=end.strftime("%d-%m-%Y"),
        fmt=fmt,
    )
    name = f"bao-cao-ky-{ascii_slug(report.unit.code)}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    if fmt == "pdf":
        return ExportFile(
            path=temp_file(".pdf", lambda fh: _pdf(report, fh)), filename=name, display_name=display, media_type="application/pdf"
        )
    parts = [translated(p(report), locale) for p in (_units_part, _rounds_part, _campaigns_part)]
    book = Report(title=display, parts=parts, tz=VN_TZ, note_lines=_notes(report, locale))
    return ExportFile(path=temp_file(".xlsx", lambda fh: write_xlsx(book, fh)), filename=name, display_name=display, media_type=XLSX)


def _pdf(report: PeriodReport, fh: BinaryIO) -> None:
    vi = "vi"
    lines = (translate(N_("Đơn vị báo cáo: {unit}"), vi, unit=report.unit.name), _span(report, vi))
    title = translate(N_("Báo cáo kết quả theo kỳ"), vi).upper()
    more = [_rounds_part(report), _campaigns_part(report)]
    write_report_pdf(report.unit.name, title, lines, _units_part(report), VN_TZ, fh, translate(NOTE, vi), more)
