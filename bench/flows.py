"""Members taking a round, as a phone would: a small keep-alive HTTP/1.1 client on raw asyncio streams, the
start storm, whole rounds played by many members at once, and the check that no acknowledged save was lost.

Raw streams rather than httpx for the reason bench/pyload.py gives: on 2 cores an httpx client would take
much of the CPU the servers need. Unlike pyload and wrk this client reads every answer, because the flows
need them (the option ids of a started attempt, the saved_at of a save). Requests are never retried: a
request that fails is counted as an error, and the connection is opened afresh for the next one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bench.pyload import _pct
from bench.servers import HOST

TIMEOUT_S = 60.0
T = TypeVar("T")


class HttpError(Exception):
    """A failed request: the name says how (connect, timeout, read, protocol)."""


class Conn:
    """One keep-alive connection to 127.0.0.1:port, opened on first use and again after a failure."""

    def __init__(self, port: int, timeout_s: float = TIMEOUT_S) -> None:
        self.port, self.timeout_s = port, timeout_s
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, *, token: str, body: Any = None) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
            f"User-Agent: hoithi-bench\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        return await self.guarded(self._exchange(head.encode() + payload))

    async def guarded(self, exchange: Coroutine[Any, Any, T]) -> T:
        """One exchange within the timeout; a failure closes the connection and says how (HttpError)."""
        try:
            return await asyncio.wait_for(exchange, self.timeout_s)
        except asyncio.TimeoutError:
            self.close()
            raise HttpError("timeout") from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            self.close()
            raise HttpError("connect" if isinstance(exc, ConnectionRefusedError) else "read") from exc

    async def send_head(self, raw: bytes) -> bytes:
        """Write a request (connecting first if need be) and read its answer's head."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        return await self.reader.readuntil(b"\r\n\r\n")

    async def _exchange(self, raw: bytes) -> tuple[int, bytes]:
        head = await self.send_head(raw)
        assert self.reader is not None
        status = int(head[9:12])
        length, close = None, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise ValueError("chunked answers are not expected from JSON endpoints")
        body = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, body


