"""`python -m bench.standings`: closing and ranking a big round, and reading the boards (issue 5).

1. close: a union of 100,000 members in 1,000 cells (20 grassroots units of 50 cells), 200,000 submitted
   attempts in one round (two per member, scores spread 0-20, predictions, durations); the time of
   app.services.results.closing.close_round (official counts, prediction truth, member standings, unit standings,
   contest standings), run in-process on a throw-away SQLite file and PostgreSQL database.
2. read: GET /api/v1/rounds/{id}/standings (the whole union and one cell's board, 50 rows) and the
   leaderboard page GET /rounds/{id}/board, against the bare FastAPI endpoint of bench.bare_app served
   the same way in the same run, interleaved (wrk, round robin over many members' tokens).
3. big close: the same close with 1,000,000 attempts (ten per member) on PostgreSQL.

Writes the "Issue 5" section of bench/RESULTS.md after a full run (or with --write). --close-only times the
closes alone (parts 1 and 3) and prints their table.
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

from sqlalchemy import insert, text

from bench import measure, report, seed
from bench.load import Request
from bench.run import OUT, log, machine_facts, summary_line
from bench.servers import Server, stop_all

HEADER = "## Issue 5 — closing a round and reading the boards"
COLD = 60_000  # more members than a page run serves in its 10 s: each asks once, as most members do
COLD_WARMUP = 20_000  # other members, for the cold run's warm-up


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.standings", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--cells", type=int, default=1_000)
    p.add_argument("--attempts-per-member", type=int, default=2)
    p.add_argument("--big-attempts-per-member", type=int, default=10, help="PostgreSQL big close (0 = skip)")
    p.add_argument("--duration", type=int, default=10)
    # long enough for both workers to have seen each of the 500 members once (their login snapshot and rank
    # card), so that the measured run is the steady state of members looking again; the cold run is the rest
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--write", action="store_true")
    p.add_argument("--close-only", action="store_true", help="time the closes only: no servers, no board runs, RESULTS.md untouched")
    args = p.parse_args(argv)
    if args.close_only and args.write:
        p.error("--write needs the board runs: the section is written whole")
    return args


def populate(url: str, data_dir: Path, *, members: int, cells: int) -> dict:
    """Units, members (one shared password hash), a published contest with one round open now."""
    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import Contest, Member, Round, Unit
    from app.security import hash_password
    from app.services import migrate
    from app.services.org.members import apply_derived

    settings = Settings(database_url=url, secret_key=seed.SECRET, data_dir=data_dir, _env_file=None)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    branches = 20
    per_branch = max(1, cells // branches)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        root = Unit(code="TINH", name="Đảng bộ Tỉnh Đo Tải", kind="Đảng bộ", headcount=members, path="/")
        s.add(root)
        s.flush()
        root.path = f"/{root.id}/"
        cell_units = []
        for b in range(branches):
            branch = Unit(
                code=f"DB{b:02d}",
                name=f"Đảng bộ cơ sở {b + 1}",
                kind="Đảng bộ cơ sở",
                parent_id=root.id,
                headcount=members // branches,
                depth=1,
                path="/",
            )
            s.add(branch)
            s.flush()
            branch.path = f"{root.path}{branch.id}/"
            for c in range(per_branch):
                cell = Unit(
                    code=f"CB{b:02d}{c:03d}",
                    name=f"Chi bộ {c + 1} – ĐBCS {b + 1}",
                    kind="Chi bộ",
                    parent_id=branch.id,
                    headcount=max(1, members // (branches * per_branch)),
                    depth=2,
                    path="/",
                )
                s.add(cell)
                s.flush()
                cell.path = f"{branch.path}{cell.id}/"
                cell_units.append(cell)
        pw = hash_password(seed.PASSWORD)
        rows = []
        for i in range(members):
            m = Member(
                full_name=f"Trần Thị Xếp Hạng {i + 1}",
                phone=f"08{i:08d}",
                member_code=f"XH{i:07d}",
                unit_id=cell_units[i % len(cell_units)].id,
                password_hash=pw,
            )
            apply_derived(m)
            rows.append(m.model_dump(exclude={"id"}))
        for start in range(0, len(rows), 5000):
            s.execute(insert(Member), rows[start : start + 5000])
        contest = Contest(title="Tìm hiểu Nghị quyết (đo tải)", scope_unit_id=root.id, status="published", slug="dotai01", published_at=now)
        s.add(contest)
        s.flush()
        round_ = Round(
            contest_id=contest.id,
            position=1,
            title="Tuần 1",
            opens_at=now - timedelta(days=6),
            closes_at=now + timedelta(days=1),
            prediction_kind="perfect_scorers",
            results_visibility="immediate",
        )
        s.add(round_)
        s.flush()
        ids = {"round": round_.id, "contest": contest.id, "cell": cell_units[0].code, "root_id": root.id}
    engine.dispose()
    return ids


def add_attempts(url: str, round_id: int, per_member: int) -> float:
    """Submitted attempts for every member, generated inside the database (deterministic pseudo-random
    scores 0-20 of 20 questions, durations 60-900 s, predictions): seconds taken."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    t0 = time.monotonic()
    if url.startswith("sqlite"):
        series = f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {per_member}) "
        started = "datetime('now', '-3 days', '+' || ((m.id * 13 + g.n * 7) % 200000) || ' seconds')"
        submitted = "datetime('now', '-3 days', '+' || ((m.id * 13 + g.n * 7) % 200000 + 60 + (m.id * 31 + g.n) % 840) || ' seconds')"
        deadline = "datetime('now', '-2 days')"
        source = "member m CROSS JOIN g"
    else:
        series = ""
        started = "now() - interval '3 days' + ((m.id * 13 + g.n * 7) % 200000) * interval '1 second'"
        submitted = f"{started} + (60 + (m.id * 31 + g.n) % 840) * interval '1 second'"
        deadline = "now() - interval '2 days'"
        source = f"member m CROSS JOIN generate_series(1, {per_member}) AS g(n)"
    score = "CASE WHEN (m.id * 7 + g.n * 3) % 50 = 0 THEN 20 ELSE (m.id * 7919 + g.n * 104729) % 20 END"
    sql = (
        f"{series}INSERT INTO attempt (round_id, member_id, unit_id, number, status, seed, started_at, deadline_at, "
        "submitted_at, score, correct_count, duration_ms, prediction, question_count, disqualify_reason) "
        f"SELECT {round_id}, m.id, m.unit_id, g.n, 'submitted', 'bench', {started}, {deadline}, {submitted}, "
        f"{score}, {score}, (60 + (m.id * 31 + g.n) % 840) * 1000, (m.id * 17) % 5000, 20, '' FROM {source}"
    )
    from app.services.results import tally

    with engine.begin() as conn:
        conn.execute(text(sql))
        tally.rebuild(conn)  # plain SQL passes by the listeners that keep the stored turnout counts
    engine.dispose()
    return time.monotonic() - t0


