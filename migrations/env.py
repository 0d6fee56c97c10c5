"""Alembic environment: the database comes from the app's settings (or a connection handed in by
app.services.migrate), and SQLite gets batch mode so ALTERs work there too."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.config import Settings
from app.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = make_engine(Settings(database_url=url))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite, compare_type=True)
    # Batch mode copies and drops a table; with foreign keys on, the drop would cascade into its children.
    _foreign_keys(connection, sqlite, on=False)
    try:
        with context.begin_transaction():
            context.run_migrations()
        if connection.in_transaction():
            connection.commit()
    finally:
        _foreign_keys(connection, sqlite, on=True)


def _foreign_keys(connection, sqlite: bool, *, on: bool) -> None:
    if sqlite and not connection.in_transaction():  # the pragma is a no-op inside a transaction
        connection.connection.dbapi_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `hoithi db upgrade`")
run_migrations_online()
