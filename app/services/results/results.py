"""The judges' result files of a round: the ranked list, unit statistics and the winners with the contact
data prizes are paid with, for the whole scope or one unit, as XLSX, CSV or the PDF minutes; and of a contest as
a whole: the ranked list over its closed rounds (the stored contest standings, with each round's score), as XLSX
or CSV.

Rows come from the stored standings (app.services.results.ranking) in a fixed order (rank, then the Vietnamese name
order, then member id), read in batches and written straight to a temporary file, so a list of any length
is never held in memory; the router streams the file. The ranked list's cells, as printed in the CSV, are
also what the seal's digest is computed over (app.services.results.sealing), so the CSV can be checked against it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlmodel import Session, col

from app.errors import N_, Invalid
from app.i18n import translate
from app.models import Attempt, Member, Standing, Unit, UnitStanding
from app.models.contests import RoundStatus
from app.models.results import Prize
from app.models.types import utcnow
from app.services.contests import contests
from app.services.contests import rules as contest_rules
from app.services.kit.files import XLSX, ExportFile, ascii_slug, temp_file
from app.services.kit.sheets import Column, Part, Report, iter_csv, translated, write_xlsx
from app.services.org.access import Actor
from app.services.results.judging import JudgedRound, judge_round
from app.services.results.minutes_pdf import Minutes, write_minutes_pdf

BATCH = 2000
FORMATS = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
PARTS = ("ranking", "units", "winners")
CSV_PART_NAMES = {
    "ranking": ("xep-hang", N_("Xếp hạng")),
    "units": ("thong-ke-don-vi", N_("Thống kê đơn vị")),
    "winners": ("dat-giai", N_("Đạt giải")),
}
UNITS_RECOMPUTED = N_(
    "Thống kê đơn vị được tính lại lúc {at} sau khi niêm phong: tỉ lệ tham gia của một đơn vị là số "
    "người dự thi của cả đơn vị và các đơn vị trực thuộc chia cho tổng số khai báo của chúng. Danh "
    "sách xếp hạng cá nhân và mã niêm phong không đổi."
)


def ranking_columns() -> list[Column]:
    """The ranked list: what the judges sign, and (as printed in the CSV) what the seal's digest covers."""
    return [
        Column(N_("Hạng"), 7, "int"),
        Column(N_("Mã hội viên"), 14),
        Column(N_("Họ và tên"), 28),
        Column(N_("Mã đơn vị"), 12),
        Column(N_("Đơn vị"), 30),
        Column(N_("Điểm"), 8, "int"),
        Column(N_("Số câu đúng"), 10, "int"),
        Column(N_("Số câu"), 8, "int"),
        Column(N_("Dự đoán"), 10, "int"),
        Column(N_("Sai số dự đoán"), 12, "int"),
        Column(N_("Thời gian làm bài"), 14, "duration_ms", N_("Thời gian làm bài (mili giây)")),
        Column(N_("Nộp bài lúc"), 20, "datetime"),
        Column(N_("Số lượt thi"), 10, "int"),
        Column(N_("Giải"), 18),
    ]


def ranking_rows(session: Session, round_id: int, unit_path: str) -> Iterator[tuple[Any, ...]]:
    """The ranked list of a round inside a unit subtree, in the fixed order, read in batches."""
    stmt = (
        select(
            col(Standing.rank),
            col(Member.member_code),
            col(Member.full_name),
            col(Unit.code),
            col(Unit.name),
            col(Standing.score),
            col(Standing.correct_count),
            col(Standing.question_count),
            col(Standing.prediction),
            col(Standing.prediction_error),
            col(Standing.duration_ms),
            col(Standing.submitted_at),
            col(Standing.attempts),
            col(Prize.tier_name),
        )
        .join(Member, col(Member.id) == Standing.member_id)
        .join(Unit, col(Unit.id) == Standing.unit_id)
        .outerjoin(Prize, and_(col(Prize.round_id) == Standing.round_id, col(Prize.member_id) == Standing.member_id))
        .where(col(Standing.round_id) == round_id, col(Standing.unit_path).startswith(unit_path, autoescape=True))
        .order_by(col(Standing.rank), col(Member.sort_key), col(Standing.member_id))
        .execution_options(yield_per=BATCH)
    )
    for row in session.execute(stmt):
        yield tuple(row)