class Tally:
    """Latency and errors per kind of request ("start", "save", …)."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter[str]] = defaultdict(Counter)

    async def call(
        self, conn: Conn, kind: str, method: str, path: str, *, token: str, body: Any = None, expect: Sequence[int] = (200,)
    ) -> Any:
        """The parsed JSON answer, or None after counting an error (a status not in `expect` or a failure)."""
        t0 = time.perf_counter()
        try:
            status, raw = await conn.request(method, path, token=token, body=body)
        except HttpError as exc:
            self.errors[kind][str(exc)] += 1
            return None
        self.seconds[kind].append(time.perf_counter() - t0)
        if status not in expect:
            self.errors[kind][f"HTTP {status}"] += 1
            return None
        return json.loads(raw) if raw else {}

    def error_count(self) -> int:
        return sum(sum(c.values()) for c in self.errors.values())

    def summary(self) -> dict[str, dict]:
        out = {}
        for kind in sorted(set(self.seconds) | set(self.errors)):
            ms = sorted(x * 1000 for x in self.seconds[kind])
            out[kind] = {
                "count": len(ms) + sum(self.errors[kind].values()),
                "errors": dict(self.errors[kind]),
                "p50_ms": _pct(ms, 50),
                "p95_ms": _pct(ms, 95),
                "p99_ms": _pct(ms, 99),
                "max_ms": ms[-1] if ms else 0.0,
                "mean_ms": sum(ms) / len(ms) if ms else 0.0,
            }
        return out


@dataclass
class Started:
    token: str
    attempt_id: int
    questions: list[tuple[int, str, list[str]]]  # (position, kind, option ids in display order)


def _started(token: str, body: dict) -> Started:
    return Started(
        token=token,
        attempt_id=body["id"],
        questions=[(q["position"], q["kind"], [o["id"] for o in q["options"]]) for q in body["questions"]],
    )


async def _each(items: Sequence[Any], concurrency: int, port: int, fn: Callable[[Conn, Any], Awaitable[None]]) -> None:
    """`concurrency` clients, each on its own connection, taking the next item until none is left."""
    todo = iter(items)

    async def client() -> None:
        conn = Conn(port)
        try:
            for item in todo:
                await fn(conn, item)
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(max(1, min(concurrency, len(items))))))


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run the client on its own thread's event loop: the calling thread may already run one (in the test
    suite, Playwright's sync API keeps a loop on the main thread)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run, coro).result()


# --- 1. the start storm ---------------------------------------------------------------------------------
async def start_storm(port: int, round_id: int, tokens: Sequence[str], *, concurrency: int) -> dict:
    """Every token starts its attempt once. Wall time, starts/s, latency, and the attempts (for the saves)."""
    tally, started = Tally(), []

    async def one(conn: Conn, token: str) -> None:
        body = await tally.call(conn, "start", "POST", f"/api/v1/rounds/{round_id}/attempts", token=token, expect=(201, 200))
        if body is not None:
            started.append(_started(token, body))

    t0, cpu0 = time.perf_counter(), time.process_time()
    await _each(tokens, concurrency, port, one)
    wall = time.perf_counter() - t0
    return {
        "members": len(tokens),
        "concurrency": concurrency,
        "wall_s": wall,
        "started": started,
        "starts_per_s": len(started) / wall if wall else 0.0,
        "errors": tally.error_count(),
        "latency": tally.summary(),
        "client_cpu_s": time.process_time() - cpu0,
    }


# --- choices --------------------------------------------------------------------------------------------
def choose(kind: str, options: list[str], rng: random.Random, avoid: list[str] | None = None) -> list[str]:
    """A member's pick: one option, or for a multiple-answer question one to three; never `avoid` (a change
    of mind is a different choice)."""
    for _ in range(20):
        if kind == "multiple":
            pick = rng.sample(options, rng.randint(1, min(3, len(options))))
        else:
            pick = [rng.choice(options)]
        if pick != avoid:
            return pick
    return pick


# --- 3. whole rounds and the ledger of acknowledged saves ----------------------------------------------
@dataclass
class Ledger:
    """What the members sent and what the server acknowledged. For each (attempt, position) the saves in
    the order they were sent, each with the saved_at of its 200 answer, or None when it was not
    acknowledged (an error). A member's requests are sequential, so the last acknowledged save of a
    position is the one the database must hold."""

    saves: dict[tuple[int, int], list[tuple[list[str], datetime | None]]] = field(default_factory=lambda: defaultdict(list))
    predictions: dict[int, tuple[int, bool]] = field(default_factory=dict)
    submitted: dict[int, bool] = field(default_factory=dict)

    @property
    def acknowledged(self) -> int:
        return sum(1 for sends in self.saves.values() for _o, at in sends if at is not None)

    @property
    def attempts(self) -> list[int]:
        return sorted(self.submitted)


def plan_answers(attempt: Started, rng: random.Random, reanswer_share: float) -> list[tuple[int, list[str]]]:
    """Every question answered in order, and a share of them answered again later with another choice."""
    plan = [(pos, choose(kind, opts, rng)) for pos, kind, opts in attempt.questions]
    kinds = {pos: (kind, opts) for pos, kind, opts in attempt.questions}
    again = rng.sample(range(len(plan)), round(len(plan) * reanswer_share))
    for first in sorted(again, reverse=True):  # insert from the end: earlier indexes stay valid
        pos, before = plan[first]
        kind, opts = kinds[pos]
        plan.insert(rng.randint(first + 1, len(plan)), (pos, choose(kind, opts, rng, avoid=before)))
    # A change of mind is relative to the choice saved just before it at that position.
    last: dict[int, list[str]] = {}
    out = []
    for pos, pick in plan:
        if last.get(pos) == pick:
            pick = choose(kinds[pos][0], kinds[pos][1], rng, avoid=pick)
        last[pos] = pick
        out.append((pos, pick))
    return out


async def play_round(
    port: int, round_id: int, tokens: Sequence[str], *, concurrency: int, seed: int = 4, reanswer_share: float = 0.2
) -> dict:
    """Each member: start, save every answer (some twice, with another choice), save a prediction, submit."""
    tally, ledger = Tally(), Ledger()
    rngs = {t: random.Random(f"{seed}:{i}") for i, t in enumerate(tokens)}

    async def member(conn: Conn, token: str) -> None:
        body = await tally.call(conn, "start", "POST", f"/api/v1/rounds/{round_id}/attempts", token=token, expect=(201, 200))
        if body is None:
            return
        attempt, rng = _started(token, body), rngs[token]
        aid = attempt.attempt_id
        ledger.submitted[aid] = False
        for pos, pick in plan_answers(attempt, rng, reanswer_share):
            saved = await tally.call(conn, "save", "PUT", f"/api/v1/attempts/{aid}/answers/{pos}", token=token, body={"option_ids": pick})
            ledger.saves[(aid, pos)].append((pick, datetime.fromisoformat(saved["saved_at"]) if saved else None))
        value = rng.randint(0, 2000)
        saved = await tally.call(conn, "prediction", "PUT", f"/api/v1/attempts/{aid}/prediction", token=token, body={"value": value})
        ledger.predictions[aid] = (value, saved is not None)
        done = await tally.call(conn, "submit", "POST", f"/api/v1/attempts/{aid}/submit", token=token)
        ledger.submitted[aid] = bool(done and done.get("status") == "submitted")

    t0, cpu0 = time.perf_counter(), time.process_time()
    await _each(tokens, concurrency, port, member)
    wall = time.perf_counter() - t0
    requests = sum(s["count"] for s in tally.summary().values())
    return {
        "members": len(tokens),
        "concurrency": concurrency,
        "wall_s": wall,
        "requests": requests,
        "requests_per_s": requests / wall if wall else 0.0,
        "errors": tally.error_count(),
        "latency": tally.summary(),
        "client_cpu_s": time.process_time() - cpu0,
        "acknowledged_saves": ledger.acknowledged,
        "ledger": ledger,
    }


def engine_for(url: str, data_dir: Path) -> Engine:
    from app.config import Settings
    from app.db import make_engine
    from bench.seed import SECRET

    return make_engine(Settings(database_url=url, secret_key=SECRET, data_dir=data_dir, _env_file=None))


def check_played(played: dict, url: str, data_dir: Path) -> dict:
    """The whole round `play_round` returned, held against the database: its ledger replaced by the check."""
    ledger = played.pop("ledger")
    engine = engine_for(url, data_dir)
    try:
        played["check"] = check_lost(engine, ledger)
    finally:
        engine.dispose()
    return played["check"]


def check_lost(engine: Engine, ledger: Ledger) -> dict:
    """Read the database directly and hold every acknowledged save against it.

    lost = missing (no row at a position with an acknowledged save) + differing (the row holds neither the
    last acknowledged choice with its saved_at, nor a later save that failed on the client's side and may
    still have been written: those are counted apart, as `overwritten_unacknowledged`)."""
    from app.models import Answer, Attempt

    ids = ledger.attempts
    rows: dict[tuple[int, int], tuple[list[str], datetime]] = {}
    status: dict[int, tuple[str, int | None]] = {}
    with Session(engine) as session:
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for a in session.exec(select(Answer).where(col(Answer.attempt_id).in_(chunk))):
                rows[(a.attempt_id, a.position)] = (list(a.option_ids), a.saved_at)
            for aid, st, pred in session.exec(select(Attempt.id, Attempt.status, Attempt.prediction).where(col(Attempt.id).in_(chunk))):
                status[aid] = (st, pred)
    missing = differing = overwritten = 0
    for key, sends in ledger.saves.items():
        acked = [i for i, (_o, at) in enumerate(sends) if at is not None]
        if not acked:
            continue
        last = acked[-1]
        row = rows.get(key)
        if row is None:
            missing += 1
        elif row != (sends[last][0], sends[last][1]):
            if any(opts == row[0] for opts, at in sends[last + 1 :] if at is None):
                overwritten += 1
            else:
                differing += 1
    predictions_lost = sum(1 for aid, (value, ok) in ledger.predictions.items() if ok and status.get(aid, ("", None))[1] != value)
    return {
        "attempts": len(ids),
        "acknowledged_saves": ledger.acknowledged,
        "positions_acknowledged": sum(1 for s in ledger.saves.values() if any(at for _o, at in s)),
        "missing": missing,
        "differing": differing,
        "lost": missing + differing,
        "overwritten_unacknowledged": overwritten,
        "predictions_lost": predictions_lost,
        "not_submitted": sum(1 for aid in ids if status.get(aid, ("", None))[0] != "submitted"),
        "submit_not_acknowledged": sum(1 for ok in ledger.submitted.values() if not ok),
    }
