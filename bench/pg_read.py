"""`python -m bench.pg_read`: what one small PostgreSQL read costs the app's process, by the way it is made
(issue 19, docs/performance.md "Not met").

A page made on the event loop reads on PostgreSQL through db_loop.loop_reader (SQLAlchemy's asyncio adapter over
psycopg's async connection, in a greenlet: db_loop.on_loop, db_loop.loop_reads, db.DriverStatement). This reads one
value the same number of times that way and on the layers under it, and gives the client's CPU per read
(time.process_time: the server's is its own process). The layers:
- sync: a psycopg connection in autocommit, the way the thread pool's reads go;
- async: psycopg's async connection on the same asyncio loop;
- loop checkout: db_loop.loop_reads alone (the pool's checkout and return, the greenlet);
- loop read: db_loop.loop_reads and a DriverStatement, as a page makes one.

`python -m bench.pg_read --reads 3000` (a few seconds; HOITHI_BENCH_PG_URL names the server).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

import psycopg
from sqlalchemy import bindparam, create_engine, select

from app.db import DriverStatement
from app.db_loop import loop_reader, loop_reads, on_loop
from bench.seed import PG_ADMIN_URL

WARMUP = 200
_ONE = DriverStatement(select(bindparam("x").label("x")))
_SQL = "SELECT %(x)s::int AS x"


async def _cpu_us(reads: int, one: Callable[[], Awaitable[object]]) -> float:
    for _ in range(WARMUP):  # a statement psycopg has prepared, a pool holding its connection
        await one()
    started = time.process_time()
    for _ in range(reads):
        await one()
    return (time.process_time() - started) / reads * 1e6


async def measure(url: str, reads: int) -> dict[str, float]:
    reader = loop_reader(create_engine(url))
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    assert reader is not None, "a postgresql+psycopg URL"
    sync_conn = psycopg.connect(plain, autocommit=True)
    async_conn = await psycopg.AsyncConnection.connect(plain, autocommit=True)

    async def sync_read() -> object:
        with sync_conn.cursor() as cur:
            cur.execute(_SQL, {"x": 1})
            return cur.fetchall()

    async def async_read() -> object:
        async with async_conn.cursor() as cur:
            await cur.execute(_SQL, {"x": 1})
            return await cur.fetchall()

    def checkout() -> object:
        with loop_reads(reader):
            return None

    def read() -> object:
        with loop_reads(reader) as conn:
            return _ONE.first(conn, {"x": 1})

    try:
        return {
            "sync psycopg": await _cpu_us(reads, sync_read),
            "async psycopg": await _cpu_us(reads, async_read),
            "loop checkout": await _cpu_us(reads, lambda: on_loop(reader, checkout)),
            "loop read": await _cpu_us(reads, lambda: on_loop(reader, read)),
        }
    finally:
        sync_conn.close()
        await async_conn.close()
        await on_loop(reader, reader.dispose)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.pg_read", description=__doc__.split("\n\n")[0])
    p.add_argument("--reads", type=int, default=3000, help="reads of each kind (default 3000)")
    p.add_argument("--url", default=PG_ADMIN_URL, help="the PostgreSQL to read from (default: HOITHI_BENCH_PG_URL)")
    args = p.parse_args(argv)
    figures = asyncio.run(measure(args.url, args.reads))
    print(f"client CPU per read of one value, {args.reads} reads each after {WARMUP}:")
    for name, us in figures.items():
        print(f"  {name:<14} {us:7.0f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