def _units_part(session: Session, judged: JudgedRound) -> Part:
    columns = [
        Column(N_("Mã đơn vị"), 12),
        Column(N_("Đơn vị"), 32),
        Column(N_("Thuộc"), 26),
        Column(N_("Hạng trong cấp"), 10, "int"),
        Column(N_("Số người dự thi"), 12, "int"),
        Column(N_("Số lượt thi"), 10, "int"),
        Column(N_("Số hội viên"), 12, "int"),
        Column(N_("Tỉ lệ tham gia"), 12, "percent"),
        Column(N_("Điểm trung bình"), 12, "float"),
        Column(N_("Số người đạt điểm tối đa"), 14, "int"),
        Column(N_("Giải tập thể"), 18),
    ]
    parent = Unit.__table__.alias("parent")
    stmt = (
        select(
            col(Unit.code),
            col(Unit.name),
            parent.c.name,
            col(UnitStanding.rank),
            col(UnitStanding.participants),
            col(UnitStanding.attempts),
            col(UnitStanding.headcount),
            col(UnitStanding.participation_rate),
            col(UnitStanding.average_score),
            col(UnitStanding.perfect_count),
            col(Prize.tier_name),
        )
        .join(Unit, col(Unit.id) == UnitStanding.unit_id)
        .outerjoin(parent, parent.c.id == UnitStanding.parent_id)
        .outerjoin(
            Prize,
            and_(col(Prize.round_id) == UnitStanding.round_id, col(Prize.unit_id) == UnitStanding.unit_id, col(Prize.collective).is_(True)),
        )
        .where(col(UnitStanding.round_id) == judged.round.id, col(Unit.path).startswith(judged.unit.path, autoescape=True))
        .order_by(Unit.path)
    )
    return Part(N_("Thống kê đơn vị"), columns, (tuple(r) for r in session.execute(stmt)))


def _winner_rows(session: Session, judged: JudgedRound) -> Iterator[tuple[Any, ...]]:
    stmt = (
        select(
            col(Prize.tier_name),
            col(Prize.rank),
            col(Member.full_name),
            col(Member.member_code),
            col(Member.birth_date),
            col(Member.phone),
            col(Member.id_number_last),
            col(Unit.code),
            col(Unit.name),
            col(Standing.score),
            col(Standing.submitted_at),
        )
        .join(Member, col(Member.id) == Prize.member_id)
        .join(Unit, col(Unit.id) == Prize.unit_id)
        .join(Standing, and_(col(Standing.round_id) == Prize.round_id, col(Standing.member_id) == Prize.member_id))
        .where(
            col(Prize.round_id) == judged.round.id,
            col(Prize.collective).is_(False),
            col(Unit.path).startswith(judged.unit.path, autoescape=True),
        )
        .order_by(col(Prize.tier), col(Prize.rank), col(Member.sort_key), col(Member.id))
    )
    for r in session.execute(stmt):
        yield (*r[:6], f"…{r.id_number_last}" if r.id_number_last else None, *r[7:])


def winners_part(session: Session, judged: JudgedRound) -> Part:
    columns = [
        Column(N_("Giải"), 18),
        Column(N_("Hạng"), 7, "int"),
        Column(N_("Họ và tên"), 28),
        Column(N_("Mã hội viên"), 14),
        Column(N_("Ngày sinh"), 12, "date"),
        Column(N_("Số điện thoại"), 14),
        Column(N_("CCCD (4 số cuối)"), 12),
        Column(N_("Mã đơn vị"), 12),
        Column(N_("Đơn vị"), 30),
        Column(N_("Điểm"), 8, "int"),
        Column(N_("Nộp bài lúc"), 20, "datetime"),
    ]
    return Part(N_("Đạt giải"), columns, _winner_rows(session, judged))


