"""Turnout as stored counts, kept in step with every change instead of counted per request: each unit's active
members (unit_tally) and, per round, how many of them took part (round_tally). A unit's own members only; the
pages roll a subtree up from these (participation.py), so a 100,000-member union is read as its ~1,000 units.

The rule is the one participation.py states: a member takes part with an attempt that is no longer in progress,
counted in the unit the member is in now, and only while the member is active. The counts change when an
attempt is finished for the first time in its round, and when a member is added, moved, deactivated or
reactivated (then in every round the member took part in). The listeners below apply those changes in the
same transaction as the change itself, whoever writes it (a worker, the CLI, the sweeper); a bulk statement on
members or attempts, which the listeners cannot see row by row, rebuilds the counts before its transaction
commits. Why and what it costs: docs/performance.md#participation."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, bindparam, delete, event, func, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.models import Attempt, Member, Unit
from app.models.quiz import AttemptStatus
from app.models.results import RoundTally, UnitTally

_unit_t, _round_t, _attempt_t, _member_t = UnitTally.__table__, RoundTally.__table__, Attempt.__table__, Member.__table__
_OLD = "hoithi_tally_old"  # member id -> (unit_id, active) before this flush
_REBUILD = "hoithi_tally_rebuild"
_CHUNK = 500  # ids per IN list


def _finished(status: object) -> bool:
    return status is not None and status != AttemptStatus.in_progress


# --- reading ------------------------------------------------------------------------------------------------
def direct(session: Session, round_id: int, root_path: str) -> dict[int, tuple[int, int]]:
    """(active members, of those who took part in the round) of each unit of the subtree at root_path, its own
    members only: one row per unit, whatever the number of members."""
    u = Unit.__table__.c
    stmt = (
        select(u.id, func.coalesce(_unit_t.c.members, 0), func.coalesce(_round_t.c.participants, 0))
        .select_from(Unit.__table__)
        .outerjoin(_unit_t, _unit_t.c.unit_id == u.id)
        .outerjoin(_round_t, and_(_round_t.c.unit_id == u.id, _round_t.c.round_id == round_id))
        .where(u.path.startswith(root_path, autoescape=True))
    )
    return {uid: (int(n), int(p)) for uid, n, p in session.execute(stmt)}


# --- the whole thing, from the rows ---------------------------------------------------------------------------
def rebuild(connection: Any) -> None:
    """Count everything again from members and attempts (after a bulk statement, and as the check in tests)."""
    connection.execute(delete(_round_t))
    connection.execute(delete(_unit_t))
    active = _member_t.c.active.is_(True)
    members = select(_member_t.c.unit_id, func.count()).where(active).group_by(_member_t.c.unit_id)
    connection.execute(_unit_t.insert().from_select(["unit_id", "members"], members))
    took = (
        select(_attempt_t.c.round_id, _attempt_t.c.member_id)
        .where(_attempt_t.c.status != AttemptStatus.in_progress)
        .distinct()
        .subquery("took")
    )
    per_unit = (
        select(took.c.round_id, _member_t.c.unit_id, func.count())
        .join(_member_t, _member_t.c.id == took.c.member_id)
        .where(active)
        .group_by(took.c.round_id, _member_t.c.unit_id)
    )
    connection.execute(_round_t.insert().from_select(["round_id", "unit_id", "participants"], per_unit))


# --- applying changes -----------------------------------------------------------------------------------------
def _add(connection: Any, table: Any, keys: tuple[str, ...], deltas: Counter[tuple[int, ...]]) -> None:
    """Add each delta to its row (made when missing), in key order so that two transactions on PostgreSQL lock
    the rows they share in the same order."""
    rows = [{**dict(zip(keys, key, strict=True)), "n": n} for key, n in sorted(deltas.items()) if n]
    if rows:
        connection.execute(_upsert(connection.dialect.name, table, keys), rows)


@functools.cache
def _upsert(dialect: str, table: Any, keys: tuple[str, ...]) -> Any:
    """Built once per table: every submit of every member runs it."""
    column = "members" if table is _unit_t else "participants"
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    values = insert(table).values({k: bindparam(k) for k in keys} | {column: bindparam("n")})
    return values.on_conflict_do_update(index_elements=list(keys), set_={column: table.c[column] + values.excluded[column]})


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _first_finishes(connection: Any, pairs: Counter[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, bool]]:
    """Of the (round, member) pairs whose attempts finished in this flush, those with no finished attempt
    before it: {pair: (the member's unit now, active now)}."""
    out: dict[tuple[int, int], tuple[int, bool]] = {}
    by_round: dict[int, list[int]] = {}
    for round_id, member_id in pairs:
        by_round.setdefault(round_id, []).append(member_id)
    for round_id, member_ids in by_round.items():
        for chunk in _chunks(sorted(member_ids)):
            for member_id, unit_id, active, finished in connection.execute(_FINISHED, {"round_id": round_id, "member_ids": chunk}):
                if finished == pairs[(round_id, member_id)]:  # every finished attempt is one of this flush's
                    out[(round_id, member_id)] = (unit_id, bool(active))
    return out


_a, _m = _attempt_t.c, _member_t.c
# Each member's finished attempts in a round, with where the member is now (built once: every submit runs it).
_FINISHED = (
    select(_a.member_id, _m.unit_id, _m.active, func.count())
    .join(_member_t, _m.id == _a.member_id)
    .where(_a.round_id == bindparam("round_id"), _a.member_id.in_(bindparam("member_ids", expanding=True)))
    .where(_a.status != AttemptStatus.in_progress)
    .group_by(_a.member_id, _m.unit_id, _m.active)
)


def _rounds_taken(connection: Any, member_ids: list[int]) -> dict[int, set[int]]:
    """The rounds each member has a finished attempt in."""
    out: dict[int, set[int]] = {}
    a = _attempt_t.c
    for chunk in _chunks(sorted(member_ids)):
        stmt = select(a.member_id, a.round_id).where(a.member_id.in_(chunk), a.status != AttemptStatus.in_progress).distinct()
        for member_id, round_id in connection.execute(stmt):
            out.setdefault(member_id, set()).add(round_id)
    return out


# --- the listeners ------------------------------------------------------------------------------------------------
def _moved(obj: Member) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in ("unit_id", "active"))


@event.listens_for(OrmSession, "before_flush")
def _before_flush(session: OrmSession, _ctx: UOWTransaction, _instances: object) -> None:
    """Where each changed member was before this flush, read from the database (an attribute set without being
    loaded first has no old value in its history)."""
    changed = [obj.id for obj in session.dirty if isinstance(obj, Member) and obj.id is not None and _moved(obj)]
    changed += [obj.id for obj in session.deleted if isinstance(obj, Member) and obj.id is not None]
    if not changed:
        return
    old: dict[int, tuple[int, bool]] = session.info.setdefault(_OLD, {})
    m = _member_t.c
    for chunk in _chunks([i for i in changed if i not in old]):
        for member_id, unit_id, active in session.connection().execute(select(m.id, m.unit_id, m.active).where(m.id.in_(chunk))):
            old[member_id] = (unit_id, bool(active))


def _finishing(session: OrmSession) -> Counter[tuple[int, int]]:
    """(round, member) of the attempts this flush finished: inserted finished, or moved out of in progress."""
    pairs: Counter[tuple[int, int]] = Counter()
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Attempt) or not _finished(obj.status):
            continue
        history = inspect(obj).attrs["status"].history
        if obj in session.new or (history.added and not any(_finished(s) for s in history.deleted)):
            pairs[(obj.round_id, obj.member_id)] += 1
    return pairs


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _ctx: UOWTransaction) -> None:
    members: Counter[tuple[int, ...]] = Counter()
    took: Counter[tuple[int, ...]] = Counter()
    connection = session.connection()
    first = _first_finishes(connection, pairs) if (pairs := _finishing(session)) else {}
    for (round_id, _member_id), (unit_id, active) in first.items():
        took[(round_id, unit_id)] += active
    for obj in session.new:
        if isinstance(obj, Member) and obj.active:
            members[(obj.unit_id,)] += 1
    old: dict[int, tuple[int, bool]] = session.info.pop(_OLD, {})
    gone = {obj.id for obj in session.deleted if isinstance(obj, Member)}
    taken = _rounds_taken(connection, [i for i in old if i not in gone]) if old else {}
    for member_id, (unit_was, active_was) in old.items():
        obj = session.identity_map.get(inspect(Member).identity_key_from_primary_key((member_id,)))
        unit_now, active_now = (0, False) if member_id in gone or obj is None else (obj.unit_id, bool(obj.active))
        if (unit_was, active_was) == (unit_now, active_now):
            continue
        members[(unit_was,)] -= active_was
        members[(unit_now,)] += active_now
        for round_id in taken.get(member_id, set()) - {r for r, m in first if m == member_id}:
            took[(round_id, unit_was)] -= active_was
            took[(round_id, unit_now)] += active_now
    _add(connection, _unit_t, ("unit_id",), members)
    _add(connection, _round_t, ("round_id", "unit_id"), took)


@event.listens_for(OrmSession, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    """A bulk insert, update or delete of members or attempts: count everything again before the commit."""
    if (state.is_insert or state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ in (Member, Attempt) and (not state.is_update or _counted_columns(state.statement)):
            state.session.info[_REBUILD] = True


def _counted_columns(statement: Any) -> bool:
    """Whether an UPDATE may change what the counts depend on (a judge's disqualification does not)."""
    names = {getattr(key, "key", key) for key in (getattr(statement, "_values", None) or {})}
    return not names or bool(names & {"status", "member_id", "round_id", "unit_id", "active"})


@event.listens_for(OrmSession, "before_commit")
def _rebuild_if_bulk(session: OrmSession) -> None:
    if session.info.pop(_REBUILD, False):
        session.flush()
        rebuild(session.connection())


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    session.info.pop(_OLD, None)
    session.info.pop(_REBUILD, None)
