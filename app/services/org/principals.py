"""Who a token belongs to, cached per process (docs/performance.md#token-and-member-cache).

A commit through this process drops the snapshots it affects (session events below) and writes the member
ids to the `member_change` feed, which every worker reads every `ttl / 2` seconds (watch()): a change is
seen everywhere within `ttl`. While the feed is read a snapshot lasts `max_age`, else only `ttl`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import anyio.to_thread
from sqlalchemy import bindparam, delete, event, insert, select
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from app.db import DriverStatement, committed
from app.models import Member, MemberChange, MemberRole, Unit
from app.models.types import utcnow
from app.services.org.access import Actor, Grant

log = logging.getLogger("hoithi.principals")
# The feed is read by entry time, looking back this far: a commit that lands a little after its entries
# were stamped, or a host whose clock lags, is still read (entries already applied are skipped).
FEED_LOOKBACK = timedelta(minutes=2)
FEED_KEEP = timedelta(days=1)  # older entries are deleted by the sweep
# More changed members than this in one commit are written as one "everyone" entry.
FEED_MAX_IDS = 1000


@dataclass(frozen=True)
class Principal:
    member: Member  # detached; read-only by convention (services reload what they change)
    unit: Unit  # detached home unit
    grants: tuple[Grant, ...]
    # when the read began (time.monotonic): a snapshot read before a change was dropped is never stored
    loaded_at: float = field(default_factory=time.monotonic, compare=False)


class PrincipalCache:
    def __init__(self, ttl: float, max_age: float | None = None) -> None:
        self.ttl = ttl
        self.max_age = max(ttl, max_age if max_age is not None else ttl)
        self._items: dict[int, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        self._forgotten: dict[int, float] = {}  # member id -> when its snapshot was last dropped
        self._all_forgotten_at = 0.0
        self.read_feed_at = -1e9  # when the last successful reading of the feed began (monotonic)
        self._applied: dict[int, float] = {}  # feed entries already applied -> when

    def _trusted_for(self, now: float) -> float:
        """How old a snapshot may be now: max_age while the feed has been read within ttl, else ttl."""
        return self.max_age if now - self.read_feed_at < self.ttl else self.ttl

    def get(self, member_id: int) -> Principal | None:
        if self.ttl <= 0:
            return None
        item = self._items.get(member_id)
        if item is None:
            return None
        now = time.monotonic()
        if now - item[0] >= self._trusted_for(now):
            return None
        return item[1]

    def put(self, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        assert principal.member.id is not None
        member_id = principal.member.id
        with self._lock:
            # read before a change that has since been seen: stale already
            if principal.loaded_at <= max(self._all_forgotten_at, self._forgotten.get(member_id, -1.0)):
                return
            if len(self._items) > 100_000:  # a bound on memory; snapshots are cheap to reload
                self._items.clear()
            self._items[member_id] = (principal.loaded_at, principal)

    def forget(self, member_ids: set[int] | None) -> None:
        """Drop some snapshots, or all of them (None)."""
        now = time.monotonic()
        with self._lock:
            if member_ids is None:
                self._items.clear()
                self._forgotten.clear()
                self._all_forgotten_at = now
            else:
                for member_id in member_ids:
                    self._items.pop(member_id, None)
                    self._forgotten[member_id] = now

    def apply_feed(self, entries: list[tuple[int, int | None]], read_at: float) -> int:
        """Entries (id, member_id) of the feed, read by a query that began at `read_at` (monotonic); returns
        how many were new."""
        new = [(i, m) for i, m in entries if i not in self._applied]
        if any(m is None for _, m in new):
            self.forget(None)
        elif new:
            self.forget({m for _, m in new if m is not None})
        with self._lock:
            for i, _ in new:
                self._applied[i] = read_at
            horizon = read_at - 2 * FEED_LOOKBACK.total_seconds()  # older entries are no longer read
            self._applied = {i: t for i, t in self._applied.items() if t > horizon}
            longest_read = 60.0  # no snapshot read takes longer: older drop times can go
            self._forgotten = {m: t for m, t in self._forgotten.items() if t > read_at - longest_read}
            self.read_feed_at = max(self.read_feed_at, read_at)
        return len(new)


_member_t, _unit_t, _role_t = Member.__table__, Unit.__table__, MemberRole.__table__
_scope_t = _unit_t.alias("scope")
# One statement, built once: the member, their home unit and every grant with its unit (a LEFT JOIN, so a
# plain member comes back as one row with empty grant columns).
_LOAD = (
    select(
        *[c.label(f"m_{c.name}") for c in _member_t.c],
        *[c.label(f"u_{c.name}") for c in _unit_t.c],
        _role_t.c.role.label("g_role"),
        _scope_t.c.id.label("g_unit_id"),
        _scope_t.c.code.label("g_code"),
        _scope_t.c.path.label("g_path"),
    )
    .select_from(
        _member_t.join(_unit_t, _unit_t.c.id == _member_t.c.unit_id)
        .outerjoin(_role_t, _role_t.c.member_id == _member_t.c.id)
        .outerjoin(_scope_t, _scope_t.c.id == _role_t.c.unit_id)
    )
    .where(_member_t.c.id == bindparam("member_id"))
)
_LOAD_ON_DRIVER = DriverStatement(_LOAD)  # SQLAlchemy's execute was a third of a cold load on SQLite


def load(*, session: Session | Connection, member_id: int) -> Principal | None:
    """Member, home unit and grants in one query; the objects are not attached to any session.

    Takes a plain Connection too: a cold request's authentication then skips the ORM session and, on
    PostgreSQL, the BEGIN/ROLLBACK round trips (docs/performance.md#token-and-member-cache)."""
    conn = session.connection() if isinstance(session, Session) else session
    loaded_at = time.monotonic()
    values = {"member_id": member_id}
    rows = _LOAD_ON_DRIVER.all(conn, values)
    if not rows:
        return None
    first = rows[0]._asdict()
    # Built without validation: the values come typed from the database's columns, and checking them again
    # was most of a cold member's load (docs/performance.md#token-and-member-cache). Such an object reads
    # like a loaded one but cannot be attached to a session, as this snapshot never should be.
    member = Member.model_construct(**{c.name: first[f"m_{c.name}"] for c in _member_t.c})
    unit = Unit.model_construct(**{c.name: first[f"u_{c.name}"] for c in _unit_t.c})
    grants = tuple(Grant(role=r.g_role, unit_id=r.g_unit_id, unit_code=r.g_code, unit_path=r.g_path) for r in rows if r.g_role is not None)
    return Principal(member=member, unit=unit, grants=grants, loaded_at=loaded_at)


def actor_of(principal: Principal, ip: str | None) -> Actor:
    return Actor(member=principal.member, grants=list(principal.grants), ip=ip, unit=principal.unit)


# --- the member change feed ---------------------------------------------------------------------------
# Every process that writes members (workers, the CLI) must write the feed in the same transaction, so these
# listeners are a data rule, installed with the module; this worker's own cache hears of the change through
# db.on_commit (wired in create_app).
_KEY = "hoithi_principals_changed"
CHANGED_MEMBERS = "members"  # db.committed kind: the set of member ids changed, or None for all


def _mark(session: OrmSession, member_ids: set[int] | None) -> None:
    current = session.info.get(_KEY, set())
    if current is None or member_ids is None:
        session.info[_KEY] = None  # everything
    else:
        session.info[_KEY] = current | member_ids


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _ctx: UOWTransaction) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Member) and obj.id is not None and obj not in session.new:  # a new one has no snapshot
            _mark(session, {obj.id})
        elif isinstance(obj, MemberRole):
            _mark(session, {obj.member_id})
        elif isinstance(obj, Unit) and obj in session.dirty:
            _mark(session, None)  # a renamed or re-hung unit changes every grant below it


