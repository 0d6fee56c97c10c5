"""What a unit compiles and reports upward from an essay campaign: participation per unit against the declared
headcount, an XLSX summary (through the shared sheets writer) and a PDF bundle of the essays with a cover sheet.

For organisers and judges whose subtree holds the unit asked for (by default: the campaign's scope when they cover
it, else their own subtree). Rows are read from the database in batches and written to a temporary file that the
router streams, as the round exports do (app.services.results.results)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.errors import N_, Invalid
from app.i18n import number, percent, translate
from app.models import Member, Unit
from app.models.essays import Essay, EssayCampaign, EssayGrade, EssayStatus
from app.models.types import utcnow
from app.services.essays import essays
from app.services.essays.campaigns import Reach, reach, rubric_max, zone
from app.services.essays.grading import weighted_scores
from app.services.essays.overview import handed_in_counts
from app.services.essays.pdf import Bundle, EssayPage, write_bundle_pdf
from app.services.kit.files import XLSX, ExportFile, ascii_slug, temp_file
from app.services.kit.sheets import Column, Part, Report, write_xlsx
from app.services.org.access import JUDGE, MANAGE, Actor

BATCH = 500
FORMATS = {"xlsx": XLSX, "pdf": "application/pdf"}


# --- participation ------------------------------------------------------------------------------------------------
@dataclass
class UnitParticipation:
    unit: Unit
    own: bool  # the chosen unit's own members (not those of the units under it)
    submitted: int
    headcount: int

    @property
    def rate(self) -> float | None:
        return self.submitted / self.headcount if self.headcount else None


def participation(*, session: Session, campaign: EssayCampaign, unit: Unit) -> list[UnitParticipation]:
    """For each unit directly under `unit`: members who handed in an essay / the subtree's declared headcount; and a
    row for the unit's own members when it declares some or has essays of its own. Two queries, whatever the depth."""
    assert unit.id is not None
    inside = col(Unit.path).startswith(unit.path, autoescape=True)
    tree = session.exec(select(Unit).where(inside)).all()
    handed = dict(
        session.exec(
            select(Essay.unit_id, func.count())
            .join(Unit, col(Unit.id) == Essay.unit_id)
            .where(Essay.campaign_id == campaign.id, col(Essay.submitted_at).is_not(None), inside)
            .group_by(col(Essay.unit_id))
        ).all()
    )
    children = sorted((u for u in tree if u.parent_id == unit.id), key=lambda u: u.code)
    rows = []
    for child in children:
        below = [u for u in tree if u.path.startswith(child.path)]
        rows.append(
            UnitParticipation(child, False, sum(handed.get(u.id, 0) for u in below if u.id is not None), sum(u.headcount for u in below))
        )
    if not children or unit.headcount or handed.get(unit.id):
        rows.insert(
            0,
            UnitParticipation(
                unit,
                bool(children),
                handed.get(unit.id, 0) if children else sum(handed.values()),
                unit.headcount if children else sum(u.headcount for u in tree),
            ),
        )
    return rows


def _t(locale: str) -> Any:
    return lambda msgid, **kw: translate(msgid, locale, **kw)


def _participation_part(rows: list[UnitParticipation], locale: str) -> Part:
    t = _t(locale)
    columns = [
        Column(t(N_("Mã đơn vị")), 12),
        Column(t(N_("Đơn vị")), 40),
        Column(t(N_("Đã nộp")), 10, "int"),
        Column(t(N_("Số hội viên (khai báo)")), 14, "int"),
        Column(t(N_("Tỉ lệ tham gia")), 12, "percent"),
    ]
    return Part(
        t(N_("Tham gia theo đơn vị")),
        columns,
        [
            (r.unit.code, t(N_("{name} (trực thuộc)"), name=r.unit.name) if r.own else r.unit.name, r.submitted, r.headcount, r.rate)
            for r in rows
        ],
    )


# --- the rows -----------------------------------------------------------------------------------------------------
def _essay_rows(session: Session, reached: Reach) -> Iterator[tuple[Essay, Member, Unit]]:
    stmt = (
        select(Essay, Member, Unit)
        .join(Member, col(Member.id) == Essay.member_id)
        .join(Unit, col(Unit.id) == Essay.unit_id)
        .where(
            Essay.campaign_id == reached.campaign.id,
            col(Essay.submitted_at).is_not(None),
            col(Unit.path).startswith(reached.unit.path, autoescape=True),
        )
        .order_by(col(Unit.path), col(Member.sort_key), col(Member.id))
        .execution_options(yield_per=BATCH)
    )
    for row in session.exec(stmt):
        yield row[0], row[1], row[2]


