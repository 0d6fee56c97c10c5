"""Writers in parallel: on SQLite every writing transaction begins IMMEDIATE, so a read-then-write
never dies half-way with 'database is locked'."""

from __future__ import annotations

import threading
import time

from sqlmodel import func, select

from app.db import session_scope
from app.models import Unit


def test_parallel_read_then_write_transactions_all_succeed(engine):
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with session_scope(engine) as s:
                s.exec(select(func.count()).select_from(Unit)).one()  # read first …
                time.sleep(0.01)  # … let the others read too …
                s.add(Unit(code=f"U{n}", name=f"Đơn vị {n}", path=f"/x{n}/"))  # … then write
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope(engine, write=False) as s:
        assert s.exec(select(func.count()).select_from(Unit)).one() == 16


def test_timestamps_come_back_aware_utc(session):
    from datetime import UTC, datetime, timedelta, timezone

    local = datetime(2026, 3, 2, 7, 30, tzinfo=timezone(timedelta(hours=7)))
    unit = Unit(code="TZ", name="Múi giờ", path="/tz/", created_at=local)
    session.add(unit)
    session.commit()
    session.expire_all()
    got = session.get(Unit, unit.id).created_at
    assert got == local and got.tzinfo is not None and got.utcoffset() == UTC.utcoffset(None)


def _lock_is_free(path: str) -> bool:
    """Asked from another process, as a second uvicorn worker would."""
    import subprocess
    import sys

    code = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "try: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError: sys.exit(1)\n"
    )
    return subprocess.run([sys.executable, "-c", code, path], check=False).returncode == 0


def test_sqlite_writers_of_every_process_queue_on_one_lock_held_for_the_transaction(tmp_path):
    """SQLite only (PostgreSQL has row locks): its own database file, not the both-databases fixture."""
    from sqlalchemy import text

    from app.config import Settings
    from app.db import make_engine, writer
    from app.services import migrate

    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path}/lock.db", secret_key="x" * 32, _env_file=None))
    migrate.upgrade(engine)
    path = engine.url.database + "-writer.lock"
    with engine.connect() as conn:  # a reader takes nothing
        conn.execute(text("SELECT 1")).all()
        assert _lock_is_free(path)
    with writer(engine).begin() as conn:
        conn.execute(text("SELECT 1")).all()
        assert not _lock_is_free(path)
    assert _lock_is_free(path)  # released at COMMIT
    try:
        with session_scope(engine) as s:
            s.add(Unit(code="RB", name="Quay lui", path="/rb/"))
            s.flush()
            assert not _lock_is_free(path)
            raise RuntimeError
    except RuntimeError:
        pass
    assert _lock_is_free(path)  # and at ROLLBACK
    order: list[str] = []

    def second() -> None:
        with session_scope(engine) as s:
            s.add(Unit(code="W2", name="Người ghi thứ hai", path="/w2/"))
        order.append("second committed")

    with session_scope(engine) as s:
        s.add(Unit(code="W1", name="Người ghi thứ nhất", path="/w1/"))
        s.flush()
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.2)
        order.append("first commits")  # the second writer is still waiting, in the queue
    t.join(5)
    assert order == ["first commits", "second committed"]
    engine.dispose()