def close_round(url: str, data_dir: Path, round_id: int) -> dict:
    """Close the round in-process, timed by part."""
    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import Round
    from app.services.results import closing, ranking

    settings = Settings(database_url=url, secret_key=seed.SECRET, data_dir=data_dir, _env_file=None)
    engine = make_engine(settings)
    timings: dict[str, float] = {}
    original = {name: getattr(ranking, name) for name in ("official_counts", "build_round", "build_units", "build_contest")}

    def timed(name):
        def run(*a, **k):
            t = time.monotonic()
            try:
                return original[name](*a, **k)
            finally:
                timings[name] = timings.get(name, 0.0) + time.monotonic() - t

        return run

    for name in original:
        setattr(ranking, name, timed(name))
    try:
        t0 = time.monotonic()
        with session_scope(engine) as s:  # the sweep's path: the round's closing time has come
            closes_at = s.get(Round, round_id).closes_at
            assert closing.close_due(session=s, now=closes_at + timedelta(seconds=1)) == 1
        timings["total"] = time.monotonic() - t0
        with session_scope(engine, write=False) as s:
            closed = s.get(Round, round_id)
            totals, truth = dict(closed.totals), closed.prediction_truth
    finally:
        for name, fn in original.items():
            setattr(ranking, name, fn)
        engine.dispose()
    timings["build_round_only"] = timings.get("build_round", 0.0) - timings.get("build_units", 0.0)
    return {"seconds": timings, "totals": totals, "truth": truth}


