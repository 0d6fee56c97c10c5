"""Reading the stored standings: boards for the whole scope or any unit subtree, a member's rank card, unit
standings and contest standings. Reads only; app.services.ranking builds what is read here.

Who may look: members whose unit lies in the contest's scope, and organisers and judges covering it.
What they see: name and unit only (no phone, birth date or ID), and nothing of scores before the round's
visibility rule allows (the unit table then shows participation only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.errors import N_, Conflict, NotFound
from app.models import Contest, ContestStanding, Member, Round, Standing, Unit, UnitStanding
from app.models.contest import ContestStatus
from app.models.types import is_db_id, utcnow
from app.services import ranking, units
from app.services.access import JUDGE, MANAGE, Actor


@dataclass(frozen=True)
class BoardRow:
    rank: int
    member_id: int
    full_name: str
    unit_code: str
    unit_name: str
    score: int
    correct_count: int
    prediction: int | None
    prediction_error: int | None
    duration_ms: int
    submitted_at: datetime


@dataclass(frozen=True)
class UnitRow:
    rank: int
    unit_id: int
    code: str
    name: str
    kind: str
    participants: int
    attempts: int
    headcount: int
    participation_rate: float | None
    average_score: float | None
    perfect_count: int | None


@dataclass(frozen=True)
class RankCard:
    rank: int
    total: int
    unit_rank: int
    unit_total: int
    unit_name: str
    score: int


def _can_see(session: Session, actor: Actor, contest: Contest) -> Unit:
    scope = session.get(Unit, contest.scope_unit_id)
    assert scope is not None
    inside = actor.unit is not None and actor.unit.path.startswith(scope.path)
    if contest.status == ContestStatus.draft or not (inside or actor.covers(scope, (*MANAGE, *JUDGE))):
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    return scope


def board_round(*, session: Session, actor: Actor, round_id: int) -> tuple[Round, Contest, Unit]:
    round_ = session.get(Round, round_id) if is_db_id(round_id) else None
    contest = session.get(Contest, round_.contest_id) if round_ else None
    if round_ is None or contest is None:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    try:
        scope = _can_see(session, actor, contest)
    except NotFound:
        raise NotFound(N_("Không tìm thấy vòng thi.")) from None
    return round_, contest, scope


def scores_visible(round_: Round, now: datetime | None = None) -> bool:
    """The ranking shows scores once the round's results may be seen: closed, or open with immediate results."""
    now = now or utcnow()
    return round_.status == "closed" or now >= round_.closes_at or round_.results_visibility == "immediate"


def _subtree(session: Session, scope: Unit, unit_code: str | None) -> Unit:
    if not unit_code:
        return scope
    unit = units.get_by_code(session=session, code=unit_code)
    if not unit.path.startswith(scope.path):
        raise NotFound(N_("Đơn vị {code} không thuộc phạm vi cuộc thi."), code=unit.code)
    return unit


def _rows(session: Session, table: Any, key: Any, key_value: int, unit: Unit, scope: Unit, limit: int,
          offset: int) -> tuple[int, list[BoardRow]]:
    """Rows of a stored ranking, in rank order; a subtree's board re-ranks its own members among themselves
    (RANK() over the stored rank keeps shared ranks shared)."""
    t = table.__table__.c
    where = [key == key_value]
    if unit.id != scope.id:
        where.append(col(table.unit_path).startswith(unit.path, autoescape=True))
    total = session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    rank = t.rank if unit.id == scope.id else func.rank().over(order_by=t.rank)
    inner = select(rank.label("r"), t.member_id, t.unit_id, t.score, t.correct_count, t.prediction,
                   t.prediction_error, t.duration_ms, t.submitted_at, t.rank.label("global_rank"), t.id.label("sid")
                   ).where(*where)
    if unit.id == scope.id:
        inner = inner.order_by(t.rank, t.id).limit(limit).offset(offset)
        page = inner.subquery("page")
    else:
        page = select(inner.subquery("sub")).order_by("global_rank", "sid").limit(limit).offset(offset).subquery("page")
    p = page.c
    rows = session.execute(
        select(p.r, p.member_id, Member.full_name, Unit.code, Unit.name, p.score, p.correct_count, p.prediction,
               p.prediction_error, p.duration_ms, p.submitted_at)
        .join(Member, Member.id == p.member_id).join(Unit, Unit.id == p.unit_id)
        .order_by(p.global_rank, p.sid)).all()
    return int(total), [BoardRow(*row) for row in rows]


