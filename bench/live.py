"""`python -m bench.live`: a live game with 500 to 5,000 players connected to one game (issue 18).

For each database (SQLite, PostgreSQL) the app is served with 2 workers, and for each number of players:
the players join with the PIN and open the event stream (GET /api/v1/live-games/{id}/events, Server-Sent
Events, spread over the workers by the kernel); then, for each question, the host opens it and every phone
notes when the question reaches it; every player answers at a random moment in the first half of the window
(PUT .../answer over a pool of keep-alive connections, each with that player's token), and the time to each
acknowledgement is noted; the host reveals once every answer is acknowledged and every phone notes when the
reveal reaches it. Afterwards the database must hold exactly the answers that were acknowledged (0 lost).

Also measured: the workers' memory and CPU per connected idle player (10 s with every stream open and
nothing happening, against the same workers before the streams opened).

The client is one asyncio process with a small HTTP/1.1 of its own (raw streams, chunked bodies), so that it
costs little next to the server on this 2-core machine. Writes the "Issue 18 — live games" section of
bench/RESULTS.md with --write.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import report, seed
from bench.run import log, machine_facts
from bench.servers import Server, stop_all

HEADER = "## Issue 18 — live games"
CONNECT_AT_ONCE = 200  # streams being opened at the same time (the listen backlog is 2,048)
ANSWER_CONNECTIONS = 48  # keep-alive connections the answers share


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--players", default="500,1000,2000,5000", help="comma-separated numbers of players")
    p.add_argument("--questions", type=int, default=3)
    p.add_argument("--window", type=int, default=20, help="seconds per question")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--idle", type=float, default=10.0, help="seconds of idle streams measured")
    p.add_argument("--write", action="store_true")
    return p.parse_args(argv)


# --- a small HTTP/1.1 client -----------------------------------------------------------------------------------
class Conn:
    """One keep-alive connection: requests one after another, a Content-Length body each way."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, token: str, body: bytes = b"") -> tuple[int, bytes]:
        try:
            return await self._request(method, path, token, body)
        except (ConnectionError, IndexError, asyncio.IncompleteReadError):  # the server closed an idle keep-alive
            self.close()
            return await self._request(method, path, token, body)

    async def _request(self, method: str, path: str, token: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length) if length else b""

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Phone:
    """One player's stream: when each state reached it."""

    token: str
    player_id: int = 0
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    heard: dict[tuple[str, int], float] = field(default_factory=dict)  # (status, question index) -> monotonic time
    options: list[int] = field(default_factory=list)
    right: int | None = None  # the right option, learnt at the reveal (for checking the verdicts)
    correct: dict[int, bool] = field(default_factory=dict)
    events: asyncio.Event = field(default_factory=asyncio.Event)


async def open_stream(host: str, port: int, game_id: int, phone: Phone) -> None:
    phone.reader, phone.writer = await asyncio.open_connection(host, port)
    phone.writer.write(
        f"GET /api/v1/live-games/{game_id}/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {phone.token}\r\n\r\n".encode()
    )
    status = int((await phone.reader.readline()).split()[1])
    if status != 200:
        raise RuntimeError(f"stream answered {status}")
    while await phone.reader.readline() not in (b"\r\n", b""):
        pass


async def follow(phone: Phone) -> None:
    """Read the chunked event stream; note each state's first arrival."""
    reader = phone.reader
    assert reader is not None
    while True:
        size_line = await reader.readline()
        if not size_line:
            return
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            return
        chunk = await reader.readexactly(size + 2)
        for line in chunk.split(b"\n"):
            if line.startswith(b"data: "):
                _heard(phone, line[6:])


def _heard(phone: Phone, data: bytes) -> None:
    now = time.monotonic()
    body = json.loads(data)
    state, me = body["state"], body["me"]
    key = (state["status"], state["question_index"])
    phone.heard.setdefault(key, now)
    if me:
        phone.player_id = me["player_id"]
        if state["status"] == "reveal":
            phone.correct[state["question_index"]] = bool(me["correct"])
    if state["status"] == "question" and state["question"]:
        phone.options = [o["id"] for o in state["question"]["options"]]
    phone.events.set()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


