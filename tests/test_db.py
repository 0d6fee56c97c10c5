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
        except BaseException as exc:  # noqa: BLE001
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
