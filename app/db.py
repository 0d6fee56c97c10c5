"""Engine, SQLite pragmas and sessions.

On SQLite every writing transaction starts with BEGIN IMMEDIATE: a deferred transaction that reads and
then writes can fail with SQLITE_BUSY half-way, while an immediate one waits on busy_timeout for the
write lock up front. Read-only sessions keep plain (deferred) BEGIN so readers never queue behind writers
(WAL lets them read while one writer writes).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.config import Settings

_IMMEDIATE = "hoithi_immediate"


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=settings.sql_echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=settings.threads,
            max_overflow=5,
        )
        _install_sqlite_hooks(engine)
        return engine
    # psycopg prepares a statement it has run five times, and PostgreSQL may then settle on a generic
    # plan made while a table was small: a member re-import right after the first one took minutes (a seq
    # scan testing 500 IN parameters per row). Custom plans cost microseconds of planning per query and
    # always fit the values at hand.
    # No pre-ping (a round trip on every checkout); connections are recycled instead, and the pool is as
    # large as the thread pool that uses it (app.main caps that), so a busy worker does not open and close
    # connections on every request.
    return create_engine(url, echo=settings.sql_echo, pool_size=settings.threads, max_overflow=5,
                         pool_recycle=1800, connect_args={"options": "-c plan_cache_mode=force_custom_plan"})


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Take transaction control away from pysqlite so that BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        if conn.get_execution_options().get(_IMMEDIATE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine (and pool) whose transactions begin IMMEDIATE on SQLite; a no-op elsewhere."""
    return engine.execution_options(**{_IMMEDIATE: True})


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A unit of work for the CLI, sweeps and tests: commit on success, roll back on error."""
    with Session(writer(engine) if write else engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