def read_runs(
    kind: str, url: str, data_dir: Path, ids: dict, args: argparse.Namespace, bare: Server, workdir: Path, db_name: str | None
) -> list[dict]:
    """The boards of the closed round against the bare endpoint, interleaved."""
    from sqlmodel import select

    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import Member
    from app.security import create_token

    settings = Settings(database_url=url, secret_key=seed.SECRET, data_dir=data_dir, _env_file=None)
    engine = make_engine(settings)
    with session_scope(engine, write=False) as s:
        rows = s.exec(select(Member.id, Member.token_version).order_by(Member.id).limit(500)).all()
        # members who look once: none of them seen in the warm-up, which other members (COLD_WARMUP) spend
        # filling what is shared by units (their links, counts and names), as the first minutes after a close do
        cold = s.exec(select(Member.id, Member.token_version).order_by(Member.id).offset(500).limit(COLD)).all()
        cold_warmup = s.exec(select(Member.id, Member.token_version).order_by(Member.id).offset(500 + COLD).limit(COLD_WARMUP)).all()
    engine.dispose()

    def minted(members: list) -> list[str]:
        return [
            create_token(
                member_id=mid, token_version=tv, secret=seed.SECRET, audience=settings.jwt_audience, lifetime_s=settings.token_lifetime_s
            )
            for mid, tv in members
        ]

    tokens, cold_tokens, cold_warmup_tokens = minted(rows), minted(cold), minted(cold_warmup)
    env = {
        **seed.BenchDB(kind=kind, url=url, data_dir=data_dir, usernames=[], tokens=[], members=0).server_env(),
        "HOITHI_SWEEP_EVERY_S": "0",
    }
    rid = ids["round"]

    def pages(members: list[str], *, csrf: bool = True, **headers: str) -> list[Request]:
        """The round board as browsers ask: a browser sends back the CSRF seed cookie its first page set (csrf),
        a member's first visit has only the login cookie."""
        return [
            Request(
                "GET",
                f"/rounds/{rid}/board",
                {"Cookie": f"hoithi_token={t}" + (f"; __Host-hoithi_csrf=seed{i:06d}" if csrf else ""), **headers},
            )
            for i, t in enumerate(members)
        ]

    def api(path: str) -> list[Request]:
        return [Request("GET", path, {"Authorization": f"Bearer {t}"}) for t in tokens]

    cold_label = f"page, cold: {COLD:,} members in turn"
    targets = {
        "API: whole union, 50 rows": api(f"/api/v1/rounds/{rid}/standings?limit=50"),
        "API: one cell's board": api(f"/api/v1/rounds/{rid}/standings?unit_code={ids['cell']}&limit=50"),
        "API: unit standings": api(f"/api/v1/rounds/{rid}/unit-standings"),
        "page: /rounds/{id}/board": pages(tokens),
        "page, gzip (as phones ask)": pages(tokens, **{"Accept-Encoding": "gzip"}),
        cold_label: pages(cold_tokens, csrf=False),
    }
    warmups = {cold_label: pages(cold_warmup_tokens, csrf=False)}
    bare_reqs = [Request("GET", "/ping", {"Authorization": f"Bearer {t}"}) for t in tokens]
    out = []
    with Server(f"app-{kind}", "app.main:app", workers=args.workers, env=env, log_path=workdir / f"uvicorn-standings-{kind}.log") as app:
        for i, (label, reqs) in enumerate(targets.items()):
            try:
                measure.check(app, reqs[0])
            except Exception as exc:
                log(f"{kind}: {label}: not measured ({exc})")
                out.append({"label": label, "skipped": str(exc)[:200]})
                continue
            (pair,) = measure.against_bare(
                app,
                reqs,
                bare,
                bare_reqs,
                name="app",
                rounds=1,
                first=i,
                connections=args.connections,
                duration_s=args.duration,
                warmup_s=args.warmup,
                workdir=workdir,
                label=f"{kind}-{i}",
                pg_database=db_name,
                app_warmup=warmups.get(label),
                log=lambda _n, which, r, label=label: log(f"{kind}: {label:28s} {which:4s} {summary_line(r)}"),
            )
            out.append({"label": label, **pair})
    return out


