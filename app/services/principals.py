"""Who a token belongs to, cached per process for a few seconds.

Every authenticated request needs the member behind its token (active? token version? roles?). Reading
that from the database each time cost more than the rest of a small request together, so each process
keeps a snapshot for `ttl` seconds (DESIGN.md: per-process caches with short lifetimes). A change made
through this process — logout, password change, deactivation, roles, units moved — drops the affected
snapshots as soon as it is committed (session events below, so no service has to remember); a change
made by another worker or host is seen at most `ttl` seconds later.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import bindparam, event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.models import Member, MemberRole, Unit
from app.services.access import Actor, Grant


@dataclass(frozen=True)
class Principal:
    member: Member  # detached; read-only by convention (services reload what they change)
    unit: Unit  # detached home unit
    grants: tuple[Grant, ...]


class PrincipalCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._items: dict[int, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, member_id: int) -> Principal | None:
        if self.ttl <= 0:
            return None
        item = self._items.get(member_id)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        assert principal.member.id is not None
        with self._lock:
            if len(self._items) > 100_000:  # a bound on memory; snapshots are cheap to reload
                self._items.clear()
            self._items[principal.member.id] = (time.monotonic() + self.ttl, principal)

    def forget(self, member_ids: set[int] | None) -> None:
        """Drop some snapshots, or all of them (None)."""
        with self._lock:
            if member_ids is None:
                self._items.clear()
            else:
                for member_id in member_ids:
                    self._items.pop(member_id, None)


_caches: list[PrincipalCache] = []


def new_cache(ttl: float) -> PrincipalCache:
    cache = PrincipalCache(ttl)
    _caches.append(cache)
    return cache


_member_t, _unit_t, _role_t = Member.__table__, Unit.__table__, MemberRole.__table__
_scope_t = _unit_t.alias("scope")
# One statement, built once: the member, their home unit and every grant with its unit (a LEFT JOIN, so a
# plain member comes back as one row with empty grant columns).
_LOAD = (
    select(*[c.label(f"m_{c.name}") for c in _member_t.c], *[c.label(f"u_{c.name}") for c in _unit_t.c],
           _role_t.c.role.label("g_role"), _scope_t.c.id.label("g_unit_id"), _scope_t.c.code.label("g_code"),
           _scope_t.c.path.label("g_path"))
    .select_from(_member_t.join(_unit_t, _unit_t.c.id == _member_t.c.unit_id)
                 .outerjoin(_role_t, _role_t.c.member_id == _member_t.c.id)
                 .outerjoin(_scope_t, _scope_t.c.id == _role_t.c.unit_id))
    .where(_member_t.c.id == bindparam("member_id"))
)


def load(*, session: Session | Connection, member_id: int) -> Principal | None:
    """Member, home unit and grants in one query; the objects are not attached to any session.

    Takes a plain Connection too: the authentication of a member this process has not seen lately runs
    on every cold request, and skipping the ORM session (and, on PostgreSQL, the BEGIN/ROLLBACK round
    trips of a one-statement read) is most of its cost (bench/RESULTS.md)."""
    conn = session.connection() if isinstance(session, Session) else session
    rows = conn.execute(_LOAD, {"member_id": member_id}).mappings().all()
    if not rows:
        return None
    first = rows[0]
    member = Member(**{c.name: first[f"m_{c.name}"] for c in _member_t.c})
    unit = Unit(**{c.name: first[f"u_{c.name}"] for c in _unit_t.c})
    grants = tuple(Grant(role=r["g_role"], unit_id=r["g_unit_id"], unit_code=r["g_code"], unit_path=r["g_path"])
                   for r in rows if r["g_role"] is not None)
    return Principal(member=member, unit=unit, grants=grants)


def actor_of(principal: Principal, ip: str | None) -> Actor:
    return Actor(member=principal.member, grants=list(principal.grants), ip=ip, unit=principal.unit)


# --- invalidation on commit ----------------------------------------------------------------------------
_KEY = "hoithi_principals_changed"


def _mark(session: OrmSession, member_ids: set[int] | None) -> None:
    current = session.info.get(_KEY, set())
    if current is None or member_ids is None:
        session.info[_KEY] = None  # everything
    else:
        session.info[_KEY] = current | member_ids


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _ctx) -> None:  # noqa: ANN001
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Member) and obj.id is not None:
            _mark(session, {obj.id})
        elif isinstance(obj, MemberRole):
            _mark(session, {obj.member_id})
        elif isinstance(obj, Unit) and obj in session.dirty:
            _mark(session, None)  # a renamed or re-hung unit changes every grant below it


@event.listens_for(OrmSession, "do_orm_execute")
def _bulk(state) -> None:  # noqa: ANN001
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ in (Member, MemberRole, Unit):
            _mark(state.session, None)


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if _KEY in session.info:
        changed = session.info.pop(_KEY)
        for cache in _caches:
            cache.forget(changed)


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_KEY, None)