def _grade_totals(session: Session, reached: Reach) -> dict[int, list[float]]:
    rows = session.exec(
        select(EssayGrade.essay_id, EssayGrade.total)
        .join(Essay, col(Essay.id) == EssayGrade.essay_id)
        .join(Unit, col(Unit.id) == Essay.unit_id)
        .where(Essay.campaign_id == reached.campaign.id, col(Unit.path).startswith(reached.unit.path, autoescape=True))
        .order_by(col(EssayGrade.essay_id), col(EssayGrade.graded_at), col(EssayGrade.id))
    ).all()
    out: dict[int, list[float]] = {}
    for essay_id, total in rows:
        out.setdefault(essay_id, []).append(float(total))
    return out


def _stamp(value: datetime | None, campaign: EssayCampaign) -> str:
    return value.astimezone(zone(campaign)).strftime("%d/%m/%Y %H:%M") if value else ""


def _points(value: float) -> str:
    return f"{value:g}"


def summary_parts(*, session: Session, reached: Reach, locale: str = "vi") -> list[Part]:
    """The XLSX summary: the essays handed in (member, unit, topic, words, submitted at dd/mm/yyyy HH:MM, status,
    scores, and the weighted score when the campaign counts towards a contest), those not handed in, participation."""
    t, campaign = _t(locale), reached.campaign
    linked = campaign.contest_id is not None and campaign.contest_weight > 0
    columns = [
        Column(t(N_("Họ và tên")), 28),
        Column(t(N_("Mã hội viên")), 14),
        Column(t(N_("Mã đơn vị")), 12),
        Column(t(N_("Đơn vị")), 30),
        Column(t(N_("Chủ đề")), 30),
        Column(t(N_("Số chữ")), 8, "int"),
        Column(t(N_("Nộp lúc")), 17),
        Column(t(N_("Trạng thái")), 20),
        Column(t(N_("Nhận xét của chi bộ")), 30),
        Column(t(N_("Số giám khảo đã chấm")), 10, "int"),
        Column(t(N_("Điểm từng giám khảo")), 16),
        Column(t(N_("Điểm (trung bình)")), 10, "float"),
        Column(t(N_("Giám khảo chênh lệch lớn")), 12),
    ]
    if linked:
        columns.append(Column(t(N_("Điểm cộng vào cuộc thi (× {weight})"), weight=f"{campaign.contest_weight:g}"), 14, "float"))
    totals = _grade_totals(session, reached)
    weighted = weighted_scores(session=session, campaign=campaign) if linked else {}

    def rows() -> Iterator[tuple[Any, ...]]:
        for e, m, u in _essay_rows(session, reached):
            assert e.id is not None and m.id is not None
            row = (
                m.full_name,
                m.member_code,
                u.code,
                u.name,
                e.topic,
                e.word_count,
                _stamp(e.submitted_at, campaign),
                t(essays.STATUS_LABELS[EssayStatus(e.status)]),
                e.review_comment if e.status == EssayStatus.returned else "",
                e.grade_count,
                "; ".join(_points(x) for x in totals.get(e.id, [])),
                e.score,
                t(N_("Có")) if e.disagreement else "",
            )
            yield (*row, weighted.get(m.id)) if linked else row

    missing_columns = [
        Column(t(N_("Họ và tên")), 28),
        Column(t(N_("Mã hội viên")), 14),
        Column(t(N_("Số điện thoại")), 14),
        Column(t(N_("Mã đơn vị")), 12),
        Column(t(N_("Đơn vị")), 30),
        Column(t(N_("Tình trạng")), 18),
    ]

    def missing() -> Iterator[tuple[Any, ...]]:
        stmt = (
            select(Member, Unit, Essay.id)
            .join(Unit, col(Unit.id) == Member.unit_id)
            .outerjoin(Essay, (col(Essay.member_id) == Member.id) & (col(Essay.campaign_id) == campaign.id))
            .where(
                col(Unit.path).startswith(reached.unit.path, autoescape=True),
                col(Member.active).is_(True),
                col(Essay.submitted_at).is_(None),
            )
            .order_by(col(Unit.path), col(Member.sort_key), col(Member.id))
            .execution_options(yield_per=BATCH)
        )
        for m, u, essay_id in session.exec(stmt):
            yield (
                m.full_name,
                m.member_code,
                m.phone,
                u.code,
                u.name,
                t(essays.STATUS_LABELS[EssayStatus.draft]) if essay_id else t(N_("Chưa viết")),
            )

    return [
        Part(t(N_("Bài thu hoạch")), columns, rows()),
        Part(t(N_("Chưa nộp")), missing_columns, missing()),
        _participation_part(participation(session=session, campaign=campaign, unit=reached.unit), locale),
    ]


