"""Reading the stored standings: boards for the whole scope or any unit subtree, a member's rank card, unit
standings and contest standings. Reads only; app.services.ranking builds what is read here.

Who may look: members whose unit lies in the contest's scope, and organisers and judges covering it.
What they see: name and unit only (no phone, birth date or ID), and nothing of scores before the round's
visibility rule allows (the unit table then shows participation only)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cachetools import TTLCache
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session as OrmSession
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


class BoardCache:
    """Per-process and short-lived (DESIGN.md): the same board is asked for by thousands of phones in the
    same minutes, and between two rebuilds of the standings it does not change. Entries live `ttl`
    seconds; a commit in this process that changes a round (closed, rebuilt, re-scored) drops them all at
    once (session event below), another worker's change is seen within `ttl`. Routers pass the app's
    cache in; without one (services, tests) every read goes to the database."""

    def __init__(self, ttl: float, maxsize: int = 20_000) -> None:
        self._items: TTLCache | None = TTLCache(maxsize=maxsize, ttl=ttl) if ttl > 0 else None
        self._lock = threading.Lock()
        _caches.append(self)

    def get_or(self, key: tuple, make: Callable[[], Any]) -> Any:
        if self._items is None:
            return make()
        with self._lock:
            hit = self._items.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        value = make()  # outside the lock: two misses at once may both compute, neither waits on the other
        with self._lock:
            self._items[key] = value
        return value

    def peek(self, key: tuple) -> Any:
        """The cached value, or None (never blocks on the database)."""
        if self._items is None:
            return None
        with self._lock:
            return self._items.get(key)

    def clear(self) -> None:
        if self._items is not None:
            with self._lock:
                self._items.clear()


_MISSING = object()
_caches: list[BoardCache] = []


@event.listens_for(OrmSession, "before_flush")
def _note_round_changes(session: OrmSession, _ctx: object, _instances: object) -> None:
    if any(isinstance(o, Round | Contest) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info["boards_stale"] = True


@event.listens_for(OrmSession, "after_commit")
def _drop_stale_boards(session: OrmSession) -> None:
    if session.info.pop("boards_stale", False):
        for cache in _caches:
            cache.clear()


def _cached(cache: BoardCache | None, key: tuple, make: Callable[[], Any]) -> Any:
    return cache.get_or(key, make) if cache is not None else make()


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


def _load_info(session: Session, round_id: int) -> RoundInfo:
    round_ = session.get(Round, round_id) if is_db_id(round_id) else None
    contest = session.get(Contest, round_.contest_id) if round_ else None
    scope = session.get(Unit, contest.scope_unit_id) if contest else None
    if round_ is None or contest is None or scope is None or contest.status == ContestStatus.draft:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    assert round_.id is not None and contest.id is not None and scope.id is not None
    return RoundInfo(round_.id, round_.title, round_.status, round_.opens_at, round_.closes_at,
                     round_.results_visibility, round_.prediction_kind, round_.prediction_truth, dict(round_.totals),
                     contest.id, contest.title, contest.status, contest.timezone, scope.id, scope.code, scope.name,
                     scope.path)


def _allowed(actor: Actor, scope_path: str) -> bool:
    """Who may look at a contest's boards: its members, and organisers and judges whose subtree holds it."""
    inside = actor.unit is not None and actor.unit.path.startswith(scope_path)
    return inside or any(scope_path.startswith(p) for p in actor.paths((*MANAGE, *JUDGE)))


def round_info(*, session: Session, actor: Actor, round_id: int, cache: BoardCache | None = None) -> RoundInfo:
    """The round as its boards show it, for members of the scope and its organisers and judges only."""
    info = _cached(cache, ("info", round_id), lambda: _load_info(session, round_id))
    if not _allowed(actor, info.scope_path):
        raise NotFound(N_("Không tìm thấy vòng thi."))
    return info


def check_cached(*, actor: Actor, round_id: int, cache: BoardCache, need_scores: bool) -> bool:
    """The same checks as round_info (and, with need_scores, as round_board's visibility rule) on the
    cached round only, without touching the database: True when they pass, False when the round is not
    cached (then the caller takes the database path, which checks again). Raises like round_board."""
    info = cache.peek(("info", round_id))
    if info is None:
        return False
    if not _allowed(actor, info.scope_path):
        raise NotFound(N_("Không tìm thấy vòng thi."))
    if need_scores and not scores_visible(info):
        raise Conflict(N_("Bảng xếp hạng được công bố sau khi vòng thi đóng."))
    return True


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
    now = now or utcnow()
    return round_.status == "closed" or now >= round_.closes_at or round_.results_visibility == "immediate"


def _subtree(session: Session, scope_id: int, scope_path: str, unit_code: str | None) -> tuple[int, str]:
    """(id, path) of the unit whose board is asked for: the scope itself, or a unit inside it."""
    if not unit_code:
        return scope_id, scope_path
    unit = units.get_by_code(session=session, code=unit_code)
    if not unit.path.startswith(scope_path):
        raise NotFound(N_("Đơn vị {code} không thuộc phạm vi cuộc thi."), code=unit.code)
    assert unit.id is not None
    return unit.id, unit.path


