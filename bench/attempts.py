"""`python -m bench.attempts`: the benchmark of issue 4, members taking a timed quiz round under load.

1. start storm: M members already logged in (Bearer tokens) each start their attempt once, from an
   asyncio client with 64 connections: wall time for all, errors, latency, starts/s.
2. saves:       with those attempts in progress, PUT /api/v1/attempts/{id}/answers/{position} under wrk
                (bench.load), round robin over many attempts and positions with real option ids, in
                interleaved runs with the bare /ping (bench/bare_app.py) served the same way.
3. whole round: R other members play a whole round, ~50 at a time (start, every answer, some answered
                again with another choice, the prediction, submit); then the database is read directly
                and every acknowledged save is checked against it.

Both databases by default, each a throw-away one (bench/seed.py). A run at the default sizes on both
databases rewrites the "Issue 4" section of bench/RESULTS.md; other runs only print it unless --write.
A quick trial (under a minute): `python -m bench.attempts --members 200 --round-members 30 --duration 2
--warmup 1 --rounds 1 --breakdown 50`.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import attempts_report, flows, measure, procstat, report, seed
from bench.load import Request
from bench.run import OUT, log, machine_facts, summary_line
from bench.servers import ROOT, Server, stop_all

DEFAULTS = {"members": 5000, "round_members": 1000, "duration": 10, "warmup": 2, "rounds": 2, "workers": 2}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.attempts", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--workers", type=int, default=DEFAULTS["workers"], help="uvicorn workers (default 2)")
    p.add_argument(
        "--members",
        type=int,
        default=DEFAULTS["members"],
        help="members in the start storm, whose attempts the saves then use (default 5000)",
    )
    p.add_argument(
        "--round-members", type=int, default=DEFAULTS["round_members"], help="other members who play a whole round (default 1000)"
    )
    p.add_argument("--duration", type=int, default=DEFAULTS["duration"], help="seconds per measured wrk run (default 10)")
    p.add_argument("--warmup", type=int, default=DEFAULTS["warmup"], help="seconds of warm-up before each (default 2)")
    p.add_argument(
        "--rounds", type=int, default=DEFAULTS["rounds"], help="interleaved /ping and save runs (default 2; the ratio is their median)"
    )
    p.add_argument("--start-connections", type=int, default=64)
    p.add_argument("--save-connections", type=int, default=32)
    p.add_argument("--round-concurrency", type=int, default=50, help="members playing at once (default 50)")
    p.add_argument(
        "--save-requests",
        type=int,
        default=10000,
        help="distinct PUT requests in wrk's round robin (default 10000: two positions per attempt)",
    )
    p.add_argument("--questions", type=int, default=40, help="questions in the bench topic (default 40)")
    p.add_argument("--draw", type=int, default=20, help="questions drawn per attempt (default 20)")
    p.add_argument(
        "--reanswer", type=float, default=0.2, help="share of questions answered again with another choice in the whole round (default 0.2)"
    )
    p.add_argument(
        "--breakdown",
        type=int,
        default=300,
        metavar="N",
        help="drive N saves and N starts (of members kept apart for it) in-process on one thread, timed "
        "and as many again under cProfile, to show where the CPU goes (default 300; 0 = skip)",
    )
    p.add_argument("--write", action="store_true", help="rewrite bench/RESULTS.md even for a smaller run")
    p.add_argument("--no-write", action="store_true", help="never touch bench/RESULTS.md")
    return p.parse_args(argv)


# --- the contest ----------------------------------------------------------------------------------------
def prepare_round(db: seed.BenchDB, *, questions: int = 40, draw: int = 20, time_limit_s: int = 3600, attempts_allowed: int = 1) -> int:
    """An organiser of the bench unit, one topic of `questions` questions (every fourth one with several
    correct options), and a published contest with one round open now (since a minute, for six hours),
    drawing `draw` questions per attempt, with a prediction question locked by the first submission.
    attempts_allowed 1, the rules' default, fits every phase: each member starts exactly once."""
    from sqlmodel import select

    from app.db import session_scope
    from app.models import Member, MemberRole, Role, Unit
    from app.services.bank import questions as bank
    from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
    from app.services.contests import contests
    from app.services.contests.schemas import ContestCreate, DrawLine, PredictionIn, RoundIn
    from app.services.org.access import actor_for
    from app.services.org.members import apply_derived

    engine = flows.engine_for(db.url, db.data_dir)
    try:
        with session_scope(engine) as session:
            unit = session.exec(select(Unit).where(Unit.code == "BENCH")).one()
            org = Member(full_name="Trần Văn Tổ Chức", phone="0800000001", member_code="BTC-BENCH", unit_id=unit.id, password_hash="")
            apply_derived(org)
            session.add(org)
            session.flush()
            session.add(MemberRole(member_id=org.id, role=Role.organiser, unit_id=unit.id))
            session.flush()
            actor = actor_for(session=session, member=org)
            topic = bank.create_topic(
                session=session, actor=actor, data=TopicCreate(name="Nghị quyết Đại hội – đo tải", unit_code=unit.code)
            )
            for n in range(1, questions + 1):
                multiple = n % 4 == 0
                options = [OptionIn(text=f"Phương án {c} của câu {n}", correct=(c == "A" or (multiple and c == "C"))) for c in "ABCD"]
                bank.create_question(
                    session=session,
                    actor=actor,
                    data=QuestionCreate(
                        topic_id=topic.id,
                        kind="multiple" if multiple else "single",
                        options=options,
                        text=f"Câu hỏi đo tải số {n}: nội dung nào sau đây đúng với Nghị quyết?",
                    ),
                )
            now = datetime.now(UTC)
            contest = contests.create_contest(
                session=session,
                actor=actor,
                data=ContestCreate(
                    title="Cuộc thi đo tải",
                    scope_unit_code=unit.code,
                    rounds=[
                        RoundIn(
                            title="Tuần đo tải",
                            opens_at=now - timedelta(minutes=1),
                            closes_at=now + timedelta(hours=6),
                            time_limit_s=time_limit_s,
                            draw=[DrawLine(topic_id=topic.id, count=draw)],
                            attempts_allowed=attempts_allowed,
                            prediction=PredictionIn(kind="perfect_scorers", lock_first=True),
                        )
                    ],
                ),
            )
            contests.publish_contest(session=session, actor=actor, contest_id=contest.id)
            round_id = contests.rounds_of(session=session, contest=contest)[0].id
    finally:
        engine.dispose()
    assert round_id is not None
    return round_id


