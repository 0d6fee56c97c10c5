"""The test databases: the secret of the test settings, and the PostgreSQL databases made for a run (and
dropped after it). With CI=true a PostgreSQL that cannot be reached is a failure, not a skip."""

from __future__ import annotations

import os
import uuid

import pytest

PG_ADMIN_URL = os.environ.get("HOITHI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-not-for-production-0123456789"


def _pg_unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL tests must run in CI but cannot: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not reachable: {reason}")


def create_pg_database() -> tuple[str, str]:
    """A new empty database on the test server: (its name, its URL)."""
    import psycopg

    name = f"hoithi_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    plain = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(plain, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        _pg_unavailable(str(exc))
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(name: str) -> None:
    import psycopg

    plain = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