def test_a_statement_on_the_driver_reads_and_writes_as_sqlalchemy_does(engine, session, quiz_world):
    """db.DriverStatement (the hottest statements, on the DB-API connection): the same rows, the same types,
    as SQLAlchemy's own execute of the same statement, and values written that SQLAlchemy reads back."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from sqlalchemy import bindparam, create_engine
    from sqlalchemy import select as sa_select

    from app.db import DriverStatement
    from app.models import Answer
    from app.services.org.principals import _LOAD
    from app.services.quiz import starting, taps
    from tests.factories import member_actor

    me = quiz_world.inside
    values = {"member_id": me.id}
    with engine.connect() as conn:
        ours, theirs = DriverStatement(_LOAD).all(conn, values), conn.execute(_LOAD, values).all()
    assert [r._asdict() for r in ours] == [r._asdict() for r in theirs]
    row = ours[0]
    assert row.m_created_at.tzinfo is UTC and row.m_active is True and isinstance(row.m_birth_date, type(theirs[0].m_birth_date))

    attempt, _ = starting.start(session=session, actor=member_actor(session, me), round_id=quiz_world.round_id)
    session.commit()
    when = datetime(2026, 12, 6, 17, 0, 0, 123456, tzinfo=UTC)
    upsert = DriverStatement(taps.upsert_statement(engine.dialect.name))
    with engine.begin() as conn:
        upsert.many(conn, [{"attempt_id": attempt.id, "position": 1, "option_ids": ["a", "b"], "saved_at": when}])
        upsert.many(conn, [{"attempt_id": attempt.id, "position": 1, "option_ids": ["c"], "saved_at": when}])  # replaces
    read = sa_select(Answer.__table__.c.option_ids, Answer.__table__.c.saved_at).where(Answer.__table__.c.attempt_id == bindparam("a"))
    with engine.connect() as conn:
        assert conn.execute(read, {"a": attempt.id}).all() == [(["c"], when)]
        assert DriverStatement(read).first(conn, {"a": attempt.id}) == (["c"], when)
        assert DriverStatement(read).first(conn, {"a": -1}) is None
        # values written in the statement (a literal compared with, a LIMIT) are sent as SQLAlchemy sends them
        written = read.where(Answer.__table__.c.position != 7).order_by(Answer.__table__.c.position).limit(1)
        on_driver = DriverStatement(written)
        other = "sqlite" if engine.dialect.name == "postgresql" else "postgresql"
        assert on_driver.all(conn, {"a": attempt.id}) == conn.execute(written, {"a": attempt.id}).all() == [(["c"], when)]
        # compiled for the other database too (a process serves one, the tests both): SQLite adds an OFFSET to a
        # LIMIT and PostgreSQL does not, so the values one writes are not the other's
        on_driver._compiled(SimpleNamespace(dialect=create_engine(f"{other}://").dialect))
        assert on_driver.all(conn, {"a": attempt.id}) == [(["c"], when)]


def test_json_is_stored_as_utf8_text_and_read_back_as_written(engine, session, quiz_world):
    """A JSON column's text keeps Vietnamese as it is (not \\u escapes), and json_value reads what json.loads reads."""
    import json

    import pytest
    from sqlalchemy import bindparam, text
    from sqlalchemy import select as sa_select

    from app.db import DriverStatement, json_value
    from app.models import Answer
    from app.services.quiz import starting, taps
    from tests.factories import member_actor

    attempt, _ = starting.start(session=session, actor=member_actor(session, quiz_world.inside), round_id=quiz_world.round_id)
    session.commit()
    with engine.begin() as conn:
        DriverStatement(taps.upsert_statement(engine.dialect.name)).many(
            conn, [{"attempt_id": attempt.id, "position": 2, "option_ids": ["Đúng", 'a"b'], "saved_at": attempt.started_at}]
        )
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT CAST(option_ids AS TEXT) FROM answer WHERE attempt_id = :a"), {"a": attempt.id}).scalar_one()
        assert "Đúng" in stored and "\\u" not in stored
        read = sa_select(Answer.__table__.c.option_ids).where(Answer.__table__.c.attempt_id == bindparam("a"))
        assert DriverStatement(read).all(conn, {"a": attempt.id}) == conn.execute(read, {"a": attempt.id}).all() == [(["Đúng", 'a"b'],)]
    for raw in ('[{"id": "x", "text": "Đúng"}]', ' {"a": [1, 2.5, null]} ', b'{"a": true}', '"\\u0110"', "3", '["Đúng"]'.encode()):
        assert json_value(raw) == json_value(memoryview(raw) if isinstance(raw, bytes) else raw) == json.loads(raw)
    for bad in ("", "[1,", '{"a": 1} x', "nul", b"\xff\xfe"):
        with pytest.raises(json.JSONDecodeError):
            json_value(bad)