# --- the phases -----------------------------------------------------------------------------------------
class Cpu:
    """CPU of the app's processes, of its PostgreSQL backends and of the whole machine over a phase driven
    by our own client; "other_cores" as in bench/measure.py (what everything else kept busy)."""

    def __init__(self, server: Server, pg_database: str | None) -> None:
        self.server, self.pg = server, pg_database
        self.cpu0 = server.cpu_s()
        self.pg0 = procstat.postgres_backends(pg_database) if pg_database else {}
        self.m0 = procstat.machine_sample()

    def per_request(self, n: int, *, wall_s: float, client_cpu_s: float) -> dict:
        server = self.server.cpu_s() - self.cpu0
        pg = procstat.backends_delta(self.pg0, procstat.postgres_backends(self.pg)) if self.pg else None
        machine = procstat.machine_delta(self.m0, procstat.machine_sample())
        ours = (server + (pg or 0.0) + client_cpu_s) / max(wall_s, 0.001)
        n = max(1, n)
        return {
            "server_cpu_ms_per_req": server * 1000 / n,
            "postgres_cpu_ms_per_req": pg * 1000 / n if pg is not None else None,
            "machine_busy": machine["busy"],
            "other_cores": max(0.0, machine["busy"] * procstat.NPROC - ours),
        }


