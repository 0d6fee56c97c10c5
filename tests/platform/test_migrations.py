"""Migrations on both databases: up from empty, down to base, up again, and models == migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.config import Settings
from app.db import make_engine
from app.services import migrate
from tests.databases import create_pg_database, drop_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", _env_file=None))
        yield engine
        engine.dispose()
        return
    name, url = create_pg_database()
    engine = make_engine(Settings(database_url=url, _env_file=None))
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_database(name)


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _diff(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, SQLModel.metadata)


def test_upgrade_downgrade_upgrade(empty_engine):
    expected = set(SQLModel.metadata.tables)
    migrate.upgrade(empty_engine)
    assert _tables(empty_engine) == expected
    migrate.downgrade(empty_engine, "base")
    assert _tables(empty_engine) == set()
    migrate.upgrade(empty_engine)
    assert _tables(empty_engine) == expected


def test_models_match_migrations(empty_engine):
    migrate.upgrade(empty_engine)
    assert _diff(empty_engine) == []


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", _env_file=None))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_0009_recomputes_unit_rates_over_the_subtree(empty_engine):
    """A unit table stored under the old rule (the subtree's participants over the unit's own headcount) is
    recomputed: headcount, rate and sibling ranks; a sealed round is marked, its digest left alone."""
    from datetime import timedelta

    from sqlalchemy import text
    from sqlmodel import Session

    from app.models import Contest, Round, UnitStanding
    from app.models.types import utcnow
    from tests.factories import make_tree

    migrate.upgrade(empty_engine)
    now = utcnow()
    with Session(empty_engine) as s:
        t = make_tree(s, headcounts=(0, 6, 50, 50, 10, 40))  # ward A declares 6 of its own over two cells
        c = Contest(title="C", scope_unit_id=t.root.id, slug="c0009")
        s.add(c)
        s.flush()
        r = Round(
            contest_id=c.id,
            position=1,
            title="Tuần 1",
            opens_at=now - timedelta(days=2),
            closes_at=now - timedelta(days=1),
            status="closed",
            sealed_at=now,
            seal_digest="d" * 64,
        )
        s.add(r)
        s.flush()
        # the old rule: participants of the subtree / own headcount
        old = [
            (t.root, None, 4, 0, None),
            (t.a, t.root, 3, 6, 0.5),
            (t.a1, t.a, 2, 50, 0.04),
            (t.a2, t.a, 1, 50, 0.02),
            (t.b, t.root, 1, 10, 0.1),
            (t.b1, t.b, 1, 40, 0.025),
        ]
        for unit, parent, participants, headcount, rate in old:
            s.add(
                UnitStanding(
                    round_id=r.id,
                    unit_id=unit.id,
                    parent_id=parent.id if parent else None,
                    rank=1,
                    participants=participants,
                    attempts=participants,
                    headcount=headcount,
                    participation_rate=rate,
                    average_score=3.0,
                    perfect_count=0,
                )
            )
        s.commit()
        ids = {"root": t.root.id, "a": t.a.id, "b": t.b.id, "a1": t.a1.id}
        round_id = r.id
    migrate.downgrade(empty_engine, "0008")
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = {
            u: tuple(x)
            for u, *x in conn.execute(
                text("SELECT unit_id, headcount, participation_rate, rank FROM unit_standing WHERE round_id = :r"), {"r": round_id}
            )
        }
        marked, digest = conn.execute(text("SELECT units_recomputed_at, seal_digest FROM round WHERE id = :r"), {"r": round_id}).one()
    assert rows[ids["a"]][:2] == (106, pytest.approx(3 / 106, abs=1e-6))
    assert rows[ids["b"]][:2] == (50, pytest.approx(1 / 50))
    assert rows[ids["root"]][:2] == (156, pytest.approx(4 / 156, abs=1e-6))
    assert rows[ids["a1"]][:2] == (50, pytest.approx(0.04))
    # under the old rule A (50 %) led B (10 %); over subtrees B (2 %) and A (2.8 %) keep that order, ranked anew
    assert (rows[ids["a"]][2], rows[ids["b"]][2]) == (1, 2)
    assert marked is not None and digest == "d" * 64