def test_reads_before_the_lock_take_no_writer_lock_and_the_writes_after_them_do(tmp_path):
    """db.reads_before_lock on SQLite (its own database file): the block reads without the writer lock, a write
    inside it is refused before anything is written, and the session's next transaction takes the lock."""
    import pytest
    from sqlmodel import Session

    from app.config import Settings
    from app.db import make_engine, reads_before_lock, writer
    from app.services import migrate

    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path}/split.db", secret_key="x" * 32, _env_file=None))
    migrate.upgrade(engine)
    path = engine.url.database + "-writer.lock"
    with Session(writer(engine), expire_on_commit=False) as s:
        with reads_before_lock(s) as apart:
            assert apart and s.exec(select(func.count()).select_from(Unit)).one() == 0
            assert _lock_is_free(path)
        assert not s.in_transaction()
        s.add(Unit(code="SAU", name="Ghi sau khi đọc", path="/sau/"))
        s.flush()
        assert not _lock_is_free(path)
        s.commit()
        with pytest.raises(RuntimeError), reads_before_lock(s):
            s.add(Unit(code="TRONG", name="Ghi trong khi đọc", path="/trong/"))
        s.exec(select(Unit)).all()  # a transaction under way: the block joins it
        with reads_before_lock(s) as apart:
            assert not apart
        s.rollback()
    with Session(engine) as s:
        assert [u.code for u in s.exec(select(Unit)).all()] == ["SAU"]
    assert _lock_is_free(path)
    engine.dispose()


def test_reads_before_the_lock_join_the_one_transaction_on_postgresql(engine):
    from sqlmodel import Session

    from app.db import reads_before_lock, writer

    with Session(writer(engine)) as s, reads_before_lock(s) as apart:
        assert apart == (engine.dialect.name == "sqlite")


def test_the_loop_reader_reads_on_the_event_loop_and_writes_nothing(app, engine, session, quiz_world):
    """db_loop.loop_reader through db_loop.on_loop and db_loop.loop_reads: the same rows as a session reads; on PostgreSQL
    the reader that awaits the server lets two slow reads wait together (the loop is not held), and the one that holds
    the loop gives up on a read longer than LOOP_BLOCK_S (the page goes to the thread pool) and reads on after it; a
    write is refused by each."""
    import asyncio

    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from app.db import NeedsDatabase
    from app.db_loop import LOOP_BLOCK_S, is_local, loop_reader, loop_reads, on_loop

    units = select(func.count()).select_from(Unit)
    readers = [app.state.loop_reader]
    if engine.dialect.name == "postgresql":  # the app's own holds the loop for a server on this machine
        assert app.state.loop_reader.dialect.is_async is not is_local(engine)
        readers = [loop_reader(engine, block=True), loop_reader(engine, pool_size=4, block=False)]

    def count(reader) -> int:  # type: ignore[no-untyped-def]
        with loop_reads(reader) as conn:
            return int(conn.execute(units).scalar_one())

    def write(reader) -> None:  # type: ignore[no-untyped-def]
        with loop_reads(reader) as conn:
            conn.execute(text("UPDATE unit SET name = name"))

    for reader in readers:
        assert _run_loop(on_loop(reader, lambda r=reader: count(r))) == session.exec(units).one() > 0
        with pytest.raises((NeedsDatabase, DBAPIError)):
            _run_loop(on_loop(reader, lambda r=reader: write(r)))
    if engine.dialect.name == "sqlite":
        return
    blocking, waiting = readers

    def plans(reader) -> tuple[str, str]:  # type: ignore[no-untyped-def]  # generic plans for the loop's reads by key
        with loop_reads(reader) as conn:
            return str(conn.execute(text("SHOW plan_cache_mode")).scalar_one()), str(conn.execute(text("SHOW enable_seqscan")).scalar_one())

    assert _run_loop(on_loop(blocking, lambda: plans(blocking))) == _run_loop(on_loop(waiting, lambda: plans(waiting))) == ("auto", "off")
    assert session.exec(text("SHOW plan_cache_mode")).one()[0] == "force_custom_plan"  # type: ignore[call-overload]

    def slow(reader) -> None:  # type: ignore[no-untyped-def]
        with loop_reads(reader) as conn:
            conn.execute(text(f"SELECT pg_sleep({LOOP_BLOCK_S + 0.1})"))

    async def two_at_once() -> float:
        started = time.perf_counter()
        await asyncio.gather(on_loop(waiting, lambda: slow(waiting)), on_loop(waiting, lambda: slow(waiting)))
        return time.perf_counter() - started

    assert _run_loop(two_at_once()) < 2 * LOOP_BLOCK_S + 0.15
    started = time.perf_counter()
    with pytest.raises((NeedsDatabase, DBAPIError)):
        _run_loop(on_loop(blocking, lambda: slow(blocking)))
    assert time.perf_counter() - started < LOOP_BLOCK_S + 0.1
    assert _run_loop(on_loop(blocking, lambda: count(blocking))) > 0
    blocking.dispose()
    _run_loop(on_loop(waiting, waiting.dispose))