def save_requests(started: list[flows.Started], n: int, rng: random.Random) -> list[Request]:
    """n PUT answer requests, attempt after attempt, each at a position not yet used for that attempt."""
    reqs = []
    used: dict[int, list[int]] = {}
    for i in range(n):
        a = started[i % len(started)]
        free = [q for q in a.questions if q[0] not in used.setdefault(a.attempt_id, [])] or a.questions
        pos, kind, options = rng.choice(free)
        used[a.attempt_id].append(pos)
        reqs.append(
            Request(
                "PUT",
                f"/api/v1/attempts/{a.attempt_id}/answers/{pos}",
                {"Authorization": f"Bearer {a.token}", "Content-Type": "application/json"},
                json.dumps({"option_ids": flows.choose(kind, options, rng)}),
            )
        )
    return reqs


def bench_saves(app: Server, bare: Server, db: seed.BenchDB, saves: list[Request], args: argparse.Namespace, workdir: Path) -> list[dict]:
    # The yardstick gets the same headers (ignored there); GET, since /ping answers nothing else.
    pings = [Request("GET", "/ping", {"Authorization": r.headers["Authorization"]}) for r in saves]
    measure.check(app, saves[0])
    measure.check(bare, pings[0])
    rounds = measure.against_bare(
        app,
        saves,
        bare,
        pings,
        name="save",
        rounds=args.rounds,
        connections=args.save_connections,
        duration_s=args.duration,
        warmup_s=args.warmup,
        workdir=workdir,
        label=db.kind,
        pg_database=db.pg_database,
        log=lambda n, which, r: log(f"{db.kind}: round {n} {which:4s} {summary_line(r)}  p95 {r['p95_ms']:.1f} ms"),
    )
    for n, pair in enumerate(rounds, start=1):
        log(f"{db.kind}: round {n} ratio saves : bare = {pair['ratio']:.2f}")
    return rounds