# --- one game -----------------------------------------------------------------------------------------------------
async def run_game(app: Server, host_token: str, tokens: list[str], args: argparse.Namespace, question_ids: list[int]) -> dict:
    host_name, port = "127.0.0.1", app.port
    host = Conn(host_name, port)
    body = {
        "title": "Đo tải trò chơi trực tiếp",
        "scope_unit_code": "BENCH",
        "question_ids": question_ids[: args.questions],
        "seconds_per_question": args.window,
    }
    status, made = await host.request("POST", "/api/v1/live-games", host_token, json.dumps(body).encode())
    assert status == 201, made
    game = json.loads(made)
    gid, pin = game["id"], game["pin"]
    n = len(tokens)
    phones = [Phone(token=t) for t in tokens]
    pool = [Conn(host_name, port) for _ in range(ANSWER_CONNECTIONS)]

    # join
    t0 = time.monotonic()
    queue: asyncio.Queue[Phone] = asyncio.Queue()
    for ph in phones:
        queue.put_nowait(ph)

    async def joiner(conn: Conn) -> None:
        while not queue.empty():
            ph = queue.get_nowait()
            st, out = await conn.request("POST", "/api/v1/live-games/join", ph.token, json.dumps({"pin": pin}).encode())
            assert st == 200, out

    await asyncio.gather(*(joiner(c) for c in pool))
    join_s = time.monotonic() - t0

    # streams
    cpu0, rss0 = app.cpu_s(), rss_kb(app.worker_pids())
    t0 = time.monotonic()
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def connect(ph: Phone) -> None:
        async with gate:
            await open_stream(host_name, port, gid, ph)

    await asyncio.gather(*(connect(ph) for ph in phones))
    followers = [asyncio.create_task(follow(ph)) for ph in phones]
    while sum(1 for ph in phones if ("lobby", -1) in ph.heard) < n:
        await asyncio.sleep(0.05)
    connect_s = time.monotonic() - t0
    await asyncio.sleep(1.0)
    rss1, cpu1 = rss_kb(app.worker_pids()), app.cpu_s()
    await asyncio.sleep(args.idle)
    cpu2 = app.cpu_s()
    idle = {
        "rss_per_player_kb": (rss1 - rss0) / n,
        "cpu_ms_per_player_s": (cpu2 - cpu1) / args.idle / n * 1000,
        "rss_mb": rss1 / 1024,
    }
    del cpu0

    questions = []
    accepted_total = 0
    for index in range(args.questions):
        q = await one_question(host, pool, phones, gid, index, host_token, args)
        accepted_total += q["accepted"]
        questions.append(q)
    await host.request("POST", f"/api/v1/live-games/{gid}/end", host_token)
    for task in followers:
        task.cancel()
    for ph in phones:
        if ph.writer is not None:
            ph.writer.close()
    for c in [*pool, host]:
        c.close()
    return {
        "players": n,
        "game_id": gid,
        "join_s": join_s,
        "connect_s": connect_s,
        "idle": idle,
        "questions": questions,
        "accepted": accepted_total,
    }