def test_a_transaction_by_key_keeps_a_generic_plan_that_scans_no_table(engine):
    """db.by_key (the tap writer's transactions; the loop readers' connections have the same settings): generic plans,
    and a generic plan made while a table is a page long reads by its index, so it still fits once the table has
    grown; the engine's own custom plans come back with the next transaction."""
    from sqlalchemy import text

    from app.db import by_key

    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            by_key(conn)  # nothing to set on SQLite
        return

    def plan(conn, setup: bool) -> str:  # type: ignore[no-untyped-def]
        if setup:
            by_key(conn)
        conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))  # the plan psycopg's fifth execution may keep
        conn.execute(text("PREPARE tap_read(int, int) AS SELECT v FROM tiny WHERE attempt_id = $1 AND position = $2"))
        shown = "\n".join(r[0] for r in conn.execute(text("EXPLAIN EXECUTE tap_read(1, 1)")))
        conn.execute(text("DEALLOCATE tap_read"))
        return shown

    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE tiny (attempt_id int, position int, v text, UNIQUE (attempt_id, position)) ON COMMIT DROP"))
        conn.execute(text("INSERT INTO tiny SELECT a, p, 'x' FROM generate_series(1, 5) a, generate_series(1, 4) p"))
        conn.execute(text("ANALYZE tiny"))
        assert "Seq Scan" in plan(conn, setup=False)  # what the settings are for: a page is cheaper to scan
        assert "Seq Scan" not in plan(conn, setup=True) and "Index" in plan(conn, setup=True)
        assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_generic_plan"
    with engine.connect() as conn:
        assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
        assert conn.execute(text("SHOW enable_seqscan")).scalar_one() == "on"


def test_postgresql_reads_hold_the_loop_only_for_a_server_on_this_machine():
    from sqlalchemy import create_engine

    from app.db_loop import is_local, loop_reader

    def url(rest: str):  # type: ignore[no-untyped-def]
        return create_engine(f"postgresql+psycopg://{rest}")

    assert is_local(url("u@127.0.0.1:5432/d")) and is_local(url("u@localhost/d")) and is_local(url("u@/d?host=/run/postgresql"))
    assert not is_local(url("u@10.0.0.5/d")) and not is_local(url("u@db.example.vn:5432/d"))
    assert loop_reader(url("u@db.example.vn/d")).dialect.is_async  # type: ignore[union-attr]
    assert not loop_reader(url("u@db.example.vn/d"), block=True).dialect.is_async  # type: ignore[union-attr]
    assert loop_reader(url("u@127.0.0.1/d"), block=False).dialect.is_async  # type: ignore[union-attr]


