"""The per-process snapshot of a token's member: reused for a few seconds, dropped on local changes."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from app.errors import Unauthorized
from app.services.org.principals import PrincipalCache
from tests.factories import api_token, bearer, make_member, make_unit


def _setup(session):
    root = make_unit(session, "ROOT")
    return make_member(session, root, phone="0911000111", roles=(("organiser", root),))


def test_change_by_another_process_is_seen_after_the_ttl(app, client, session, engine):
    member = _setup(session)
    token = api_token(client, "0911000111")
    old_cache = app.state.principals
    app.state.principals = PrincipalCache(ttl=0.5)
    try:
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
        # Another worker logs the member out: a plain SQL write this process's session events never see.
        with engine.begin() as conn:
            conn.execute(text("UPDATE member SET token_version = token_version + 1 WHERE id = :id"), {"id": member.id})
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200  # still the snapshot
        time.sleep(0.6)
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    finally:
        app.state.principals = old_cache


def test_logout_in_this_process_revokes_at_once(app, client, session):
    _setup(session)
    token = api_token(client, "0911000111")
    assert app.state.principals.ttl >= 1
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200  # cached now
    client.cookies.set("hoithi_token", token)
    page = client.get("/")
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_role_revoked_in_this_process_is_gone_at_once(app, client, session):
    from sqlmodel import select

    from app.models import MemberRole

    member = _setup(session)
    token = api_token(client, "0911000111")
    roles = client.get("/api/v1/me", headers=bearer(token)).json()["roles"]
    assert {"role": "organiser", "unit_code": "ROOT"} in roles
    grant = session.exec(select(MemberRole).where(MemberRole.member_id == member.id)).one()
    session.delete(grant)
    session.commit()
    roles = client.get("/api/v1/me", headers=bearer(token)).json()["roles"]
    assert {"role": "organiser", "unit_code": "ROOT"} not in roles
    assert client.post("/api/v1/units", headers=bearer(token), json={"code": "X", "name": "X"}).status_code == 403


def test_cache_disabled_with_zero_ttl():
    cache = PrincipalCache(ttl=0)
    assert cache.get(1) is None


# --- the change feed: what another worker learns ----------------------------------------------------------
def _other_worker(ttl: float = 5.0, max_age: float = 600.0) -> PrincipalCache:
    """A cache this process's commits do not reach (not wired to this engine's commits by create_app): like another worker's, it learns
    of changes only by reading the feed."""
    return PrincipalCache(ttl, max_age)


def _snapshot(engine, cache: PrincipalCache, member_id: int):
    from app.services.org import principals

    with engine.connect() as conn:
        p = principals.load(session=conn, member_id=member_id)
    cache.put(p)
    return p


def test_a_logout_reaches_another_worker_through_the_feed(session, engine):
    from app.db import session_scope
    from app.services.org import auth, principals

    member = _setup(session)
    session.commit()
    other = _other_worker()
    principals.read_feed(engine, other)
    p = _snapshot(engine, other, member.id)
    assert other.get(member.id) is p
    with session_scope(engine) as s:
        auth.logout(session=s, actor=principals.actor_of(principals.load(session=s, member_id=member.id), None))
    assert other.get(member.id) is p  # not read yet: the snapshot still stands
    assert principals.read_feed(engine, other) == 1
    assert other.get(member.id) is None
    assert principals.read_feed(engine, other) == 0  # an entry is applied once
    fresh = _snapshot(engine, other, member.id)
    assert other.get(member.id) is fresh and fresh.member.token_version == p.member.token_version + 1


def test_snapshots_outlive_the_ttl_only_while_the_feed_is_read(session, engine):
    from app.services.org import principals

    member = _setup(session)
    session.commit()
    other = _other_worker(ttl=0.4, max_age=60)
    principals.read_feed(engine, other)
    p = _snapshot(engine, other, member.id)
    for _ in range(3):  # 0.6 s in all, past the ttl, reading the feed every 0.2 s
        time.sleep(0.2)
        principals.read_feed(engine, other)
    assert other.get(member.id) is p
    time.sleep(0.45)  # the feed not read for longer than the ttl: snapshots older than the ttl are not trusted
    assert other.get(member.id) is None


def test_a_snapshot_read_before_a_change_was_seen_is_not_kept(session, engine):
    from app.db import session_scope
    from app.models import Member
    from app.services.org import principals

    member = _setup(session)
    session.commit()
    other = _other_worker()
    with engine.connect() as conn:
        before = principals.load(session=conn, member_id=member.id)  # a slow request read the old row
    with session_scope(engine) as s:
        s.get(Member, member.id).active = False
    principals.read_feed(engine, other)
    other.put(before)  # ... and only now stores it
    assert other.get(member.id) is None


def test_a_renamed_unit_drops_every_snapshot_and_old_entries_are_pruned(session, engine):
    from datetime import timedelta

    from sqlmodel import select

    from app.db import session_scope
    from app.models import MemberChange, Unit
    from app.models.types import utcnow
    from app.services.org import principals

    member = _setup(session)
    second = make_member(session, session.exec(select(Unit).where(Unit.code == "ROOT")).one(), phone="0911000222")
    session.commit()
    other = _other_worker()
    principals.read_feed(engine, other)
    _snapshot(engine, other, member.id)
    _snapshot(engine, other, second.id)
    with session_scope(engine) as s:
        s.exec(select(Unit).where(Unit.code == "ROOT")).one().name = "Đảng bộ mới"
    with session_scope(engine, write=False) as s:
        assert s.exec(select(MemberChange.member_id)).all()[-1] is None  # "everyone"
    principals.read_feed(engine, other)
    assert other.get(member.id) is None and other.get(second.id) is None
    with session_scope(engine) as s:
        for entry in s.exec(select(MemberChange)).all():
            entry.changed_at = utcnow() - principals.FEED_KEEP - timedelta(minutes=1)
        s.add(MemberChange(member_id=member.id, changed_at=utcnow()))
    with session_scope(engine) as s:
        assert principals.prune_feed(session=s) >= 1
    with session_scope(engine, write=False) as s:
        assert s.exec(select(MemberChange.member_id)).all() == [member.id]


def test_a_bulk_change_of_many_members_is_one_everyone_entry(session, engine):
    from sqlalchemy import update
    from sqlmodel import select

    from app.db import session_scope
    from app.models import Member, MemberChange

    _setup(session)
    session.commit()
    last = session.exec(select(MemberChange.id).order_by(MemberChange.id.desc())).first() or 0
    with session_scope(engine) as s:
        s.execute(update(Member).values(must_change_password=True))
    with session_scope(engine, write=False) as s:
        assert s.exec(select(MemberChange.member_id).where(MemberChange.id > last)).all() == [None]


def test_a_new_member_writes_no_feed_entry(session, engine):
    from sqlmodel import select

    from app.models import MemberChange, Unit

    root = make_unit(session, "ROOT")
    session.commit()
    last = session.exec(select(MemberChange.id).order_by(MemberChange.id.desc())).first() or 0
    newcomer = make_member(session, session.get(Unit, root.id), phone="0911000333")
    session.commit()
    assert newcomer.id is not None
    assert session.exec(select(MemberChange.member_id).where(MemberChange.id > last)).all() == []
    newcomer.active = False
    session.commit()
    assert session.exec(select(MemberChange.member_id).where(MemberChange.id > last)).all() == [newcomer.id]


def test_a_cold_member_is_read_on_the_event_loop_and_in_the_pool_when_the_database_is_busy(app, client, session, monkeypatch):
    """db_loop.loop_reader: a member the worker has not seen is read on the event loop, with no thread hop (PostgreSQL:
    in a greenlet, db_loop.on_loop); when the database is busy or out of reach, in the thread pool. Either way the
    right member, and a revoked token is refused."""
    import asyncio
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    from app import deps
    from app.security import decode_token
    from tests.databases import TEST_SECRET

    member = _setup(session)
    claims = decode_token(api_token(client, "0911000111"), secret=TEST_SECRET, audience="hoithi")
    hops: list[object] = []
    real_hop = deps.run_in_threadpool

    async def counted(func, *args):
        hops.append(func)
        return await real_hop(func, *args)

    monkeypatch.setattr(deps, "run_in_threadpool", counted)
    assert app.state.loop_reader is not None

    def cold() -> object:
        app.state.principals.forget(None)
        # a loop of its own in a thread of its own, as a worker's (a browser test may have left one running here)
        with ThreadPoolExecutor(1) as loop_thread:
            return loop_thread.submit(asyncio.run, deps._cold_actor(app.state, claims, "127.0.0.1")).result()

    assert cold().id == member.id
    assert hops == []
    driver_error = sqlite3.OperationalError if app.state.engine.dialect.name == "sqlite" else psycopg.OperationalError

    def busy(*args):
        raise driver_error("database is locked")

    with monkeypatch.context() as patched:  # the loop does not wait, the pool does
        patched.setattr(app.state.loop_reader, "connect", busy)
        assert cold().id == member.id and len(hops) == 1
    member.token_version += 1
    session.add(member)
    session.commit()
    with pytest.raises(Unauthorized):
        cold()