async def one_question(
    host: Conn, pool: list[Conn], phones: list[Phone], gid: int, index: int, token: str, args: argparse.Namespace
) -> dict:
    n = len(phones)
    clicked = time.monotonic()
    status, out = await host.request("POST", f"/api/v1/live-games/{gid}/next", token)
    assert status == 200, out
    deadline = clicked + args.window
    while sum(1 for ph in phones if ("question", index) in ph.heard) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    shown = [ph.heard[("question", index)] - clicked for ph in phones if ("question", index) in ph.heard]

    # every player answers at a random moment of the first half of the window
    rng = random.Random(index)
    plan = sorted((clicked + rng.uniform(0.2, args.window / 2), ph) for ph in phones)
    todo: asyncio.Queue[tuple[float, Phone]] = asyncio.Queue()
    for item in plan:
        todo.put_nowait(item)
    acks: list[float] = []
    refused: dict[int, int] = {}
    chosen: dict[int, int] = {}

    async def answerer(conn: Conn) -> None:
        while not todo.empty():
            at, ph = todo.get_nowait()
            wait = at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            option = rng.choice(ph.options) if ph.options else 0
            sent = time.monotonic()
            st, _ = await conn.request("PUT", f"/api/v1/live-games/{gid}/answer", ph.token, json.dumps({"option_ids": [option]}).encode())
            if st == 200:
                acks.append(time.monotonic() - sent)
                chosen[ph.player_id] = option
            else:
                refused[st] = refused.get(st, 0) + 1

    await asyncio.gather(*(answerer(c) for c in pool))
    answered_s = time.monotonic() - clicked
    clicked = time.monotonic()
    status, out = await host.request("POST", f"/api/v1/live-games/{gid}/reveal", token)
    assert status == 200, out
    reveal_request_s = time.monotonic() - clicked
    right = json.loads(out)["correct_option_ids"]
    while sum(1 for ph in phones if ("reveal", index) in ph.heard) < n and time.monotonic() < clicked + 10:
        await asyncio.sleep(0.01)
    revealed = [ph.heard[("reveal", index)] - clicked for ph in phones if ("reveal", index) in ph.heard]
    wrong_verdicts = sum(1 for ph in phones if ph.player_id in chosen and ph.correct.get(index) != (chosen[ph.player_id] in right))
    return {
        "shown_p50": pct(shown, 0.5),
        "shown_p99": pct(shown, 0.99),
        "shown_max": max(shown) if shown else float("nan"),
        "shown_within_1s": sum(1 for s in shown if s <= 1.0) / n,
        "ack_p50": pct(acks, 0.5),
        "ack_p99": pct(acks, 0.99),
        "accepted": len(acks),
        "refused": refused,
        "answered_s": answered_s,
        "revealed_p99": pct(revealed, 0.99),
        "revealed_max": max(revealed) if revealed else float("nan"),
        "revealed_all": len(revealed) == n,
        "reveal_request_s": reveal_request_s,
        "wrong_verdicts": wrong_verdicts,
    }


# --- a database's runs -------------------------------------------------------------------------------------------------
def prepare(db: seed.BenchDB, questions: int) -> tuple[str, list[int]]:
    """The first member organises the unit; a topic of `questions` questions. Returns the host's token."""
    from sqlmodel import select

    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import Member, MemberRole, Unit
    from app.services.bank import questions as bank
    from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
    from app.services.org.access import actor_for

    engine = make_engine(Settings(database_url=db.url, secret_key=seed.SECRET, data_dir=db.data_dir, _env_file=None))
    with session_scope(engine) as s:
        unit = s.exec(select(Unit).where(Unit.code == "BENCH")).one()
        head = s.exec(select(Member).order_by(Member.id)).first()
        assert head is not None
        s.add(MemberRole(member_id=head.id, role="organiser", unit_id=unit.id))
        s.flush()
        org = actor_for(session=s, member=head)
        topic = bank.create_topic(session=s, actor=org, data=TopicCreate(name="Nghị quyết", unit_code="BENCH"))
        ids = []
        for i in range(questions):
            q = bank.create_question(
                session=s,
                actor=org,
                data=QuestionCreate(
                    topic_id=topic.id,
                    text=f"Câu hỏi đo tải số {i + 1}?",
                    options=[OptionIn(text=t, correct=(t == "A")) for t in "ABCD"],
                ),
            )
            ids.append(q.id)
    engine.dispose()
    return db.tokens[0], ids


def count_answers(db: seed.BenchDB, game_id: int) -> int:
    from sqlalchemy import text

    from app.config import Settings
    from app.db import make_engine

    engine = make_engine(Settings(database_url=db.url, secret_key=seed.SECRET, data_dir=db.data_dir, _env_file=None))
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM live_answer WHERE game_id = :g"), {"g": game_id}).scalar_one()
    engine.dispose()
    return int(n)