def disqualified_part(session: Session, judged: JudgedRound) -> Part:
    """Every disqualified attempt inside the judged unit, with when and why: the minutes list them."""
    columns = [
        Column(N_("Họ và tên"), 28),
        Column(N_("Mã đơn vị"), 12),
        Column(N_("Lượt"), 6, "int"),
        Column(N_("Loại lúc"), 18, "datetime"),
        Column(N_("Lý do"), 40),
    ]
    rows = [
        (m.full_name, u.code, a.number, a.disqualified_at, a.disqualify_reason)
        for a, m, u in session.execute(
            select(Attempt, Member, Unit)
            .join(Member, col(Member.id) == Attempt.member_id)
            .join(Unit, col(Unit.id) == Attempt.unit_id)
            .where(
                col(Attempt.round_id) == judged.round.id,
                col(Attempt.disqualified_at).is_not(None),
                col(Unit.path).startswith(judged.unit.path, autoescape=True),
            )
            .order_by(col(Attempt.disqualified_at), col(Attempt.id))
        ).all()
    ]
    return Part(N_("Lượt thi bị loại"), columns, rows)


def unit_winners_part(session: Session, judged: JudgedRound) -> Part:
    columns = [Column(N_("Giải"), 18), Column(N_("Hạng"), 7, "int"), Column(N_("Mã đơn vị"), 12), Column(N_("Đơn vị"), 32)]
    stmt = (
        select(col(Prize.tier_name), col(Prize.rank), col(Unit.code), col(Unit.name))
        .join(Unit, col(Unit.id) == Prize.unit_id)
        .where(
            col(Prize.round_id) == judged.round.id,
            col(Prize.collective).is_(True),
            col(Unit.path).startswith(judged.unit.path, autoescape=True),
        )
        .order_by(col(Prize.tier), col(Prize.rank), col(Unit.code))
    )
    return Part(N_("Giải tập thể"), columns, [tuple(r) for r in session.execute(stmt)])