def _rows(session: Session, table: Any, key: Any, key_value: int, unit: tuple[int, str], scope_id: int, limit: int,
          offset: int) -> tuple[int, list[BoardRow]]:
    """Rows of a stored ranking, in rank order; a subtree's board re-ranks its own members among themselves
    (RANK() over the stored rank keeps shared ranks shared)."""
    t = table.__table__.c
    whole = unit[0] == scope_id
    where = [key == key_value]
    if not whole:
        where.append(col(table.unit_path).startswith(unit[1], autoescape=True))
    total = session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    rank = t.rank if whole else func.rank().over(order_by=t.rank)
    inner = select(rank.label("r"), t.member_id, t.unit_id, t.score, t.correct_count, t.prediction,
                   t.prediction_error, t.duration_ms, t.submitted_at, t.rank.label("global_rank"), t.id.label("sid")
                   ).where(*where)
    if whole:
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
                offset: int = 0, cache: BoardCache | None = None) -> tuple[int, list[BoardRow]]:
    info = round_info(session=session, actor=actor, round_id=round_id, cache=cache)
    if not scores_visible(info):
        raise Conflict(N_("Bảng xếp hạng được công bố sau khi vòng thi đóng."))
    limit, offset = _clamp(limit), max(0, offset)

    def make() -> tuple[int, list[BoardRow]]:
        unit = _subtree(session, info.scope_id, info.scope_path, unit_code)
        return _rows(session, Standing, Standing.round_id, round_id, unit, info.scope_id, limit, offset)

    return _cached(cache, ("round", round_id, (unit_code or "").upper(), limit, offset), make)


def _clamp(limit: int) -> int:
    return max(1, min(limit, 500))


def rank_card(*, session: Session, actor: Actor, round_id: int, cache: BoardCache | None = None) -> RankCard | None:
    """"You are 37th of 412 in Chi bộ 3, 1,204th of 8,292 in the union": None without a counted attempt."""
    info = round_info(session=session, actor=actor, round_id=round_id, cache=cache)
    if not scores_visible(info):
        return None
    return _cached(cache, ("card", round_id, actor.id), lambda: _card(session, round_id, actor.id, cache))


def _card(session: Session, round_id: int, member_id: int, cache: BoardCache | None) -> RankCard | None:
    mine = session.execute(select(Standing).where(Standing.round_id == round_id,
                                                 Standing.member_id == member_id)).scalars().first()
    if mine is None:
        return None
    total = _cached(cache, ("count", round_id), lambda: session.execute(
        select(func.count()).select_from(Standing).where(Standing.round_id == round_id)).scalar_one())
    in_unit = [Standing.round_id == round_id, Standing.unit_id == mine.unit_id]
    unit_total = session.execute(select(func.count()).select_from(Standing).where(*in_unit)).scalar_one()
    ahead = session.execute(select(func.count()).select_from(Standing)
                            .where(*in_unit, Standing.rank < mine.rank)).scalar_one()
    unit = session.get(Unit, mine.unit_id)
    return RankCard(rank=mine.rank, total=int(total), unit_rank=int(ahead) + 1, unit_total=int(unit_total),
                    unit_name=unit.name if unit else "", score=mine.score)


def unit_board(*, session: Session, actor: Actor, round_id: int, parent_code: str | None = None,
               cache: BoardCache | None = None) -> list[UnitRow]:
    """The units directly under `parent_code` (default: the contest's scope), ranked among themselves."""
    info = round_info(session=session, actor=actor, round_id=round_id, cache=cache)
    visible = scores_visible(info)

    def make() -> list[UnitRow]:
        parent_id, _path = _subtree(session, info.scope_id, info.scope_path, parent_code)
        rows = session.execute(
            select(UnitStanding, Unit.code, Unit.name, Unit.kind).join(Unit, Unit.id == UnitStanding.unit_id)
            .where(UnitStanding.round_id == round_id, UnitStanding.parent_id == parent_id)
            .order_by(UnitStanding.rank, Unit.code)).all()
        return [UnitRow(rank=s.rank, unit_id=s.unit_id, code=code, name=name, kind=kind, participants=s.participants,
                        attempts=s.attempts, headcount=s.headcount, participation_rate=s.participation_rate,
                        average_score=s.average_score if visible else None,
                        perfect_count=s.perfect_count if visible else None)
                for s, code, name, kind in rows]

    return _cached(cache, ("units", round_id, (parent_code or "").upper(), visible), make)


def round_totals(*, session: Session, round_: Round, cache: BoardCache | None = None) -> dict[str, int]:
    """The frozen official totals of a closed round; the running ones while it is open (counted at most
    once per cache lifetime: a count over a million attempts is not for every page view)."""
    if round_.status == "closed" and round_.totals:
        return dict(round_.totals)
    round_id = round_.id
    assert round_id is not None
    return _cached(cache, ("totals", round_id), lambda: ranking.official_counts(session=session, round_id=round_id))


def contest_board(*, session: Session, actor: Actor, contest_id: int, unit_code: str | None = None,
                  limit: int = 50, offset: int = 0, cache: BoardCache | None = None) -> tuple[Contest, int, list[BoardRow]]:
    contest = session.get(Contest, contest_id) if is_db_id(contest_id) else None
    if contest is None:
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    scope = _can_see(session, actor, contest)
    assert scope.id is not None
    limit, offset = _clamp(limit), max(0, offset)

    def make() -> tuple[int, list[BoardRow]]:
        unit = _subtree(session, scope.id, scope.path, unit_code)  # type: ignore[arg-type]
        return _rows(session, ContestStanding, ContestStanding.contest_id, contest_id, unit, scope.id,  # type: ignore[arg-type]
                     limit, offset)

    total, rows = _cached(cache, ("contest", contest_id, (unit_code or "").upper(), limit, offset), make)
    return contest, total, rows