def cpu_breakdown(db: seed.BenchDB, round_id: int, saves: list[Request], fresh: list[str], n: int) -> dict:
    """In-process CPU per request and its cProfile split (bench/breakdown.py) of the bare /ping, an answer
    save (attempts of phase 1) and a start (members who never started: 2 × n of them)."""
    from app.config import Settings
    from app.main import create_app
    from bench import bare_app, breakdown

    settings = Settings(database_url=db.url, secret_key=seed.SECRET, data_dir=db.data_dir, _env_file=None)
    ping = Request("GET", "/ping")
    starts = [Request("POST", f"/api/v1/rounds/{round_id}/attempts", {"Authorization": f"Bearer {t}"}) for t in fresh]
    saves = (saves * (2 * n // len(saves) + 1))[: 2 * n]  # a small trial has fewer distinct saves than 2 × n
    plans = {
        "bare": (lambda: bare_app.app, [ping] * 200, [ping] * n, [ping] * n),
        "save": (lambda: create_app(settings), saves[-200:], saves[:n], saves[n : 2 * n]),
    }
    if len(starts) >= 2 * n:
        # The warm-up saves load the members into the per-process cache, as a running server has them.
        plans["start"] = (lambda: create_app(settings), saves[-200:], starts[:n], starts[n : 2 * n])
    return {"iterations": n, **breakdown.measure_plans(plans)}


def bench_database(kind: str, args: argparse.Namespace, bare: Server, workdir: Path) -> dict:
    out: dict = {"kind": kind}
    if kind == "postgresql":
        reason = seed.pg_available()
        if reason:
            log(f"PostgreSQL unavailable, skipped: {reason}")
            return {"kind": kind, "skipped": reason}
        out["server_version"] = seed.pg_server_version()
    with tempfile.TemporaryDirectory(prefix=f"hoithi-bench-{kind}-") as tmp, seed.database(kind, Path(tmp)) as url:
        t0 = time.monotonic()
        db = seed.populate(kind, url, Path(tmp), members=args.members, extra_members=args.round_members + 2 * args.breakdown)
        round_tokens = db.tokens[db.members : db.members + args.round_members]
        round_id = prepare_round(db, questions=args.questions, draw=args.draw)
        log(f"{kind}: migrated, {len(db.tokens)} members, round {round_id} open, in {time.monotonic() - t0:.1f} s")
        with Server(
            f"app-{kind}", "app.main:app", workers=args.workers, env=db.server_env(), log_path=workdir / f"uvicorn-app-{kind}.log"
        ) as app:
            cpu = Cpu(app, db.pg_database)
            storm = flows.run_async(flows.start_storm(app.port, round_id, db.tokens[: db.members], concurrency=args.start_connections))
            storm.update(cpu.per_request(len(storm["started"]), wall_s=storm["wall_s"], client_cpu_s=storm["client_cpu_s"]))
            lat = storm["latency"]["start"]
            log(
                f"{kind}: start storm, {storm['members']} members: {storm['wall_s']:.1f} s, "
                f"{storm['starts_per_s']:.0f} starts/s, p50 {lat['p50_ms']:.0f} ms, p99 {lat['p99_ms']:.0f} ms, "
                f"errors {storm['errors']}, server CPU {storm['server_cpu_ms_per_req']:.1f} ms/start"
            )
            started = storm.pop("started")
            out["storm"] = storm
            if not started:
                raise RuntimeError(f"{kind}: no attempt started; see {app.log_path}")
            saves = save_requests(started, min(args.save_requests, len(started) * args.draw), random.Random(2))
            out["saves"] = bench_saves(app, bare, db, saves, args, workdir)
            if args.round_members:
                cpu = Cpu(app, db.pg_database)
                played = flows.run_async(
                    flows.play_round(app.port, round_id, round_tokens, concurrency=args.round_concurrency, reanswer_share=args.reanswer)
                )
                played.update(cpu.per_request(played["requests"], wall_s=played["wall_s"], client_cpu_s=played["client_cpu_s"]))
                c = flows.check_played(played, db.url, db.data_dir)
                log(
                    f"{kind}: whole round, {played['members']} members: {played['wall_s']:.1f} s, "
                    f"{played['requests']} requests ({played['requests_per_s']:.0f}/s), errors {played['errors']}; "
                    f"{c['acknowledged_saves']} saves acknowledged, lost {c['lost']} (missing {c['missing']}, "
                    f"differing {c['differing']}), not submitted {c['not_submitted']}"
                )
                out["round"] = played
        if args.breakdown:
            try:
                b = cpu_breakdown(db, round_id, saves, db.tokens[db.members + args.round_members :], args.breakdown)
            except Exception as exc:
                log(f"{kind}: in-process breakdown failed: {exc!r}")
                out["breakdown_error"] = repr(exc)[:300]
                return out
            log(
                f"{kind}: in-process, one thread, CPU per request: bare /ping {b['bare']['cpu_ms']:.2f} ms, "
                f"save {b['save']['cpu_ms']:.2f} ms" + (f", start {b['start']['cpu_ms']:.2f} ms" if "start" in b else "")
            )
            out["breakdown"] = b
    return out


def is_default(args: argparse.Namespace) -> bool:
    return args.db == "both" and all(getattr(args, k) == v for k, v in DEFAULTS.items())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    stamp = datetime.now(UTC)
    workdir = OUT / f"attempts-{stamp.strftime('%Y%m%dT%H%M%SZ')}"
    workdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    given = argv if argv is not None else sys.argv[1:]
    command = "python -m bench.attempts" + (" " + shlex.join(given) if given else "")
    results: dict = {"command": command, "started_at": stamp.isoformat(timespec="seconds"), "machine": machine_facts(), "args": vars(args)}
    log(f"{command}: databases {dbs}, client {results['machine']['client']}")
    t_start = time.monotonic()
    try:
        with Server("bare", "bench.bare_app:app", workers=args.workers, env={}, log_path=workdir / "uvicorn-bare.log") as bare:
            results["databases"] = [bench_database(kind, args, bare, workdir) for kind in dbs]
    finally:
        stop_all()
    results["elapsed_s"] = time.monotonic() - t_start
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"done in {results['elapsed_s']:.0f} s; raw results in {workdir.relative_to(ROOT)}/results.json")
    text = attempts_report.section(results)
    print(text)
    if (is_default(args) or args.write) and not args.no_write:
        path = report.write_section(attempts_report.HEADER, text)
        log(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