def bench_database(kind: str, args: argparse.Namespace, bare: Server | None, workdir: Path) -> dict:
    if kind == "postgresql" and (reason := seed.pg_available()):
        return {"kind": kind, "skipped": reason}
    out: dict = {"kind": kind}
    with tempfile.TemporaryDirectory(prefix=f"hoithi-standings-{kind}-") as tmp, seed.database(kind, Path(tmp)) as url:
        t0 = time.monotonic()
        ids = populate(url, Path(tmp), members=args.members, cells=args.cells)
        out["seed_s"] = time.monotonic() - t0
        out["attempts_s"] = add_attempts(url, ids["round"], args.attempts_per_member)
        log(
            f"{kind}: {args.members} members in {args.cells} cells ({out['seed_s']:.0f} s), "
            f"{args.members * args.attempts_per_member} attempts ({out['attempts_s']:.0f} s)"
        )
        out["close"] = close_round(url, Path(tmp), ids["round"])
        log(
            f"{kind}: close {json.dumps({k: round(v, 2) for k, v in out['close']['seconds'].items()})}, "
            f"totals {out['close']['totals']}, truth {out['close']['truth']}"
        )
        db_name = url.rsplit("/", 1)[-1] if kind == "postgresql" else None
        if bare is not None:
            out["reads"] = read_runs(kind, url, Path(tmp), ids, args, bare, workdir, db_name)
    if kind == "postgresql" and args.big_attempts_per_member:
        with tempfile.TemporaryDirectory(prefix="hoithi-standings-big-") as tmp, seed.database(kind, Path(tmp)) as url:
            ids = populate(url, Path(tmp), members=args.members, cells=args.cells)
            out["big_attempts_s"] = add_attempts(url, ids["round"], args.big_attempts_per_member)
            out["big_close"] = close_round(url, Path(tmp), ids["round"])
            log(
                f"{kind}: big close ({args.members * args.big_attempts_per_member} attempts) "
                f"{json.dumps({k: round(v, 2) for k, v in out['big_close']['seconds'].items()})}"
            )
    return out


def _row(label: str, r: dict, ratio: str = "") -> str:
    errs = sum(r["errors"].values()) if isinstance(r["errors"], dict) else r["errors"]
    return (
        f"| {label} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r.get('p99_ms', 0):.1f} | {errs} | {r['server_cpu_ms_per_req']:.2f} | {ratio} |"
    )


