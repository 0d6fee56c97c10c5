"""Reads made on the event loop itself: a member the worker has not seen, a member's own rows for a page, a
per-process cache's miss. The thread hop cost more than such a read on SQLite, and on PostgreSQL a read waits
for the server in a greenlet without holding the loop (docs/performance.md#postgresql-on-the-event-loop).
An answer that cannot be made here raises db.NeedsDatabase and is made again in the thread pool."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

import anyio.to_thread
import greenlet  # type: ignore[import-untyped]
import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import ConnectionPoolEntry, SingletonThreadPool
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session, create_engine

from app.db import BY_KEY_OPTIONS, NO_DATABASE, NeedsDatabase, json_value, lock_path, reader, session_scope

T = TypeVar("T")

LOOP_POOL_WAIT_S = 1.0  # PostgreSQL: how long a read on the event loop may wait for a connection of its pool
LOOP_BUSY_S = 0.05  # how long a read on the event loop may wait for SQLite before it goes to the thread pool
LOOP_BLOCK_S = 0.2  # PostgreSQL, reads that hold the loop: how long one may take before it goes to the thread pool


def loop_reader(engine: Engine, pool_size: int = 20, *, block: bool | None = None) -> Engine | None:
    """An engine for the few reads made on the event loop itself (a member the worker has not seen: one SELECT by
    key; a member's own attempts for a page), where the thread hop cost more than the read
    (docs/performance.md#token-and-member-cache). Used through on_loop and loop_reads.
    - SQLite: one connection per thread that uses it (the loop's), read only, with a short busy timeout: a read
      that would wait raises, and the caller goes to the pool.
    - PostgreSQL (psycopg), in autocommit and read only, by `block` (None: block when the server is on this
      machine; docs/performance.md#postgresql-reads-that-hold-the-loop):
      - block: a sync connection that holds the loop for the round trip, as SQLite's read does, with a short
        statement timeout after which the page goes to the thread pool;
      - else the sync face of an asyncio engine of up to `pool_size` connections, whose reads run in a greenlet
        (on_loop) and wait for the server without holding the loop
        (docs/performance.md#postgresql-on-the-event-loop).
    None for a database in memory or another driver."""
    if engine.dialect.name == "postgresql":
        if engine.url.get_driver_name() != "psycopg":
            return None
        if block if block is not None else is_local(engine):
            return _blocking_loop_reader(engine)
        return _async_loop_reader(engine, pool_size)
    if engine.dialect.name != "sqlite" or lock_path(engine) is None:
        return None
    loop = create_engine(
        engine.url,
        poolclass=SingletonThreadPool,
        connect_args={"check_same_thread": False, "timeout": LOOP_BUSY_S},
        json_deserializer=json_value,
    )

    @event.listens_for(loop, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # no BEGIN: each read is its own
        dbapi_conn.execute(f"PRAGMA busy_timeout={int(LOOP_BUSY_S * 1000)}")
        dbapi_conn.execute("PRAGMA query_only=ON")

    return loop


# Generic plans without sequential scans (db.BY_KEY), unlike the main engine's custom plans
# (docs/performance.md#postgresql-connections): these are reads by a member's or an attempt's id, and planning
# each anew cost the server four times the read (docs/performance.md#postgresql-reads-that-hold-the-loop).
_READ_ONLY = f"-c default_transaction_read_only=on {BY_KEY_OPTIONS}"


def is_local(engine: Engine) -> bool:
    """Whether the PostgreSQL server is reached on this machine (a loopback address or a Unix socket)."""
    host = engine.url.host or str(engine.url.query.get("host") or "")
    return host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")


def _blocking_loop_reader(engine: Engine) -> Engine:
    # One page reads at a time on the loop's thread (a read inside a read shares its connection): two
    # connections, and a checkout that would wait goes to the thread pool (loop_reads).
    timeout_ms = int(LOOP_BLOCK_S * 1000)
    return create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=2,
        max_overflow=0,
        pool_timeout=0.01,
        pool_recycle=1800,
        connect_args={"options": f"{_READ_ONLY} -c statement_timeout={timeout_ms}", "connect_timeout": 2},
        json_deserializer=json_value,
    )


def _async_loop_reader(engine: Engine, pool_size: int) -> Engine:
    from sqlalchemy.ext.asyncio import create_async_engine

    # No overflow: a connection the pool made beyond its size was closed on its return, and under load each
    # worker opened and closed some 30 a second (docs/performance.md#postgresql-reads-that-hold-the-loop). A
    # page that finds every connection taken waits a little, then goes to the thread pool (loop_reads).
    loop = create_async_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=LOOP_POOL_WAIT_S,
        pool_recycle=1800,
        connect_args={"options": _READ_ONLY},
        json_deserializer=json_value,
    )
    return loop.sync_engine


async def on_loop(loop_reader: Engine | None, work: Callable[[], T]) -> T:
    """work() on the event loop, where it may read through loop_reads. With an asyncio loop reader (PostgreSQL)
    it runs in a greenlet: each read's wait for the server hands the loop to other requests."""
    if loop_reader is not None and loop_reader.dialect.is_async:
        return cast(T, await greenlet_spawn(work))
    return work()


async def dispose_loop_reader(loop_reader: Engine | None) -> None:
    if loop_reader is not None:
        await on_loop(loop_reader, loop_reader.dispose)


@contextmanager
def loop_reads(loop_reader: Engine | None) -> Iterator[Connection]:
    """For an answer tried on the event loop (from_memory_or_database, on_loop) that needs one or two small reads
    of the caller's own rows: a connection of the loop reader. NeedsDatabase when there is none or the database
    is busy or out of reach, so the answer is made again in the thread pool."""
    if loop_reader is None:
        raise NeedsDatabase("loop reader")
    me = greenlet.getcurrent()  # a page's greenlet (PostgreSQL), else its thread's own
    held = _loop_held.get(me)
    if held is not None:  # a read inside a read (a cold member's, inside a page's): the same connection, not a
        yield held  # second one waited for while holding the first, which a full pool would never give
        return
    try:
        with loop_reader.connect() as conn:
            _loop_held[me] = conn
            try:
                yield conn
            finally:
                del _loop_held[me]
    except (sqlite3.OperationalError, psycopg.OperationalError, OperationalError, PoolTimeout) as exc:
        raise NeedsDatabase("busy") from exc


_loop_held: dict[object, Connection] = {}  # the loop reader's connection each greenlet holds


@contextmanager
def loop_session() -> Iterator[Session]:
    """An ORM session on the loop reader's connection this greenlet (or thread) holds (loop_reads), for what a
    page's per-process caches miss (kit.offers); NeedsDatabase when it holds none. Read only, as the connection."""
    conn = _loop_held.get(greenlet.getcurrent())
    if conn is None:
        raise NeedsDatabase("no loop connection")
    with Session(bind=conn, expire_on_commit=False) as session:
        yield session


async def from_memory_or_database(engine: Engine, loop_reader: Engine | None, answer: Callable[[Session], T], *, commit: bool = False) -> T:
    """Answer on the event loop with NO_DATABASE as the session when the per-process caches hold all it
    needs, and what they do not hold can be read through `loop_reader` (on_loop, loop_reads); else
    (NeedsDatabase, raised before anything was sent or changed) answer again in the thread pool on a
    read-only session (reader), as a sync endpoint would (docs/performance.md#board-cache). `commit`: on a
    session that commits what the answer changed on the way (an attempt past its time, finalised)."""
    try:
        return await on_loop(loop_reader, lambda: answer(NO_DATABASE))
    except NeedsDatabase:
        pass

    def with_database() -> T:
        if commit:
            with session_scope(engine, write=False) as session:
                return answer(session)
        with Session(reader(engine), expire_on_commit=False) as session:
            return answer(session)

    return await anyio.to_thread.run_sync(with_database)
