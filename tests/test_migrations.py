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
from tests.conftest import _create_pg_database, _drop_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):  # noqa: ANN001, ANN201
    if request.param == "sqlite":
        engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", _env_file=None))
        yield engine
        engine.dispose()
        return
    name, url = _create_pg_database()
    engine = make_engine(Settings(database_url=url, _env_file=None))
    try:
        yield engine
    finally:
        engine.dispose()
        _drop_pg_database(name)


def _tables(engine) -> set[str]:  # noqa: ANN001
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _diff(engine) -> list:  # noqa: ANN001
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