def _notes(reached: Reach, locale: str) -> list[str]:
    t, c = _t(locale), reached.campaign
    rubric = "; ".join(f"{x['label']} ({_points(x['max_points'])})" for x in c.rubric)
    lines = [
        t(N_("Cuộc viết: {title}"), title=c.title),
        t(N_("Phạm vi: {unit}"), unit=f"{reached.unit.code} — {reached.unit.name}"),
        t(N_("Thời gian nhận bài: {start} đến {end}"), start=_stamp(c.opens_at, c), end=_stamp(c.closes_at, c)),
        t(N_("Số chữ: từ {min} đến {max}"), min=c.min_words, max=c.max_words),
        t(N_("Thang điểm ({max} điểm): {rubric}"), max=_points(rubric_max(c)), rubric=rubric),
        t(
            N_("Điểm của bài là trung bình điểm các giám khảo; chênh lệch quá {share}% điểm tối đa được đánh dấu."),
            share=f"{c.disagreement_share * 100:g}",
        ),
        t(N_("Xuất lúc: {at}"), at=_stamp(utcnow(), c)),
    ]
    return lines


def counts(*, session: Session, reached: Reach, locale: str = "vi") -> list[tuple[str, str]]:
    t = _t(locale)
    rows = participation(session=session, campaign=reached.campaign, unit=reached.unit)
    headcount, handed = sum(r.headcount for r in rows), sum(r.submitted for r in rows)
    by_status, graded = handed_in_counts(session=session, reached=reached)
    rate = percent(handed / headcount if headcount else None, locale)
    return [
        (t(N_("Số hội viên (khai báo)")), number(headcount, locale)),
        (t(N_("Số bài đã nộp")), number(handed, locale)),
        (t(N_("Tỉ lệ tham gia")), rate),
        (t(N_("Chi bộ đã xem")), number(by_status.get(EssayStatus.reviewed, 0), locale)),
        (t(N_("Bị trả lại để sửa")), number(by_status.get(EssayStatus.returned, 0), locale)),
        (t(N_("Đã được chấm điểm")), number(graded, locale)),
    ]


def bundle(*, session: Session, reached: Reach, locale: str = "vi") -> Bundle:
    t, c = _t(locale), reached.campaign
    today = utcnow().astimezone(zone(c))

    def pages() -> Iterator[EssayPage]:
        for e, m, u in _essay_rows(session, reached):
            facts = [
                (t(N_("Chủ đề")), e.topic),
                (t(N_("Số chữ")), str(e.word_count)),
                (t(N_("Nộp lúc")), _stamp(e.submitted_at, c)),
                (t(N_("Trạng thái")), t(essays.STATUS_LABELS[EssayStatus(e.status)])),
            ]
            if e.score is not None:
                facts.append((t(N_("Điểm (trung bình)")), f"{_points(e.score)}/{_points(rubric_max(c))}"))
            yield EssayPage(
                full_name=m.full_name, member_code=m.member_code, unit_name=u.name, facts=facts, paragraphs=essays.paragraphs(e.text)
            )

    return Bundle(
        organisation=reached.scope.name,
        unit_name=reached.unit.name,
        title=t(N_("TẬP BÀI THU HOẠCH")),
        campaign_title=c.title,
        prompt=c.prompt,
        counts=counts(session=session, reached=reached, locale=locale),
        place_date=t(N_("Ngày {d} tháng {m} năm {y}"), d=f"{today.day:02d}", m=f"{today.month:02d}", y=today.year),
        participation=_participation_part(participation(session=session, campaign=c, unit=reached.unit), locale),
        essays=pages(),
        empty_text=t(N_("Chưa có bài thu hoạch nào được nộp.")),
        footer=t(N_("Trang {page}/{{nb}}")),
    )


def export(*, session: Session, actor: Actor, campaign_id: int, fmt: str, unit_code: str | None = None, locale: str = "vi") -> ExportFile:
    if fmt not in FORMATS:
        raise Invalid(N_("Định dạng tệp không hỗ trợ: {fmt}."), field="format", fmt=fmt)
    reached = reach(session=session, actor=actor, campaign_id=campaign_id, unit_code=unit_code, roles=(*MANAGE, *JUDGE))
    kind = "tong-hop" if fmt == "xlsx" else "tap-bai"
    name = f"bai-thu-hoach-{kind}-{ascii_slug(reached.unit.code)}.{fmt}"
    display = translate(N_("Bài thu hoạch - {unit}.{fmt}"), locale, unit=reached.unit.name, fmt=fmt)

    def write(fh: BinaryIO) -> None:
        if fmt == "xlsx":
            write_xlsx(
                Report(
                    title=display,
                    parts=summary_parts(session=session, reached=reached, locale=locale),
                    tz=zone(reached.campaign),
                    note_lines=_notes(reached, locale),
                ),
                fh,
            )
        else:
            write_bundle_pdf(bundle(session=session, reached=reached, locale=locale), fh)

    return ExportFile(path=temp_file(f".{fmt}", write), filename=name, display_name=display, media_type=FORMATS[fmt])