def bench_database(kind: str, args: argparse.Namespace, sizes: list[int], workdir: Path) -> dict:
    if kind == "postgresql" and (reason := seed.pg_available()):
        return {"kind": kind, "skipped": reason}
    out: dict = {"kind": kind, "runs": []}
    with seed.database(kind, workdir) as url:
        db = seed.populate(kind, url, workdir / f"data-{kind}", members=max(sizes) + 1)
        host_token, question_ids = prepare(db, args.questions)
        env = {**db.server_env(), "HOITHI_SWEEP_EVERY_S": "0"}
        with Server(
            f"app-live-{kind}", "app.main:app", workers=args.workers, env=env, log_path=workdir / f"uvicorn-live-{kind}.log"
        ) as app:
            for n in sizes:
                log(f"{kind}: {n} players")
                run = asyncio.run(run_game(app, host_token, db.tokens[1 : n + 1], args, question_ids))
                run["stored"] = count_answers(db, run["game_id"])
                run["lost"] = run["accepted"] - run["stored"]
                for i, q in enumerate(run["questions"]):
                    log(
                        f"{kind}: {n} players, question {i + 1}: shown p99 {q['shown_p99'] * 1000:.0f} ms "
                        f"({q['shown_within_1s']:.1%} within 1 s), answers {q['accepted']} acked p99 {q['ack_p99'] * 1000:.0f} ms, "
                        f"reveal to all p99 {q['revealed_p99'] * 1000:.0f} ms (its request {q['reveal_request_s'] * 1000:.0f} ms), "
                        f"refused {q['refused']}, wrong verdicts {q['wrong_verdicts']}"
                    )
                log(
                    f"{kind}: {n} players: idle {run['idle']['rss_per_player_kb']:.1f} KB and "
                    f"{run['idle']['cpu_ms_per_player_s']:.3f} ms CPU/s per player; lost {run['lost']}"
                )
                out["runs"].append(run)
    return out


def section(results: dict) -> str:
    lines = [
        HEADER,
        "",
        f"Command: `{results['command']}` at {results['at']}, commit {results['commit']}.",
        "",
        results["machine"],
        "",
        "One game, the app with 2 workers; every player joins, opens the event stream and answers every question at a "
        "random moment of the first half of its window. *Shown*: from the host's click to the question reaching each "
        "phone; *ack*: an answer's request to its acknowledgement; *reveal*: from the host's click to the answer "
        "reaching each phone; *lost*: answers acknowledged but not in the database. Idle: the workers' memory and CPU "
        "per connected player with nothing happening.",
        "",
        "| database | players | shown p99 | within 1 s | ack p50 / p99 | accepted / lost | reveal p99 / max "
        "| idle KB per player | idle CPU ms/s per player | idle CPU, % of a core |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for db in results["dbs"]:
        if "skipped" in db:
            lines.append(f"| {db['kind']} | skipped: {db['skipped']} | | | | | | | | |")
            continue
        for r in db["runs"]:
            qs = r["questions"]
            lines.append(
                f"| {db['kind']} | {r['players']:,} | {max(q['shown_p99'] for q in qs) * 1000:.0f} ms "
                f"| {min(q['shown_within_1s'] for q in qs):.1%} "
                f"| {statistics.median(q['ack_p50'] for q in qs) * 1000:.0f} / {max(q['ack_p99'] for q in qs) * 1000:.0f} ms "
                f"| {r['accepted']:,} / {r['lost']} "
                f"| {max(q['revealed_p99'] for q in qs) * 1000:.0f} / {max(q['revealed_max'] for q in qs) * 1000:.0f} ms "
                f"| {r['idle']['rss_per_player_kb']:.1f} | {r['idle']['cpu_ms_per_player_s']:.3f} "
                f"| {r['idle']['cpu_ms_per_player_s'] * r['players'] / 10:.1f} % |"
            )
    lines += ["", "The worst question of each run is shown (max of the questions' p99)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sizes = [int(x) for x in args.players.split(",")]
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results: dict = {
        "command": "python -m bench.live " + " ".join(sys.argv[1:] if argv is None else argv),
        "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": report._git_rev(),
        "machine": report.machine_line({"machine": machine_facts()}).split(" Load client:")[0]
        + " Load client: bench/live.py (asyncio, raw HTTP/1.1), one process on the same 2 cores as the servers.",
        "dbs": [],
    }
    try:
        with tempfile.TemporaryDirectory(prefix="hoithi-live-") as tmp:
            for kind in kinds:
                results["dbs"].append(bench_database(kind, args, sizes, Path(tmp)))
    finally:
        stop_all()
    text = section(results)
    print(text)
    if args.write:
        report.write_section(HEADER, text)
    del soft
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
