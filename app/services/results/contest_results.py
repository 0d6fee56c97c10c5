"""A contest as a whole: its ranked list over the closed rounds (XLSX, CSV), for judges."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from app.errors import N_, Invalid
from app.i18n import translate
from app.models import Contest, ContestStanding, Member, Round, Standing, Unit
from app.models.contests import RoundStatus
from app.models.types import utcnow
from app.services.contests import contests
from app.services.contests import rules as contest_rules
from app.services.kit.files import ExportFile, ascii_slug, temp_file
from app.services.kit.sheets import Column, Part, Report, write_xlsx
from app.services.org.access import Actor
from app.services.results.judging import JudgedContest, judge_contest
from app.services.results.results import BATCH, FORMATS, when, write_csv

CONTEST_FORMATS = ("xlsx", "csv")


# --- a contest as a whole ----------------------------------------------------------------------------------
def closed_rounds(*, session: Session, contest: Contest) -> list[Round]:
    """The rounds the contest standings add up (the closed ones), in the contest's order."""
    return [r for r in contests.rounds_of(session=session, contest=contest) if r.status == RoundStatus.closed]


def contest_ranking_columns(rounds: list[Round], locale: str = "vi") -> list[Column]:
    """The contest's ranked list: totals over the closed rounds in the order the tie-break chain reads them
    (summed prediction errors and durations, the last submission), then each round's score."""
    fixed = [
        Column(N_("Hạng"), 7, "int"),
        Column(N_("Mã hội viên"), 14),
        Column(N_("Họ và tên"), 28),
        Column(N_("Mã đơn vị"), 12),
        Column(N_("Đơn vị"), 30),
        Column(N_("Tổng điểm"), 9, "int"),
        Column(N_("Số câu đúng"), 10, "int"),
        Column(N_("Số vòng đã thi"), 10, "int"),
        Column(N_("Tổng sai số dự đoán"), 12, "int"),
        Column(N_("Tổng thời gian làm bài"), 12, "duration_ms", N_("Tổng thời gian làm bài (mili giây)")),
        Column(N_("Lần nộp bài cuối"), 20, "datetime"),
    ]
    for c in fixed:
        c.header = translate(c.header, locale)
    # round titles are the organiser's words: filled in after translation, never looked up in the catalogue
    return fixed + [Column(translate(N_("Điểm: {round}"), locale, round=r.title), 12, "int") for r in rounds]


def contest_ranking_rows(session: Session, contest_id: int, unit_path: str, round_ids: list[int]) -> Iterator[tuple[Any, ...]]:
    """The contest standings inside a unit subtree, in the fixed order (rank, Vietnamese name order, member id),
    read in batches; each round's score is one indexed look-up per row (uq_standing_member), so a cell's list
    does not aggregate the whole contest."""
    cs = ContestStanding
    per_round = [
        select(col(Standing.score))
        .where(col(Standing.round_id) == rid, col(Standing.member_id) == cs.member_id)
        .scalar_subquery()
        .label(f"round_{rid}")
        for rid in round_ids
    ]
    stmt = (
        select(
            col(cs.rank),
            col(Member.member_code),
            col(Member.full_name),
            col(Unit.code),
            col(Unit.name),
            col(cs.score),
            col(cs.correct_count),
            col(cs.rounds),
            col(cs.prediction_error),
            col(cs.duration_ms),
            col(cs.submitted_at),
            *per_round,
        )
        .join(Member, col(Member.id) == cs.member_id)
        .join(Unit, col(Unit.id) == cs.unit_id)
        .where(col(cs.contest_id) == contest_id, col(cs.unit_path).startswith(unit_path, autoescape=True))
        .order_by(col(cs.rank), col(Member.sort_key), col(cs.member_id))
        .execution_options(yield_per=BATCH)
    )
    for row in session.execute(stmt):
        yield tuple(row)


def _contest_notes(judged: JudgedContest, rounds: list[Round], others: list[Round], tz: ZoneInfo, locale: str) -> list[str]:
    t = lambda msgid, **kw: translate(msgid, locale, **kw)  # noqa: E731
    lines = [
        t(N_("Cuộc thi: {title}"), title=judged.contest.title),
        t(N_("Phạm vi: {unit}"), unit=f"{judged.unit.code} — {judged.unit.name}"),
        t(N_("Xuất lúc: {at}"), at=when(utcnow(), tz)),
        t(
            N_(
                "Xếp hạng toàn cuộc thi: cộng điểm, sai số dự đoán và thời gian làm bài của các vòng đã đóng; lúc nộp "
                "bài là lần nộp cuối cùng."
            )
        ),
    ]
    chain = contest_rules.tie_chain(judged.contest, locale=locale)
    if chain:
        lines.append(chain)
    for r in rounds:
        if r.sealed_at and r.seal_digest:
            lines.append(
                t(N_("{round}: niêm phong lúc {at}; mã SHA-256: {digest}"), round=r.title, at=when(r.sealed_at, tz), digest=r.seal_digest)
            )
        else:
            lines.append(t(N_("{round}: chưa niêm phong."), round=r.title))
    if others:
        lines.append(t(N_("Chưa tính các vòng chưa đóng: {rounds}."), rounds=", ".join(r.title for r in others)))
    return lines


def export_contest(
    *, session: Session, actor: Actor, contest_id: int, fmt: str, unit_code: str | None = None, locale: str = "vi"
) -> ExportFile:
    """Write a contest's ranked list over its closed rounds for a judge of the unit asked for (default: the
    judge's whole reach), as XLSX (with the notes sheet) or CSV."""
    if fmt not in CONTEST_FORMATS:
        raise Invalid(N_("Định dạng tệp không hỗ trợ: {fmt}."), field="format", fmt=fmt)
    judged = judge_contest(session=session, actor=actor, contest_id=contest_id, unit_code=unit_code)
    contest, tz = judged.contest, contests.zone(judged.contest)
    rounds = closed_rounds(session=session, contest=contest)
    if not rounds:
        raise Invalid(N_("Cuộc thi chưa có vòng thi nào đóng: chưa có kết quả chính thức để xuất."), field="contest")
    name = f"ket-qua-cuoc-thi-{ascii_slug(contest.title)}-{ascii_slug(judged.unit.code)}.{fmt}"
    display = translate(N_("Kết quả cuộc thi {contest} - {unit}.{fmt}"), locale, contest=contest.title, unit=judged.unit.name, fmt=fmt)
    part = Part(
        translate(N_("Xếp hạng"), locale),
        contest_ranking_columns(rounds, locale),
        contest_ranking_rows(session, contest_id, judged.unit.path, [r.id for r in rounds if r.id is not None]),
    )

    def write(fh: BinaryIO) -> None:
        if fmt == "xlsx":
            others = [r for r in contests.rounds_of(session=session, contest=contest) if r.status != RoundStatus.closed]
            notes = _contest_notes(judged, rounds, others, tz, locale)
            write_xlsx(Report(title=display, parts=[part], tz=tz, note_lines=notes), fh)
        else:
            write_csv(fh, part, tz)

    return ExportFile(path=temp_file(f".{fmt}", write), filename=name, display_name=display, media_type=FORMATS[fmt])