@event.listens_for(OrmSession, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ in (Member, MemberRole, Unit):
            _mark(state.session, None)


@event.listens_for(OrmSession, "before_commit")
def _write_feed(session: OrmSession) -> None:
    """The changed members go to the feed in the committing transaction itself: no change without its entry."""
    session.flush()  # what is still pending marks its members (after_flush) before the feed is written
    if _KEY not in session.info:
        return
    changed = session.info[_KEY]
    now = utcnow()
    ids: list[int | None] = [None] if changed is None or len(changed) > FEED_MAX_IDS else sorted(changed)
    session.connection().execute(insert(MemberChange.__table__), [{"member_id": m, "changed_at": now} for m in ids])


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if _KEY in session.info:
        committed(session, CHANGED_MEMBERS, session.info.pop(_KEY))


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_KEY, None)


# --- the feed, read by every worker --------------------------------------------------------------------
_FEED = select(MemberChange.__table__.c.id, MemberChange.__table__.c.member_id).where(
    MemberChange.__table__.c.changed_at > bindparam("since")
)


def read_feed(engine: Engine, cache: PrincipalCache) -> int:
    """Apply the feed's recent entries to this process's snapshots; returns how many were new."""
    began = time.monotonic()
    with engine.connect() as conn:
        entries = [(i, m) for i, m in conn.execute(_FEED, {"since": utcnow() - FEED_LOOKBACK})]
    return cache.apply_feed(entries, began)


async def watch(engine: Engine, cache: PrincipalCache) -> None:
    """Read the feed every ttl / 2 seconds, for as long as the worker runs (app.main's lifespan)."""
    every = cache.ttl / 2
    while True:
        try:
            await anyio.to_thread.run_sync(read_feed, engine, cache)
        except Exception:  # the snapshots then fall back to ttl (PrincipalCache._trusted_for)
            log.exception("reading the member change feed failed")
        await asyncio.sleep(every)


def prune_feed(*, session: Session) -> int:
    """Entries older than anyone reads (FEED_LOOKBACK) are kept a day for inspection, then deleted."""
    # Session.execute is typed as returning a Result; for a DELETE it is a CursorResult, which has the row count.
    result = cast("CursorResult[Any]", session.execute(delete(MemberChange).where(col(MemberChange.changed_at) < utcnow() - FEED_KEEP)))
    return int(result.rowcount or 0)