def round_board(*, session: Session, actor: Actor, round_id: int, unit_code: str | None = None, limit: int = 50,
                offset: int = 0) -> tuple[int, list[BoardRow]]:
    round_, _contest, scope = board_round(session=session, actor=actor, round_id=round_id)
    if not scores_visible(round_):
        raise Conflict(N_("Bảng xếp hạng được công bố sau khi vòng thi đóng."))
    unit = _subtree(session, scope, unit_code)
    return _rows(session, Standing, Standing.round_id, round_id, unit, scope, _clamp(limit), max(0, offset))


def _clamp(limit: int) -> int:
    return max(1, min(limit, 500))


def rank_card(*, session: Session, actor: Actor, round_id: int) -> RankCard | None:
    """"You are 37th of 412 in Chi bộ 3, 1,204th of 8,292 in the union": None without a counted attempt."""
    round_, _contest, scope = board_round(session=session, actor=actor, round_id=round_id)
    if not scores_visible(round_):
        return None
    mine = session.execute(select(Standing).where(Standing.round_id == round_id,
                                                 Standing.member_id == actor.id)).scalars().first()
    if mine is None:
        return None
    total = session.execute(select(func.count()).select_from(Standing).where(Standing.round_id == round_id)).scalar_one()
    in_unit = [Standing.round_id == round_id, Standing.unit_id == mine.unit_id]
    unit_total = session.execute(select(func.count()).select_from(Standing).where(*in_unit)).scalar_one()
    ahead = session.execute(select(func.count()).select_from(Standing)
                            .where(*in_unit, Standing.rank < mine.rank)).scalar_one()
    unit = session.get(Unit, mine.unit_id)
    return RankCard(rank=mine.rank, total=int(total), unit_rank=int(ahead) + 1, unit_total=int(unit_total),
                    unit_name=unit.name if unit else "", score=mine.score)


def unit_board(*, session: Session, actor: Actor, round_id: int, parent_code: str | None = None) -> list[UnitRow]:
    """The units directly under `parent_code` (default: the contest's scope), ranked among themselves."""
    round_, _contest, scope = board_round(session=session, actor=actor, round_id=round_id)
    parent = _subtree(session, scope, parent_code)
    visible = scores_visible(round_)
    rows = session.execute(
        select(UnitStanding, Unit.code, Unit.name, Unit.kind).join(Unit, Unit.id == UnitStanding.unit_id)
        .where(UnitStanding.round_id == round_id, UnitStanding.parent_id == parent.id)
        .order_by(UnitStanding.rank, Unit.code)).all()
    return [UnitRow(rank=s.rank, unit_id=s.unit_id, code=code, name=name, kind=kind, participants=s.participants,
                    attempts=s.attempts, headcount=s.headcount, participation_rate=s.participation_rate,
                    average_score=s.average_score if visible else None,
                    perfect_count=s.perfect_count if visible else None)
            for s, code, name, kind in rows]


def round_totals(*, session: Session, round_: Round) -> dict[str, int]:
    """The frozen official totals of a closed round; the running ones while it is open."""
    if round_.status == "closed" and round_.totals:
        return dict(round_.totals)
    assert round_.id is not None
    return ranking.official_counts(session=session, round_id=round_.id)


def contest_board(*, session: Session, actor: Actor, contest_id: int, unit_code: str | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[Contest, int, list[BoardRow]]:
    contest = session.get(Contest, contest_id) if is_db_id(contest_id) else None
    if contest is None:
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    scope = _can_see(session, actor, contest)
    unit = _subtree(session, scope, unit_code)
    total, rows = _rows(session, ContestStanding, ContestStanding.contest_id, contest_id, unit, scope,
                        _clamp(limit), max(0, offset))
    return contest, total, rows
