"""Reading the stored standings: boards for the whole scope or any unit subtree, unit standings and contest
standings (a member's rank card: results.rank_cards). Reads only; app.services.results.ranking builds what is read here.

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
from app.models import Attempt, Contest, ContestStanding, Member, Round, Standing, Unit, UnitStanding
from app.models.contests import ContestStatus, RoundStatus
from app.models.types import is_db_id, utcnow
from app.services.org import units
from app.services.org.access import JUDGE, MANAGE, Actor
from app.services.quiz import rules as quiz_rules
from app.services.results import board_cache, ranking
from app.services.results.board_cache import BoardCache


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
class RoundInfo:
    """What a board needs to know of its round, contest and scope (cached together)."""

    round_id: int
    title: str
    status: str
    opens_at: datetime
    closes_at: datetime
    results_visibility: str
    prediction_kind: str | None
    prediction_truth: int | None
    totals: dict
    contest_id: int
    contest_title: str
    contest_status: str
    timezone: str
    scope_id: int
    scope_code: str
    scope_name: str
    scope_path: str
    standings_built_at: datetime | None  # in the keys of what is read from the standings (see BoardCache)


def _load_info(session: Session, round_id: int) -> RoundInfo:
    round_ = session.get(Round, round_id) if is_db_id(round_id) else None
    contest = session.get(Contest, round_.contest_id) if round_ else None
    scope = session.get(Unit, contest.scope_unit_id) if contest else None
    if round_ is None or contest is None or scope is None or contest.status == ContestStatus.draft:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    assert round_.id is not None and contest.id is not None and scope.id is not None
    return RoundInfo(
        round_.id,
        round_.title,
        round_.status,
        round_.opens_at,
        round_.closes_at,
        round_.results_visibility,
        round_.prediction_kind,
        round_.prediction_truth,
        dict(round_.totals),
        contest.id,
        contest.title,
        contest.status,
        contest.timezone,
        scope.id,
        scope.code,
        scope.name,
        scope.path,
        round_.standings_built_at,
    )


def _allowed(actor: Actor, scope_path: str) -> bool:
    """Who may look at a contest's boards: its members, and organisers and judges whose subtree holds it."""
    inside = actor.unit is not None and actor.unit.path.startswith(scope_path)
    return inside or any(scope_path.startswith(p) for p in actor.paths((*MANAGE, *JUDGE)))


def any_round_info(*, session: Session, round_id: int, cache: BoardCache | None = None) -> RoundInfo:
    """The round, its contest and scope (404 for an unknown round or a draft contest), with no check of who asks."""
    return board_cache.cached(cache, ("info", round_id), lambda: _load_info(session, round_id))


def round_info(*, session: Session, actor: Actor, round_id: int, cache: BoardCache | None = None) -> RoundInfo:
    """The round as its boards show it, for members of the scope and its organisers and judges only."""
    info = any_round_info(session=session, round_id=round_id, cache=cache)
    if not _allowed(actor, info.scope_path):
        raise NotFound(N_("Không tìm thấy vòng thi."))
    return info


def scored_round(*, session: Session, actor: Actor, round_id: int, cache: BoardCache | None = None) -> RoundInfo:
    """round_info, for a board that shows scores: refused until the round's visibility rule allows them."""
    info = round_info(session=session, actor=actor, round_id=round_id, cache=cache)
    if not scores_visible(info):
        raise Conflict(N_("Bảng xếp hạng được công bố sau khi vòng thi đóng."))
    return info


def _can_see(session: Session, actor: Actor, contest: Contest) -> Unit:
    scope = session.get(Unit, contest.scope_unit_id)
    assert scope is not None
    if contest.status == ContestStatus.draft or not _allowed(actor, scope.path):
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


def scores_visible(round_: Round | RoundInfo, now: datetime | None = None) -> bool:
    """The ranking shows scores once the round's results may be seen: closed, or open with immediate results."""
    return quiz_rules.results_shown(round_, now or utcnow())


def shown_keys(contest: Contest, round_: Round | None = None, *, predicted: bool = True) -> list[str]:
    """The tie-break keys after the score that a board shows as columns, in the chain's order, so its order
    explains itself. The prediction's error is known only once a round's truth is frozen at close."""
    if round_ is not None:
        predicted = bool(round_.prediction_kind) and round_.status == RoundStatus.closed
    return [k for k in contest.tie_break if k != "score" and (k != "prediction_error" or predicted)]


@dataclass(frozen=True)
class Disqualified:
    """What a board says after judges disqualified attempts: how many, when last, and the reasons given."""

    count: int
    last_at: datetime
    reasons: list[str]


def disqualified(*, session: Session, round_id: int) -> Disqualified | None:
    a = Attempt.__table__.c
    count, last_at = session.execute(
        select(func.count(), func.max(a.disqualified_at)).where(a.round_id == round_id, a.disqualified_at.is_not(None))
    ).one()
    if not count:
        return None
    reasons = (
        session.execute(
            select(a.disqualify_reason)
            .where(a.round_id == round_id, a.disqualified_at.is_not(None), a.disqualify_reason != "")
            .group_by(a.disqualify_reason)
            .order_by(func.max(a.disqualified_at).desc())
            .limit(3)
        )
        .scalars()
        .all()
    )
    return Disqualified(int(count), last_at, list(reasons))


def _subtree(session: Session, scope_id: int, scope_path: str, unit_code: str | None) -> tuple[int, str]:
    """(id, path) of the unit whose board is asked for: the scope itself, or a unit inside it."""
    if not unit_code:
        return scope_id, scope_path
    unit = units.get_by_code(session=session, code=unit_code)
    if not unit.path.startswith(scope_path):
        raise NotFound(N_("Đơn vị {code} không thuộc phạm vi cuộc thi."), code=unit.code)
    assert unit.id is not None
    return unit.id, unit.path