def when(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S") if value else ""


def _notes(judged: JudgedRound, tz: ZoneInfo, locale: str) -> list[str]:
    r = judged.round
    lines = [
        translate(N_("Cuộc thi: {title}"), locale, title=judged.contest.title),
        translate(N_("Vòng thi: {title}"), locale, title=r.title),
        translate(N_("Phạm vi: {unit}"), locale, unit=f"{judged.unit.code} — {judged.unit.name}"),
        translate(N_("Xuất lúc: {at}"), locale, at=when(utcnow(), tz)),
    ]
    if r.sealed_at and r.seal_digest:
        lines.append(
            translate(
                N_("Niêm phong lúc {at}; mã SHA-256 của danh sách xếp hạng toàn cuộc thi: {digest}"),
                locale,
                at=when(r.sealed_at, tz),
                digest=r.seal_digest,
            )
        )
    else:
        lines.append(translate(N_("Kết quả chưa được niêm phong."), locale))
    if r.units_recomputed_at:
        lines.append(translate(UNITS_RECOMPUTED, locale, at=when(r.units_recomputed_at, tz)))
    if r.prize_tiers and r.prizes_confirmed_at is None:
        lines.append(translate(N_("Danh sách giải chưa được xác nhận."), locale))
    return lines


def export_round(
    *, session: Session, actor: Actor, round_id: int, fmt: str, unit_code: str | None = None, part: str = "ranking", locale: str = "vi"
) -> ExportFile:
    """Write a round's result file for a judge of the unit asked for (default: the judge's whole reach)."""
    if fmt not in FORMATS:
        raise Invalid(N_("Định dạng tệp không hỗ trợ: {fmt}."), field="format", fmt=fmt)
    if part not in PARTS:
        raise Invalid(N_("Phần cần xuất không hợp lệ: {part}."), field="part", part=part)
    judged = judge_round(session=session, actor=actor, round_id=round_id, unit_code=unit_code)
    round_, tz = judged.round, contests.zone(judged.contest)
    if round_.status != RoundStatus.closed:
        raise Invalid(N_("Vòng thi chưa đóng: chưa có kết quả chính thức để xuất."), field="round")
    # the three CSV parts are three files: each gets its own name, so one download never overwrites another
    slug, label = ("ket-qua", N_("Kết quả")) if fmt != "csv" else CSV_PART_NAMES[part]
    name = f"{slug}-{ascii_slug(round_.title)}-{ascii_slug(judged.unit.code)}.{fmt}"
    display = translate(
        N_("{label} {round} - {unit}.{fmt}"), locale, label=translate(label, locale), round=round_.title, unit=judged.unit.name, fmt=fmt
    )

    def write(fh: BinaryIO) -> None:
        if fmt == "xlsx":
            parts = [
                translated(Part(N_("Xếp hạng"), ranking_columns(), ranking_rows(session, round_id, judged.unit.path)), locale),
                translated(_units_part(session, judged), locale),
                translated(winners_part(session, judged), locale),
            ]
            if round_.unit_prize_tiers:
                parts.append(translated(unit_winners_part(session, judged), locale))
            write_xlsx(Report(title=display, parts=parts, tz=tz, note_lines=_notes(judged, tz, locale)), fh)
        elif fmt == "csv":
            chosen = {
                "ranking": lambda: Part(N_("Xếp hạng"), ranking_columns(), ranking_rows(session, round_id, judged.unit.path)),
                "units": lambda: _units_part(session, judged),
                "winners": lambda: winners_part(session, judged),
            }
            write_csv(fh, translated(chosen[part](), locale), tz)
        else:
            write_minutes_pdf(minutes(session=session, judged=judged, locale=locale), fh)

    return ExportFile(path=temp_file(f".{fmt}", write), filename=name, display_name=display, media_type=FORMATS[fmt])


def write_csv(fh: BinaryIO, part: Part, tz: ZoneInfo) -> None:
    for chunk in iter_csv(part, tz):
        fh.write(chunk)


def minutes(*, session: Session, judged: JudgedRound, locale: str = "vi") -> Minutes:
    """What the "Biên bản xét giải" states: the criteria, the totals, the prediction truth, the winners, the
    digest (when sealed) and the signature block."""
    round_, contest, tz = judged.round, judged.contest, contests.zone(judged.contest)
    t = lambda msgid, **kw: translate(msgid, locale, **kw)  # noqa: E731
    criteria = [contest_rules.counted_rule(round_, locale=locale)]
    chain = contest_rules.tie_chain(contest, locale=locale)
    if chain:
        criteria.append(chain)
    if round_.prize_tiers:
        tiers = ", ".join(f"{x['count']} {x['name']}" for x in round_.prize_tiers)
        criteria.append(t(N_("Cơ cấu giải: {tiers}; mỗi người nhận nhiều nhất một giải trong vòng thi."), tiers=tiers))
    if round_.prize_cap_share:
        criteria.append(t(N_("Tổng số giải không quá {share}% số người dự thi."), share=f"{round_.prize_cap_share * 100:g}"))
    totals = round_.totals or {}
    rows = [
        (t(N_("Số người dự thi")), str(totals.get("participants", 0))),
        (t(N_("Số lượt thi hợp lệ")), str(totals.get("attempts", 0))),
        (t(N_("Số người đạt điểm tối đa")), str(totals.get("perfect_scorers", 0))),
    ]
    headcount = session.execute(
        select(col(UnitStanding.headcount)).where(col(UnitStanding.round_id) == round_.id, col(UnitStanding.unit_id) == judged.unit.id)
    ).scalar()
    if headcount:  # the subtree's declared headcount, as the unit statistics count it
        rows.append((t(N_("Số hội viên của đơn vị")), str(headcount)))
    prediction = None
    label = contest_rules.truth_label(round_, locale=locale)
    if label:
        truth = "" if round_.prediction_truth is None else str(round_.prediction_truth)
        prediction = (round_.prediction_prompt or label, t(N_("{value} ({label})"), value=truth, label=label))
    winners = translated(winners_part(session, judged), locale)
    winners.rows = list(winners.rows)
    unit_winners = translated(unit_winners_part(session, judged), locale) if round_.unit_prize_tiers else None
    disqualified = translated(disqualified_part(session, judged), locale)
    disqualified.rows = list(disqualified.rows)
    today = (round_.sealed_at or utcnow()).astimezone(tz)
    return Minutes(
        organisation=judged.scope.name,
        contest_title=contest.title,
        round_title=round_.title,
        place_date=t(N_("Ngày {d} tháng {m} năm {y}"), d=f"{today.day:02d}", m=f"{today.month:02d}", y=today.year),
        criteria=criteria,
        totals=rows,
        prediction=prediction,
        winners=winners,
        unit_winners=unit_winners,
        disqualified=disqualified,
        digest=round_.seal_digest,
        sealed_at=when(round_.sealed_at, tz) or None,
        signatures=[t(N_("TRƯỞNG BAN GIÁM KHẢO")), t(N_("THƯ KÝ"))],
        tz=tz,
    )
