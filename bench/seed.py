"""Throw-away databases for the load runs: a SQLite file in a temp directory or a fresh PostgreSQL
database (dropped afterwards), migrated with Alembic and filled with members who share one password."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import select

from app.config import Settings
from app.db import make_engine, session_scope
from app.models import Member, Unit
from app.security import create_token, hash_password
from app.services import migrate
from app.services.org.members import apply_derived

PG_ADMIN_URL = os.environ.get("HOITHI_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"
PASSWORD = "MatKhau#2025"


@dataclass
class BenchDB:
    kind: str  # "sqlite" | "postgresql"
    url: str
    data_dir: Path
    usernames: list[str]
    tokens: list[str]
    members: int  # the first `members` of usernames/tokens are the regular ones; the rest only for cold /me

    @property
    def pg_database(self) -> str | None:
        return self.url.rsplit("/", 1)[-1] if self.kind == "postgresql" else None

    def server_env(self) -> dict[str, str]:
        return {
            "HOITHI_DATABASE_URL": self.url,
            "HOITHI_SECRET_KEY": SECRET,
            "HOITHI_DATA_DIR": str(self.data_dir),
            # Every login comes from 127.0.0.1; the benchmark logs in successfully, but keep the
            # per-address throttle out of the way in any case.
            "HOITHI_LOGIN_MAX_FAILURES_PER_IP": "100000000",
            # a run of several minutes logs each member in more than once: the burst limit is not measured
            "HOITHI_LOGIN_MAX_SUCCESSES_PER_ACCOUNT": "100000000",
            "HOITHI_SQL_ECHO": "false",
        }


def _pg_plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    import psycopg

    try:
        with psycopg.connect(_pg_plain(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return str(exc).strip().splitlines()[0]
    return None


def pg_server_version() -> str:
    import psycopg

    with psycopg.connect(_pg_plain(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])


def pg_sessions(database: str) -> int:
    """Connections ever opened to `database` (pg_stat_database.sessions, PostgreSQL 14+)."""
    import psycopg

    with psycopg.connect(_pg_plain(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """The URL of an empty database that disappears on exit."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'hoithi-bench.db'}"
        return
    import psycopg

    name = f"hoithi_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(_pg_plain(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(_pg_plain(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def populate(kind: str, url: str, data_dir: Path, *, members: int, extra_members: int = 0) -> BenchDB:
    """Migrate to head and add one unit with `members` members, plus `extra_members` more (used by the
    run in which no member comes back). One argon2 hash, reused by all: the parameters are
    app.security's, so a login verifies without a rehash. `usernames` and `tokens` list all of them,
    the first `members` first."""
    total = members + extra_members
    settings = Settings(database_url=url, secret_key=SECRET, data_dir=data_dir, _env_file=None)
    engine = make_engine(settings)
    try:
        migrate.upgrade(engine)
        pw_hash = hash_password(PASSWORD)
        with session_scope(engine) as session:
            unit = Unit(code="BENCH", name="Chi đoàn Đo tải", kind="Chi đoàn", headcount=total)
            session.add(unit)
            session.flush()
            unit.path = f"/{unit.id}/"
            rows = []
            for i in range(1, total + 1):
                member = Member(
                    full_name=f"Nguyễn Thị Đo Tải {i}", phone=f"09{i:08d}", member_code=f"BN{i:06d}", unit_id=unit.id, password_hash=pw_hash
                )
                apply_derived(member)
                rows.append(member.model_dump(exclude={"id"}))
            for start in range(0, len(rows), 5000):  # one multi-row INSERT per chunk, not one per member
                session.execute(insert(Member), rows[start : start + 5000])
        with session_scope(engine, write=False) as session:
            rows = session.exec(select(Member.id, Member.phone, Member.token_version).order_by(Member.id)).all()
    finally:
        engine.dispose()
    # Tokens are minted the way app.services.org.auth.issue mints them, so /me needs no login round first.
    tokens = [
        create_token(member_id=mid, token_version=tv, secret=SECRET, audience=settings.jwt_audience, lifetime_s=settings.token_lifetime_s)
        for mid, _phone, tv in rows
    ]
    return BenchDB(kind=kind, url=url, data_dir=data_dir, usernames=[phone for _mid, phone, _tv in rows], tokens=tokens, members=members)