def _rows(
    session: Session, table: Any, key: Any, key_value: int, unit: tuple[int, str], scope_id: int, limit: int, offset: int
) -> tuple[int, list[BoardRow]]:
    """Rows of a stored ranking, in rank order; a subtree's board re-ranks its own members among themselves
    (RANK() over the stored rank keeps shared ranks shared)."""
    t = table.__table__.c
    whole = unit[0] == scope_id
    where = [key == key_value]
    if not whole:
        where.append(col(table.unit_path).startswith(unit[1], autoescape=True))
    total = session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    rank = t.rank if whole else func.rank().over(order_by=t.rank)
    inner = select(
        rank.label("r"),
        t.member_id,
        t.unit_id,
        t.score,
        t.correct_count,
        t.prediction,
        t.prediction_error,
        t.duration_ms,
        t.submitted_at,
        t.rank.label("global_rank"),
        t.id.label("sid"),
    ).where(*where)
    if whole:
        inner = inner.order_by(t.rank, t.id).limit(limit).offset(offset)
        page = inner.subquery("page")
    else:
        page = select(inner.subquery("sub")).order_by("global_rank", "sid").limit(limit).offset(offset).subquery("page")
    p = page.c
    rows = session.execute(
        select(
            p.r,
            p.member_id,
            col(Member.full_name),
            col(Unit.code),
            col(Unit.name),
            p.score,
            p.correct_count,
            p.prediction,
            p.prediction_error,
            p.duration_ms,
            p.submitted_at,
        )
        .join(Member, col(Member.id) == p.member_id)
        .join(Unit, col(Unit.id) == p.unit_id)
        .order_by(p.global_rank, p.sid)
    ).all()
    return int(total), [BoardRow(*row) for row in rows]


def round_board(
    *,
    session: Session,
    actor: Actor,
    round_id: int,
    unit_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
    cache: BoardCache | None = None,
) -> tuple[int, list[BoardRow]]:
    info = scored_round(session=session, actor=actor, round_id=round_id, cache=cache)
    limit, offset = _clamp(limit), max(0, offset)

    def make() -> tuple[int, list[BoardRow]]:
        unit = _subtree(session, info.scope_id, info.scope_path, unit_code)
        return _rows(session, Standing, Standing.round_id, round_id, unit, info.scope_id, limit, offset)

    return board_cache.cached(
        cache, ("round", round_id, info.standings_built_at, (unit_code or "").upper(), limit, offset), make, lasting=True
    )


def _clamp(limit: int) -> int:
    return max(1, min(limit, 500))


def unit_board(
    *, session: Session, actor: Actor, round_id: int, parent_code: str | None = None, cache: BoardCache | None = None
) -> list[UnitRow]:
    """The units directly under `parent_code` (default: the contest's scope), ranked among themselves."""
    info = round_info(session=session, actor=actor, round_id=round_id, cache=cache)
    visible = scores_visible(info)

    def make() -> list[UnitRow]:
        parent_id, _path = _subtree(session, info.scope_id, info.scope_path, parent_code)
        rows = session.execute(
            select(UnitStanding, col(Unit.code), col(Unit.name), col(Unit.kind))
            .join(Unit, col(Unit.id) == UnitStanding.unit_id)
            .where(col(UnitStanding.round_id) == round_id, col(UnitStanding.parent_id) == parent_id)
            .order_by(col(UnitStanding.rank), col(Unit.code))
        ).all()
        return [
            UnitRow(
                rank=s.rank,
                unit_id=s.unit_id,
                code=code,
                name=name,
                kind=kind,
                participants=s.participants,
                attempts=s.attempts,
                headcount=s.headcount,
                participation_rate=s.participation_rate,
                average_score=s.average_score if visible else None,
                perfect_count=s.perfect_count if visible else None,
            )
            for s, code, name, kind in rows
        ]

    return board_cache.cached(cache, ("units", round_id, info.standings_built_at, (parent_code or "").upper(), visible), make, lasting=True)


def round_totals(*, session: Session, round_: Round, cache: BoardCache | None = None) -> dict[str, int]:
    """The frozen official totals of a closed round; the running ones while it is open (counted at most
    once per cache lifetime: a count over a million attempts is not for every page view)."""
    if round_.status == RoundStatus.closed and round_.totals:
        return dict(round_.totals)
    round_id = round_.id
    assert round_id is not None
    return board_cache.cached(cache, ("totals", round_id), lambda: ranking.official_counts(session=session, round_id=round_id))


def contest_board(
    *,
    session: Session,
    actor: Actor,
    contest_id: int,
    unit_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
    cache: BoardCache | None = None,
) -> tuple[Contest, int, list[BoardRow]]:
    contest = session.get(Contest, contest_id) if is_db_id(contest_id) else None
    if contest is None:
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    scope = _can_see(session, actor, contest)
    scope_id = scope.id
    assert scope_id is not None
    limit, offset = _clamp(limit), max(0, offset)

    def make() -> tuple[int, list[BoardRow]]:
        unit = _subtree(session, scope_id, scope.path, unit_code)
        return _rows(session, ContestStanding, ContestStanding.contest_id, contest_id, unit, scope_id, limit, offset)

    total, rows = board_cache.cached(cache, ("contest", contest_id, (unit_code or "").upper(), limit, offset), make)
    return contest, total, rows