def test_a_loop_readers_connection_lost_is_not_kept(engine):
    """A PostgreSQL restart (here: the backend ended) breaks the loop reader's connection. The read that finds out
    goes to the thread pool (NeedsDatabase); the connection is not put back, so the next page reads on the loop
    again instead of failing on it until the pool recycles it."""
    import pytest
    from sqlalchemy import bindparam, text

    from app.db import DriverStatement, NeedsDatabase
    from app.db_loop import loop_reader, loop_reads, on_loop

    one = DriverStatement(select(bindparam("x").label("x")))  # as a page reads: on the driver's own cursor
    backend = "SELECT pg_backend_pid()" if engine.dialect.name == "postgresql" else "SELECT 0"

    def pid(reader) -> int:  # type: ignore[no-untyped-def]
        with loop_reads(reader) as conn:
            return int(conn.execute(text(backend)).scalar_one())

    def read(reader) -> int:  # type: ignore[no-untyped-def]
        with loop_reads(reader) as conn:
            return int(one.first(conn, {"x": 1}).x)

    for block in (True, False) if engine.dialect.name == "postgresql" else (None,):
        reader = loop_reader(engine, pool_size=1, block=block)
        assert reader is not None
        first = _run_loop(on_loop(reader, lambda r=reader: pid(r)))
        if engine.dialect.name == "postgresql":
            with engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            time.sleep(0.2)
            with pytest.raises(NeedsDatabase):
                _run_loop(on_loop(reader, lambda r=reader: read(r)))
        assert _run_loop(on_loop(reader, lambda r=reader: read(r))) == 1  # a new connection, on the loop
        _run_loop(on_loop(reader, reader.dispose))


def test_a_read_inside_a_read_on_the_loop_takes_no_second_connection(engine):
    """A page reads a cold member inside its own read (db_loop.loop_reads in loop_reads): the inner read has the
    outer's connection. Were it to wait for a second one, pages in flight that each hold one would wait for
    each other until the pool gave up. A pool that stays full sends the page to the thread pool."""
    import asyncio

    import pytest
    from sqlalchemy import text

    from app.db import NeedsDatabase
    from app.db_loop import loop_reader, loop_reads, on_loop

    reader = loop_reader(engine, pool_size=2, block=False)  # at most two connections on PostgreSQL
    assert reader is not None
    pause = "SELECT pg_sleep(0.05)" if engine.dialect.name == "postgresql" else "SELECT 1"

    def page(reader=reader) -> bool:  # type: ignore[no-untyped-def]
        with loop_reads(reader) as outer:
            outer.execute(text(pause))
            with loop_reads(reader) as inner:
                inner.execute(text(pause))
                return inner is outer

    def held_long() -> None:
        with loop_reads(reader) as conn:
            conn.execute(text("SELECT pg_sleep(1.5)"))

    async def on_one_loop() -> tuple[list[bool], float, list[object]]:  # as a worker: one loop, its pool's
        started = time.perf_counter()
        nested = await asyncio.gather(*(on_loop(reader, page) for _ in range(6)))
        took = time.perf_counter() - started
        full: list[object] = []
        if engine.dialect.name == "postgresql":
            full = await asyncio.gather(*(on_loop(reader, held_long) for _ in range(3)), return_exceptions=True)
        await on_loop(reader, reader.dispose)
        return nested, took, full

    nested, took, full = _run_loop(on_one_loop())
    assert nested == [True] * 6
    assert took < 0.9  # no wait for the pool's timeout (1 s)
    if engine.dialect.name == "postgresql":  # two connections held, the third page goes to the thread pool
        assert sum(isinstance(o, NeedsDatabase) for o in full) == 1 and full.count(None) == 2, full
        blocking = loop_reader(engine, block=True)
        assert blocking is not None and _run_loop(on_loop(blocking, lambda: page(blocking))) is True
        blocking.dispose()
    with pytest.raises(NeedsDatabase):
        with loop_reads(None):
            pass


def _run_loop(coro):  # type: ignore[no-untyped-def]
    """asyncio.run in a thread of its own, as a worker's loop (a browser test may have left a loop running here)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as loop_thread:
        return loop_thread.submit(asyncio.run, coro).result()