def section(results: dict) -> str:
    lines = [
        f"Command: `{results['command']}` (in `make bench`), started {results['started_at']}, took "
        f"{results['elapsed_s']:.0f} s. Code: {report._git_rev()}.",
        "",
        report.machine_line(results),
        "",
        f"Data: {results['args']['members']:,} members in {results['args']['cells']:,} cells (20 grassroots "
        f"units of 50 cells under one union), {results['args']['attempts_per_member']} submitted attempts "
        "per member in one round, made in the database (scores 0-20, one attempt in 50 perfect). "
        "The close is app.services.results.closing.close_due at the round's closing time, in-process: official "
        "counts and prediction truth, member standings (one INSERT … SELECT with window functions), unit "
        "standings for all 1,021 units, contest standings.",
        "",
        "### Close",
        "",
        "| database | attempts | close total s | counts s | member standings s | unit standings s "
        "| contest standings s | participants | perfect scorers | truth |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for db in results["databases"]:
        if "skipped" in db:
            lines.append(f"| {db['kind']} | skipped: {db['skipped']} |")
            continue
        for key, n in (("close", results["args"]["attempts_per_member"]), ("big_close", results["args"]["big_attempts_per_member"])):
            if key not in db:
                continue
            c = db[key]
            t = c["seconds"]
            lines.append(
                f"| {db['kind']} | {results['args']['members'] * n:,} | **{t['total']:.1f}** | "
                f"{t.get('official_counts', 0):.2f} | {t.get('build_round_only', 0):.2f} | "
                f"{t.get('build_units', 0):.2f} | {t.get('build_contest', 0):.2f} | "
                f"{c['totals']['participants']:,} | {c['totals']['perfect_scorers']:,} | {c['truth']:,} |"
            )
    if results["args"].get("close_only"):
        return "\n".join(lines) + "\n"
    lines += [
        "",
        f"### Reading the boards of the closed round ({results['args']['connections']} connections, "
        f"{results['args']['duration']} s per run, {results['args']['workers']} uvicorn workers, each on its own "
        "SO_REUSEPORT socket)",
        "",
        f"Each run follows {results['args']['warmup']} s of warm-up with the same requests. Requests go round "
        "robin over 500 members' tokens, so each member asks again within a fraction of a second (their login "
        "snapshot and rank card stay in the worker's cache), and page requests carry the CSRF seed cookie a "
        "browser got with its first page; the gzip run also asks for gzip, as phones do (wrk does not by "
        f"default). The cold page run is the exception: {COLD:,} other members in turn, each asking once "
        "with no cookie but the login, so every login snapshot and rank card is read from the database (what "
        "a page view costs when most members look once); its warm-up is spent on yet other members, so what "
        "is shared by a unit (the unit's links, counts and name) is in the cache, as it is after the first "
        "minutes of a close.",
        "",
        "| run | req/s | p50 ms | p99 ms | errors | server CPU ms/req | app : bare |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for db in results["databases"]:
        for pair in db.get("reads", []):
            if "skipped" in pair:
                lines.append(f"| {db['kind']}: {pair['label']} | not measured: {pair['skipped']} | | | | | |")
                continue
            lines.append(_row(f"{db['kind']}: bare /ping", pair["bare"]))
            lines.append(_row(f"{db['kind']}: {pair['label']}", pair["app"], f"**{pair['ratio']:.2f}**"))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    stamp = datetime.now(UTC)
    workdir = OUT / f"standings-{stamp.strftime('%Y%m%dT%H%M%SZ')}"
    workdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    command = "python -m bench.standings" + ("" if not (argv or sys.argv[1:]) else " " + shlex.join(argv or sys.argv[1:]))
    results: dict = {"command": command, "started_at": stamp.isoformat(timespec="seconds"), "machine": machine_facts(), "args": vars(args)}
    random.seed(1)
    t0 = time.monotonic()
    try:
        if args.close_only:
            results["databases"] = [bench_database(kind, args, None, workdir) for kind in dbs]
        else:
            with Server("bare", "bench.bare_app:app", workers=args.workers, env={}, log_path=workdir / "uvicorn-bare.log") as bare:
                results["databases"] = [bench_database(kind, args, bare, workdir) for kind in dbs]
    finally:
        stop_all()
    results["elapsed_s"] = time.monotonic() - t0
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    text_ = section(results)
    print(text_)
    full = args.db == "both" and args.members == 100_000 and not args.close_only
    if full or args.write:
        report.write_section(HEADER, HEADER + "\n\n" + text_)
        log("wrote bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
