"""Engine, SQLite pragmas and sessions.

On SQLite a writing transaction begins IMMEDIATE (no SQLITE_BUSY half-way), after a machine-wide writer
lock of our own (WriterLockConnection) that is handed on far sooner than SQLite's busy handler wakes;
read-only sessions keep a deferred BEGIN, so readers never queue behind writers (WAL). Why and figures:
docs/performance.md#sqlite-writer-lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import await_
from sqlmodel import Session, create_engine

from app.config import Settings

_IMMEDIATE = "hoithi_immediate"
BUSY_TIMEOUT_S = 30.0
_holders: set[int] = set()  # threads holding the writer lock (a nested writer must not wait on itself)
_process_writer = threading.Lock()  # this process's turn at the machine-wide writer lock


class WriterLockConnection(sqlite3.Connection):
    """A pysqlite connection that holds the machine-wide writer lock from its BEGIN IMMEDIATE to the end of
    that transaction. Threads of a process queue on a threading lock (woken the moment it is free); the one
    that has it waits for the other processes on an flock(2) of the lock file, polled every millisecond or
    less. Both waits end after `timeout` seconds (busy_timeout's) with "database is locked", as SQLite's
    own wait would."""

    lock_path: str | None = None
    timeout: float = 30.0
    _lock_fd: int | None = None
    _owner: int = 0

    def take_writer_lock(self) -> None:
        me = threading.get_ident()
        if self.lock_path is None or self._lock_fd is not None or me in _holders:
            return  # (a writer inside another writer of the same thread falls back on busy_timeout, as before)
        deadline = time.monotonic() + self.timeout
        if not _process_writer.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError("database is locked")
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            pause = 0.0001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise sqlite3.OperationalError("database is locked") from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.001)
        except BaseException:
            _process_writer.release()
            raise
        self._lock_fd, self._owner = fd, me
        _holders.add(me)

    def release_writer_lock(self) -> None:
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            _holders.discard(self._owner)
            os.close(fd)  # closing the file releases its flock
            _process_writer.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self.release_writer_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            if not self.in_transaction:
                self.release_writer_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writer_lock()


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=settings.sql_echo,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S, "factory": WriterLockConnection},
            pool_size=settings.threads,
            max_overflow=5,
            json_serializer=json_text,
            json_deserializer=json_value,
        )
        _install_sqlite_hooks(engine, lock_path(engine))
        return engine
    # Custom plans always (a generic plan made while a table was small outlives its fit), no pre-ping, and
    # a pool as large as the thread pool: docs/performance.md#postgresql-connections.
    return create_engine(
        url,
        echo=settings.sql_echo,
        pool_size=settings.threads,
        max_overflow=5,
        pool_recycle=1800,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
        json_serializer=json_text,
        json_deserializer=json_value,
    )


# Reads and writes by key on the hottest paths (the loop readers' connections, the tap writer's transactions):
# generic plans, PostgreSQL's default, whose planning is not paid again on every execution; and no sequential
# scan, which a generic plan made while a table was a few pages long would keep as the table grows until its
# statistics are next updated (docs/performance.md#generic-plans-by-key).
BY_KEY = {"plan_cache_mode": "auto", "enable_seqscan": "off"}
BY_KEY_OPTIONS = " ".join(f"-c {name}={value}" for name, value in BY_KEY.items())
_BY_KEY_LOCAL = "; ".join(f"SET LOCAL {name} = {value}" for name, value in BY_KEY.items())


def by_key(conn: Connection) -> None:
    """PostgreSQL: this transaction's statements are by key (BY_KEY), not the engine's custom plans. A no-op elsewhere."""
    if conn.dialect.name == "postgresql":
        conn.connection.dbapi_connection.execute(_BY_KEY_LOCAL)  # type: ignore[union-attr]  # one round trip for both


def json_text(value: Any) -> str:
    """A JSON column's text: UTF-8 as it is, not \\u escapes. A Vietnamese snapshot is two fifths smaller that
    way, and a quiz page decodes its 20 option lists a third faster (docs/performance.md#the-quiz-pages-own-work)."""
    return json.dumps(value, ensure_ascii=False)


_DECODE = json.JSONDecoder().raw_decode


def json_value(text: str | bytes | memoryview) -> Any:
    """A JSON column's value: JSONDecoder.raw_decode without the checks json.loads makes around it, a third of
    reading one of the 20 option lists of a quiz page. psycopg hands the UTF-8 bytes of the server's text; text
    with space around it, or bytes that are not UTF-8, go to json.loads."""
    if not isinstance(text, str):
        raw = bytes(text)
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            return json.loads(raw)
    try:
        value, end = _DECODE(text)
    except json.JSONDecodeError:
        return json.loads(text)  # raises the same error, or reads past leading space
    return value if end == len(text) else json.loads(text)


def lock_path(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + "-writer.lock"


def _install_sqlite_hooks(engine: Engine, lock_path: str | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        if isinstance(dbapi_conn, WriterLockConnection):
            dbapi_conn.lock_path = lock_path
            dbapi_conn.timeout = BUSY_TIMEOUT_S
        # Take transaction control away from pysqlite so that BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_IMMEDIATE):
            dbapi_conn: object = conn.connection.dbapi_connection  # pysqlite's, typed as the DB-API protocol
            if isinstance(dbapi_conn, WriterLockConnection):
                dbapi_conn.take_writer_lock()
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                if isinstance(dbapi_conn, WriterLockConnection):
                    dbapi_conn.release_writer_lock()
                raise
        else:
            conn.exec_driver_sql("BEGIN")


def reader(engine: Engine) -> Engine:
    """For a request that only reads and needs no snapshot across its statements (a board): on PostgreSQL in
    autocommit, so no BEGIN and COMMIT round trips around its one or two SELECTs; SQLite's are local."""
    return engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine


def writer(engine: Engine) -> Engine:
    """The same engine (and pool) whose transactions begin IMMEDIATE on SQLite; a no-op elsewhere."""
    return engine.execution_options(**{_IMMEDIATE: True})


@contextmanager
def reads_before_lock(session: Session) -> Iterator[bool]:
    """SQLite, a session that has not begun: the block's statements run in a deferred transaction, which takes
    no writer lock, ended with the block; what the session does next begins IMMEDIATE as usual, so the writer
    lock is held for the writes alone (docs/performance.md#reads-before-the-writer-lock). Yields True then: what
    the block read may have changed by the time the lock is held, so the caller reads again, under the lock,
    what its writes depend on. Elsewhere (PostgreSQL, whose row locks order what matters, or a transaction
    already under way) the block joins the session's one transaction, and it yields False."""
    if session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        yield False
        return
    session.connection(execution_options={_IMMEDIATE: False})
    try:
        yield True
    except BaseException:
        session.rollback()
        raise
    if session.new or session.dirty or session.deleted:
        session.rollback()
        raise RuntimeError("reads_before_lock: a write inside the block would run without the writer lock")
    session.commit()  # nothing to write: ends the read (objects stay loaded, expire_on_commit is off)


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


class NeedsDatabase(Exception):
    """Raised by NO_DATABASE: what was asked for is not in this worker's memory."""


class _NoDatabase:
    """Stands in for a session on the event loop: any use of it means the answer needs the database."""

    def __getattr__(self, name: str) -> Any:
        raise NeedsDatabase(name)


NO_DATABASE: Any = _NoDatabase()


# --- what a commit changed, told to the per-process caches of its engine -------------------------------
_commit_hooks: weakref.WeakKeyDictionary[Engine, list[tuple[str, Callable[[Any], None]]]] = weakref.WeakKeyDictionary()


def on_commit(engine: Engine, kind: str, hook: Callable[[Any], None]) -> None:
    """After a session on `engine` commits a change of `kind`, hook(what changed). create_app wires the
    caches it makes this way, so that a worker's own changes reach its caches at once."""
    _commit_hooks.setdefault(_base_engine(engine), []).append((kind, hook))


def committed(session: OrmSession, kind: str, changed: Any) -> None:
    """Called by the session listener that noted the change (after_commit)."""
    bind = session.get_bind()
    for hook_kind, hook in _commit_hooks.get(_base_engine(bind), ()):
        if hook_kind == kind:
            hook(changed)


def _base_engine(bind: Engine | Connection) -> Engine:
    engine = bind.engine
    while hasattr(engine, "_proxied"):  # an execution_options() copy (reader, writer) stands for its engine
        engine = engine._proxied
    return engine


async def _fetch(connection: Any, sql: str, params: Any, describe: bool) -> tuple[Any, list[Any]]:
    """A read on psycopg's async connection under SQLAlchemy's adapter: the adapter's cursor around it cost a
    tenth of a read on the event loop (docs/performance.md#postgresql-on-the-event-loop)."""
    async with connection.cursor() as cursor:
        await cursor.execute(sql, params)
        return cursor.description if describe else None, await cursor.fetchall()


class DriverStatement:
    """A statement compiled once per dialect and run on the DB-API connection under a SQLAlchemy connection (in
    its transaction), its values converted by the columns' own types. SQLAlchemy's execute of a small statement
    costs more than the statement on SQLite, where a statement is a function call, and about as much as the
    round trip on a local PostgreSQL: this is for the hottest few (a tap's read and upsert, a cold member's
    load; docs/performance.md#tap-writer). No expanding IN lists; a value written in the statement (a LIMIT,
    a literal compared with) is sent as SQLAlchemy would send it."""

    def __init__(self, stmt: ClauseElement) -> None:
        self._stmt = stmt
        # by dialect: SQL, bind names, their conversions, positional?, row type, result conversions, and the values
        # written in the statement by bind name (SQLite adds an OFFSET to a LIMIT, PostgreSQL does not)
        self._ready: dict[str, tuple[str, tuple[str, ...], list[Any], bool, Any, list[Any], dict[str, Any]]] = {}

    def _compiled(self, conn: Connection) -> tuple[str, tuple[str, ...], list[Any], bool, Any, list[Any], dict[str, Any]]:
        dialect = conn.dialect
        ready = self._ready.get(dialect.name)
        if ready is None:  # made once per dialect; two threads making it at once make the same thing
            compiled = cast(SQLCompiler, self._stmt.compile(dialect=dialect))
            named = {compiled.bind_names[b]: b for b in compiled.binds.values()}  # an anonymous bind's key is not its name
            types = {name: b.type for name, b in named.items()}
            positional = compiled.positiontup is not None  # SQLite's ?; psycopg's %(name)s take a dict
            names = tuple(compiled.positiontup) if compiled.positiontup is not None else tuple(types)
            to_db = [types[n].dialect_impl(dialect).bind_processor(dialect) for n in names]
            columns = list(getattr(self._stmt, "selected_columns", ()))
            if any(not c.key for c in columns):  # a scalar subquery, an expression: .label() it
                raise ValueError(f"every column of a DriverStatement needs a name: {self._stmt}")
            row = namedtuple("Row", [c.key for c in columns])  # type: ignore[misc]  # the names are the statement's
            from_db: list[Any] = []  # made at the first execution, from the driver's column types (see all())
            fixed = {name: b.effective_value for name, b in named.items() if not b.required}
            ready = self._ready[dialect.name] = (compiled.string, names, to_db, positional, row, from_db, fixed)
        return ready

    @staticmethod
    def _params(names: tuple[str, ...], to_db: list[Any], positional: bool, fixed: dict[str, Any], values: dict[str, Any]) -> Any:
        if fixed:
            values = {**fixed, **values}
        converted = (v if f is None else f(v) for f, v in zip(to_db, (values[n] for n in names), strict=True))
        return tuple(converted) if positional else dict(zip(names, converted, strict=True))

    def all(self, conn: Connection, values: dict[str, Any]) -> list[Any]:
        """The rows, as named tuples (attributes named as the statement's columns)."""
        sql, names, to_db, positional, row, from_db, fixed = self._compiled(conn)
        params = self._params(names, to_db, positional, fixed, values)
        dbapi = conn.connection.dbapi_connection
        raw: Sequence[Any]
        if conn.dialect.is_async:  # the loop reader's (db_loop): psycopg's own async cursor, awaited in the page's
            description, raw = await_(_fetch(dbapi._connection, sql, params, not from_db))  # type: ignore[union-attr]  # greenlet
        else:
            cursor = dbapi.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql, params)
                description, raw = cursor.description if not from_db else None, cursor.fetchall()
            finally:
                cursor.close()
        if not from_db:
            # a type's conversion may depend on the type the driver reports (psycopg: float8 or numeric); kept as
            # the (column, conversion) pairs of the columns that have one: most have none
            impls = (c.type.dialect_impl(conn.dialect) for c in getattr(self._stmt, "selected_columns", ()))
            made = (i.result_processor(conn.dialect, d[1]) for i, d in zip(impls, description, strict=True))
            from_db[:] = [tuple((n, f) for n, f in enumerate(made) if f is not None)]
        converts, make = from_db[0], row._make
        if not converts:
            return [make(r) for r in raw]
        rows = []
        for r in raw:
            cells = list(r)
            for n, f in converts:
                if cells[n] is not None:
                    cells[n] = f(cells[n])
            rows.append(make(cells))
        return rows

    def first(self, conn: Connection, values: dict[str, Any]) -> Any:
        rows = self.all(conn, values)
        return rows[0] if rows else None

    def many(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """The statement once per row of values (executemany)."""
        sql, names, to_db, positional, _row, _from_db, fixed = self._compiled(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, [self._params(names, to_db, positional, fixed, r) for r in rows])
        finally:
            cursor.close()
