"""Counts per key over a fixed window (login failures, successes, an organiser's matches outside their
scope), kept in one table so every worker and host sees the same count."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, literal
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.models import LoginThrottle
from app.models.types import UTCDateTime


def bump(session: Session, key: str, now: datetime, *, window_s: int, step: int = 1) -> tuple[int, datetime]:
    """Add `step` to a key's count in the current window (a new window if the last one ended); one upsert,
    so concurrent requests from every worker each see their own count. Returns (count, window start)."""
    table = LoginThrottle.__table__
    cutoff = literal(now - timedelta(seconds=window_s), UTCDateTime())
    expired = table.c.window_start <= cutoff
    sqlite = session.get_bind().dialect.name == "sqlite"
    insert = sqlite_insert if sqlite else pg_insert
    values = insert(table).values(key=key, window_start=now, failures=max(step, 0))
    stmt = values.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "failures": case(
                (expired, max(step, 0)), else_=func.max(table.c.failures + step, 0) if sqlite else func.greatest(table.c.failures + step, 0)
            ),
            "window_start": case((expired, literal(now, UTCDateTime())), else_=table.c.window_start),
        },
    ).returning(table.c.failures, table.c.window_start)
    count, start = session.execute(stmt).one()
    if start.tzinfo is None:
        start = start.replace(tzinfo=now.tzinfo)
    return int(count), start
