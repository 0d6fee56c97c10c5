"""`python -m bench.journey`: the member's whole journey as a phone's browser makes it (issue 19).

1. journeys: a committee of --members members in --cells cells (child units), one published contest with one
   open round drawing 20 questions (bench.attempts.prepare_round). Each member arrives once with the login
   cookie already set, never seen by the server before, and goes through the pages as a browser does:
   GET / → GET /rounds/{id}/enter → POST /rounds/{id}/start (form, CSRF field; 303) → GET /attempts/{id} →
   20 taps as htmx sends them (POST /attempts/{id}/answer/{n}, HX-Request, the CSRF header), about 20% of
   the questions answered again with another choice → POST /attempts/{id}/prediction (htmx) →
   POST /attempts/{id}/submit (form; 303) → GET /attempts/{id}/result → the cell's board
   (GET /rounds/{id}/board?unit=<cell>) → the whole contest's board (GET /rounds/{id}/board).
   --concurrency members at once, no think time. Completed journeys per minute, errors, each step's latency,
   server CPU per journey; then the database is read and every acknowledged tap held against it.
2. pages: requests/s and p99 of the home page, the rules/start step, the quiz page (attempts in progress of
   other members, started over the API before the journeys) and the result page (the journeys' attempts),
   each warm (--warm-members members in turn, in every worker's member cache) and cold (members the worker
   has never seen: the app is restarted at the start of each round and every cold run goes round robin over
   a slice of members of its own, each asked once, after a warm-up on other members), plus cold
   GET /api/v1/me (Bearer) and the cold cell board page. Each run is paired with one of the bare endpoint
   (bench/bare_app.py) served the same way, the order swapped from pair to pair (as bench.standings does);
   ratio = the page's requests/s ÷ the bare endpoint's, the median of --rounds rounds. wrk when installed
   (Debian's package; `make bench` installs it), else bench/pyload.py.

Throw-away databases (bench/seed.py), SQLite and PostgreSQL by default. Prints the report; --write rewrites
the "Issue 19" section of bench/RESULTS.md. A quick trial, both databases in under 2 minutes (100-110 s on the
2-core machine with other work running):
`python -m bench.journey --members 150 --page-members 400 --cold-members 2400 --warm-members 50 --duration 1 --warmup 1
--rounds 1` (with fewer members than a run lasts, some cold members are asked twice: the report says so).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shlex
import signal
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench import attempts, flows, journey_report, report, seed
from bench.browser import Browser, Jar, Steps, csrf_of, htmx_headers, login_jar, questions_of
from bench.journey_pages import Who, page_runs, page_targets
from bench.run import OUT, log, machine_facts
from bench.servers import HOST, ROOT, Server, stop_all

CELL_PREFIX = "CD"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.journey", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    p.add_argument("--members", type=int, default=8292, help="members who each make the whole journey once (default 8292)")
    p.add_argument("--cells", type=int, default=40, help="cells (child units of the committee) holding the members (default 40)")
    p.add_argument("--concurrency", type=int, default=200, help="journeys in flight at once (default 200)")
    p.add_argument("--reanswer", type=float, default=0.2, help="share of questions answered again with another choice (default 0.2)")
    p.add_argument("--no-gzip", dest="gzip", action="store_false", help="do not ask for gzip (phones do; default: ask)")
    p.add_argument(
        "--page-members", type=int, default=4000, help="other members with an attempt in progress, for the quiz page runs (default 4000)"
    )
    p.add_argument(
        "--cold-members",
        type=int,
        default=50000,
        help="other members who never start, for the home, rules, /me and board runs (default 50000)",
    )
    p.add_argument("--warm-members", type=int, default=200, help="members in turn in a warm page run (default 200)")
    p.add_argument("--duration", type=int, default=5, help="seconds per measured page run (default 5)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each page run (default 2)")
    p.add_argument("--rounds", type=int, default=2, help="rounds of page runs; a ratio is the median of its rounds (default 2)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections in the page runs (default 32)")
    p.add_argument("--no-pages", dest="pages", action="store_false", help="only the journeys")
    p.add_argument("--write", action="store_true", help="rewrite the Issue 19 section of bench/RESULTS.md (default: print only)")
    return p.parse_args(argv)


# --- the committee ----------------------------------------------------------------------------------------
def populate_tree(kind: str, url: str, data_dir: Path, *, members: int, cells: int) -> tuple[seed.BenchDB, list[Who]]:
    """Migrate; one committee (code BENCH, as bench.attempts.prepare_round expects) with `cells` child units
    (path "/<committee>/<cell>/") and `members` members spread over the cells, sharing one password hash;
    their login tokens minted as app.services.org.auth.issue mints them."""
    from sqlmodel import select

    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import Member, Unit
    from app.security import create_token, hash_password
    from app.services import migrate
    from app.services.org.members import apply_derived

    settings = Settings(database_url=url, secret_key=seed.SECRET, data_dir=data_dir, _env_file=None)
    engine = make_engine(settings)
    try:
        migrate.upgrade(engine)
        pw_hash = hash_password(seed.PASSWORD)
        with session_scope(engine) as session:
            root = Unit(code="BENCH", name="Đoàn Thanh niên khối Đo tải", kind="Đoàn cơ sở", headcount=members)
            session.add(root)
            session.flush()
            root.path = f"/{root.id}/"
            cell_ids = []
            for c in range(1, cells + 1):
                cell = Unit(
                    code=f"{CELL_PREFIX}{c:03d}",
                    name=f"Chi đoàn Đo tải {c}",
                    kind="Chi đoàn",
                    parent_id=root.id,
                    depth=1,
                    headcount=members // cells + (c <= members % cells),
                )
                session.add(cell)
                session.flush()
                cell.path = f"{root.path}{cell.id}/"
                cell_ids.append(cell.id)
            rows = []
            for i in range(1, members + 1):
                m = Member(
                    full_name=f"Lê Văn Hành Trình {i}",
                    phone=f"09{i:08d}",
                    member_code=f"HT{i:06d}",
                    unit_id=cell_ids[(i - 1) % cells],
                    password_hash=pw_hash,
                )
                apply_derived(m)
                rows.append(m.model_dump(exclude={"id"}))
            for start in range(0, len(rows), 5000):
                session.execute(insert(Member), rows[start : start + 5000])
        with session_scope(engine, write=False) as session:
            found = session.exec(
                select(Member.id, Member.phone, Member.token_version, Unit.code).join(Unit, Unit.id == Member.unit_id).order_by(Member.id)
            ).all()
    finally:
        engine.dispose()
    tokens = [
        create_token(
            member_id=mid, token_version=tv, secret=seed.SECRET, audience=settings.jwt_audience, lifetime_s=settings.token_lifetime_s
        )
        for mid, _phone, tv, _code in found
    ]
    db = seed.BenchDB(kind=kind, url=url, data_dir=data_dir, usernames=[r[1] for r in found], tokens=tokens, members=members)
    return db, [Who(t, r[3]) for t, r in zip(tokens, found, strict=True)]


# --- 1. journeys -------------------------------------------------------------------------------------------
@dataclass
class Ledger:
    """Per (attempt, position) the taps in the order sent, each (options, acknowledged with 200)."""

    taps: dict[tuple[int, int], list[tuple[list[str], bool]]] = field(default_factory=lambda: defaultdict(list))
    predictions: dict[int, tuple[int, bool]] = field(default_factory=dict)
    submitted: dict[int, bool] = field(default_factory=dict)


class Journeys:
    def __init__(self, port: int, round_id: int, *, gzip: bool, reanswer: float) -> None:
        self.port, self.rid, self.gzip, self.reanswer = port, round_id, gzip, reanswer
        self.steps, self.ledger = Steps(), Ledger()
        self.completed: list[Who] = []
        self.durations: list[float] = []

    async def one(self, conn: Browser, who: Who, rng: random.Random) -> None:
        errors0 = self.steps.tally.error_count()
        t0 = time.perf_counter()
        if await self._journey(conn, who, rng) and self.steps.tally.error_count() == errors0:
            self.completed.append(who)
            self.durations.append(time.perf_counter() - t0)

    async def _journey(self, conn: Browser, who: Who, rng: random.Random) -> bool:
        jar, rid = login_jar(who.token), self.rid

        async def get(name: str, path: str, expect: int = 200):
            return await self.steps.call(conn, jar, name, "GET", path, expect=expect, gzip=self.gzip)

        await get("home", "/")
        rules = await get("rules", f"/rounds/{rid}/enter")
        csrf = csrf_of(rules.text) if rules else None
        if rules and (not csrf or f'action="/rounds/{rid}/start"' not in rules.text):
            self.steps.failed("rules", "no start form", rules)
            return False
        if not csrf:
            return False
        started = await self.steps.call(
            conn, jar, "start", "POST", f"/rounds/{rid}/start", expect=303, gzip=self.gzip, fields=[("csrf_token", csrf)]
        )
        if not started or not started.location.startswith("/attempts/"):
            return False
        quiz_path = started.location
        aid = who.attempt_id = int(quiz_path.rsplit("/", 1)[1])
        self.ledger.submitted[aid] = False
        quiz = await get("quiz", quiz_path)
        if quiz is None:
            return False
        html = quiz.text
        questions, csrf = questions_of(html), csrf_of(html) or csrf
        if len(questions) == 0 or f'hx-post="/attempts/{aid}/prediction"' not in html:
            self.steps.failed("quiz", f"{len(questions)} questions found on the page", quiz)
            return False
        await self._taps(conn, jar, aid, questions, csrf, rng)
        value = rng.randint(0, 2000)
        saved = await self.steps.call(
            conn,
            jar,
            "prediction",
            "POST",
            f"/attempts/{aid}/prediction",
            expect=200,
            gzip=self.gzip,
            fields=[("prediction", str(value))],
            htmx=htmx_headers(csrf, f"http://{HOST}:{self.port}{quiz_path}", "saved-prediction", "prediction"),
        )
        self.ledger.predictions[aid] = (value, saved is not None)
        # "Xem lại và nộp bài" → the review form's plain POST (or the countdown's at 0:00)
        done = await self.steps.call(
            conn, jar, "submit", "POST", f"/attempts/{aid}/submit", expect=303, gzip=self.gzip, fields=[("csrf_token", csrf)]
        )
        if done is None:
            return False
        self.ledger.submitted[aid] = True
        await get("result", done.location or f"/attempts/{aid}/result")
        await get("cell_board", f"/rounds/{rid}/board?unit={who.cell}")
        await get("union_board", f"/rounds/{rid}/board")
        return True

    async def _taps(self, conn: Browser, jar: Jar, aid: int, questions: list, csrf: str, rng: random.Random) -> None:
        kinds = {pos: kind for pos, kind, _opts in questions}
        url = f"http://{HOST}:{self.port}/attempts/{aid}"
        for pos, pick in flows.plan_answers(flows.Started("", aid, questions), rng, self.reanswer):
            # hx-params="q<n>": the question's own fields; a checkbox question carries its empty hidden field too
            fields = ([(f"q{pos}", "")] if kinds[pos] == "multiple" else []) + [(f"q{pos}", o) for o in pick]
            page = await self.steps.call(
                conn,
                jar,
                "tap",
                "POST",
                f"/attempts/{aid}/answer/{pos}",
                expect=200,
                gzip=self.gzip,
                fields=fields,
                htmx=htmx_headers(csrf, url, f"saved-{pos}", f"q{pos}"),
            )
            self.ledger.taps[(aid, pos)].append((pick, page is not None))


async def run_journeys(port: int, round_id: int, members: list[Who], *, concurrency: int, gzip: bool, reanswer: float) -> dict:
    j = Journeys(port, round_id, gzip=gzip, reanswer=reanswer)
    todo = iter(enumerate(members))

    async def client() -> None:
        conn = Browser(port)
        try:
            for i, who in todo:
                await j.one(conn, who, random.Random(f"journey:{i}"))
        finally:
            conn.close()

    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(max(1, min(concurrency, len(members))))))
    wall = time.perf_counter() - t0
    lat = j.steps.tally.summary()
    done = len(j.completed)
    ms = sorted(x * 1000 for x in j.durations)
    return {
        "members": len(members),
        "concurrency": concurrency,
        "wall_s": wall,
        "completed": done,
        "journeys_per_min": done * 60 / wall if wall else 0.0,
        "requests": sum(s["count"] for s in lat.values()),
        "errors": j.steps.tally.error_count(),
        "error_samples": j.steps.samples,
        "latency": {k: lat[k] for k in journey_report.STEPS if k in lat},
        "journey_s": {"p50": flows._pct(ms, 50) / 1000, "p99": flows._pct(ms, 99) / 1000, "max": ms[-1] / 1000 if ms else 0.0},
        "client_cpu_s": time.process_time() - cpu0,
        "ledger": j.ledger,
    }


def check_journeys(ledger: Ledger, url: str, data_dir: Path) -> dict:
    """Every tap answered 200 held against the answer rows: lost = missing (no row) + differing (the row holds
    another choice than the last acknowledged tap at that position; a later tap that failed on our side but
    may have been written is counted apart). Option ids are compared as sets. Then predictions and submits."""
    from sqlmodel import Session, col, select

    from app.models import Answer, Attempt

    ids = sorted(ledger.submitted)
    rows: dict[tuple[int, int], list[str]] = {}
    status: dict[int, tuple[str, int | None]] = {}
    engine = flows.engine_for(url, data_dir)
    try:
        with Session(engine) as session:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                for a in session.exec(select(Answer).where(col(Answer.attempt_id).in_(chunk))):
                    rows[(a.attempt_id, a.position)] = sorted(a.option_ids)
                for aid, st, pred in session.exec(select(Attempt.id, Attempt.status, Attempt.prediction).where(col(Attempt.id).in_(chunk))):
                    status[aid] = (st, pred)
    finally:
        engine.dispose()
    missing = differing = overwritten = acknowledged = 0
    for key, sends in ledger.taps.items():
        acked = [i for i, (_o, ok) in enumerate(sends) if ok]
        acknowledged += len(acked)
        if not acked:
            continue
        row = rows.get(key)
        if row is None:
            missing += 1
        elif row != sorted(sends[acked[-1]][0]):
            if any(sorted(o) == row for o, ok in sends[acked[-1] + 1 :] if not ok):
                overwritten += 1
            else:
                differing += 1
    return {
        "attempts": len(ids),
        "acknowledged_taps": acknowledged,
        "positions": sum(1 for s in ledger.taps.values() if any(ok for _o, ok in s)),
        "missing": missing,
        "differing": differing,
        "lost": missing + differing,
        "overwritten_unacknowledged": overwritten,
        "predictions_lost": sum(1 for aid, (v, ok) in ledger.predictions.items() if ok and status.get(aid, ("", None))[1] != v),
        "not_submitted": sum(1 for aid in ids if status.get(aid, ("", None))[0] != "submitted"),
        "submit_not_acknowledged": sum(1 for ok in ledger.submitted.values() if not ok),
    }


# --- one database ------------------------------------------------------------------------------------------
def bench_database(kind: str, args: argparse.Namespace, bare: Server, workdir: Path) -> dict:
    out: dict = {"kind": kind}
    if kind == "postgresql":
        if reason := seed.pg_available():
            log(f"PostgreSQL unavailable, skipped: {reason}")
            return {"kind": kind, "skipped": reason}
        out["server_version"] = seed.pg_server_version()
    total = args.members + (args.page_members + args.cold_members if args.pages else 0)
    with tempfile.TemporaryDirectory(prefix=f"hoithi-journey-{kind}-") as tmp, seed.database(kind, Path(tmp)) as url:
        t0 = time.monotonic()
        db, everyone = populate_tree(kind, url, Path(tmp), members=total, cells=args.cells)
        rid = attempts.prepare_round(db)
        journeyers = everyone[: args.members]
        in_progress = everyone[args.members : args.members + args.page_members] if args.pages else []
        never = everyone[args.members + args.page_members :] if args.pages else []
        out["seed_s"] = time.monotonic() - t0
        log(f"{kind}: {total} members in {args.cells} cells, round {rid} open, in {out['seed_s']:.1f} s")
        app = Server(f"app-{kind}", "app.main:app", workers=args.workers, env=db.server_env(), log_path=workdir / f"uvicorn-{kind}.log")
        app.start()
        try:
            if in_progress:  # attempts in progress for the quiz page runs, started over the API before the journeys
                storm = flows.run_async(flows.start_storm(app.port, rid, [w.token for w in in_progress], concurrency=32))
                ids = {s.token: s.attempt_id for s in storm["started"]}
                in_progress = [w for w in in_progress if w.token in ids]
                for w in in_progress:
                    w.attempt_id = ids[w.token]
                log(
                    f"{kind}: {len(in_progress)} attempts in progress for the quiz page runs ({storm['wall_s']:.0f} s, "
                    f"{storm['errors']} errors)"
                )
            cpu = attempts.Cpu(app, db.pg_database)
            played = flows.run_async(
                run_journeys(app.port, rid, journeyers, concurrency=args.concurrency, gzip=args.gzip, reanswer=args.reanswer)
            )
            c = cpu.per_request(played["completed"], wall_s=played["wall_s"], client_cpu_s=played["client_cpu_s"])
            played.update({k.replace("_per_req", "_per_journey"): v for k, v in c.items()})
            ledger = played.pop("ledger")
            played["check"] = check_journeys(ledger, db.url, db.data_dir)
            out["journeys"] = played
            log(journey_report.journey_line(kind, played))
            if args.pages:
                journeyed = [w for w in journeyers if ledger.submitted.get(w.attempt_id or 0)]  # their result pages
                targets = page_targets(rid, journeyed, in_progress, never, args.warm_members)
                out["pages"], app = page_runs(kind, db, app, bare, targets, args, workdir)
        finally:
            app.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    stamp = datetime.now(UTC)
    workdir = OUT / f"journey-{stamp.strftime('%Y%m%dT%H%M%SZ')}"
    workdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    given = argv if argv is not None else sys.argv[1:]
    command = "python -m bench.journey" + (" " + shlex.join(given) if given else "")
    results: dict = {"command": command, "started_at": stamp.isoformat(timespec="seconds"), "machine": machine_facts(), "args": vars(args)}
    log(f"{command}: databases {dbs}, client {results['machine']['client']}")
    t0 = time.monotonic()
    try:
        with Server("bare", "bench.bare_app:app", workers=args.workers, env={}, log_path=workdir / "uvicorn-bare.log") as bare:
            results["databases"] = [bench_database(kind, args, bare, workdir) for kind in dbs]
    finally:
        stop_all()
    results["elapsed_s"] = time.monotonic() - t0
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"done in {results['elapsed_s']:.0f} s; raw results in {workdir.relative_to(ROOT)}/results.json")
    text = journey_report.section(results)
    print(text)
    if args.write:
        path = report.write_section(journey_report.HEADER, text)
        log(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
