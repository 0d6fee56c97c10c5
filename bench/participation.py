"""`python -m bench.participation`: who has not taken part, for a whole union and for one cell (issue 17).

A union of 100,000 members in 1,000 cells (bench.standings' tree) with a round open now, in which three
members in five have handed in an attempt. Measured against the bare endpoint of bench.bare_app served the
same way in the same run (wrk or the Python client, interleaved): GET /api/v1/rounds/{id}/participation as the
union's organiser and as a cell secretary, and the page /rounds/{id}/participation for both. Also the
uncached cost of the figures (the stored per-unit counts of the union and the first page of who has not
taken part, in-process), which a worker pays at most once per board-cache lifetime.

Writes the "Issue 17 — participation" section of bench/RESULTS.md after a full run (or with --write).
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench import measure, report, seed
from bench.load import Request
from bench.run import OUT, log, machine_facts, summary_line
from bench.servers import Server, stop_all
from bench.standings import add_attempts, populate

HEADER = "## Issue 17 — participation (who has not taken part)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.participation", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--cells", type=int, default=1_000)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--only", help="measure only the runs whose label contains this text")
    p.add_argument("--env", action="append", default=[], help="NAME=VALUE for the app's servers (e.g. HOITHI_BOARD_CACHE_S=60)")
    p.add_argument("--write", action="store_true")
    return p.parse_args(argv)


def prepare(url: str, data_dir: Path, ids: dict) -> dict:
    """Three members in five hand in; the first member organises the union, the second the first cell.
    Returns their tokens and the uncached cost of the union's figures."""
    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import Member, MemberRole, Unit
    from app.security import create_token
    from app.services.org.access import actor_for
    from app.services.results import participation, tally

    settings = Settings(database_url=url, secret_key=seed.SECRET, data_dir=data_dir, _env_file=None)
    engine = make_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM attempt WHERE member_id % 5 IN (0, 1)"))
        tally.rebuild(conn)  # plain SQL passes by the listeners that keep the stored turnout counts
    with session_scope(engine) as s:
        cell = s.query(Unit).filter(Unit.code == ids["cell"]).one()
        union_head = s.query(Member).order_by(Member.id).first()
        secretary = s.query(Member).filter(Member.unit_id == cell.id).order_by(Member.id).first()
        assert union_head is not None and secretary is not None
        s.add(MemberRole(member_id=union_head.id, role="organiser", unit_id=ids["root_id"]))
        s.add(MemberRole(member_id=secretary.id, role="organiser", unit_id=cell.id))
        s.flush()
        tokens = {
            who: create_token(
                member_id=m.id, token_version=m.token_version, secret=seed.SECRET, audience=settings.jwt_audience, lifetime_s=3600
            )
            for who, m in (("union", union_head), ("cell", secretary))
        }
        head_id = union_head.id
    timings = []
    with session_scope(engine, write=False) as s:
        head = actor_for(session=s, member=s.get(Member, head_id))
        for _ in range(3):
            t0 = time.perf_counter()
            seen = participation.turnout(session=s, actor=head, round_id=ids["round"])
            participation.missing(session=s, actor=head, round_id=ids["round"], limit=50)
            timings.append((time.perf_counter() - t0) * 1000)
        figures = {"members": seen.unit.members, "participants": seen.unit.participants, "missing": seen.unit.missing}
    engine.dispose()
    return {"tokens": tokens, "uncached_ms": min(timings), "figures": figures}


def read_runs(
    kind: str, url: str, data_dir: Path, ids: dict, prep: dict, args: argparse.Namespace, bare: Server, workdir: Path
) -> list[dict]:
    env = {
        **seed.BenchDB(kind=kind, url=url, data_dir=data_dir, usernames=[], tokens=[], members=0).server_env(),
        "HOITHI_SWEEP_EVERY_S": "0",
    }
    rid, tokens = ids["round"], prep["tokens"]

    def api(who: str) -> list[Request]:
        return [Request("GET", f"/api/v1/rounds/{rid}/participation", {"Authorization": f"Bearer {tokens[who]}"})]

    def page(who: str) -> list[Request]:
        cookie = f"hoithi_token={tokens[who]}; __Host-hoithi_csrf=seed000001"
        return [Request("GET", f"/rounds/{rid}/participation", {"Cookie": cookie, "Accept-Encoding": "gzip"})]

    targets = {
        "API: whole union": api("union"),
        "API: one cell": api("cell"),
        "page: whole union": page("union"),
        "page: one cell": page("cell"),
    }
    if args.only:
        targets = {k: v for k, v in targets.items() if args.only in k}
    env.update(dict(e.split("=", 1) for e in args.env))
    bare_reqs = [Request("GET", "/ping", {"Authorization": f"Bearer {tokens['union']}"})]
    out = []
    db_name = url.rsplit("/", 1)[-1] if kind == "postgresql" else None
    with Server(
        f"app-{kind}", "app.main:app", workers=args.workers, env=env, log_path=workdir / f"uvicorn-participation-{kind}.log"
    ) as app:
        for i, (label, reqs) in enumerate(targets.items()):
            measure.check(app, reqs[0])
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
                label=f"participation-{kind}-{i}",
                pg_database=db_name,
                log=lambda _n, which, r, label=label: log(f"{kind}: {label:20s} {which:4s} {summary_line(r)}"),
            )
            out.append({"label": label, **pair})
    return out


def bench_database(kind: str, args: argparse.Namespace, bare: Server, workdir: Path) -> dict:
    if kind == "postgresql" and (reason := seed.pg_available()):
        return {"kind": kind, "skipped": reason}
    out: dict = {"kind": kind}
    with tempfile.TemporaryDirectory(prefix=f"hoithi-participation-{kind}-") as tmp, seed.database(kind, Path(tmp)) as url:
        ids = populate(url, Path(tmp), members=args.members, cells=args.cells)
        add_attempts(url, ids["round"], 1)
        prep = prepare(url, Path(tmp), ids)
        out["uncached_ms"], out["figures"] = prep["uncached_ms"], prep["figures"]
        log(f"{kind}: figures {prep['figures']}, uncached union figures + first page {prep['uncached_ms']:.0f} ms")
        out["reads"] = read_runs(kind, url, Path(tmp), ids, prep, args, bare, workdir)
    return out


def _row(label: str, r: dict, ratio: str = "") -> str:
    errs = sum(r["errors"].values()) if isinstance(r["errors"], dict) else r["errors"]
    return (
        f"| {label} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r.get('p99_ms', 0):.1f} | {errs} | {r['server_cpu_ms_per_req']:.2f} | {ratio} |"
    )


def section(results: dict) -> str:
    a = results["args"]
    lines = [
        f"Command: `{results['command']}` (in `make bench`), started {results['started_at']}, took "
        f"{results['elapsed_s']:.0f} s. Code: {report._git_rev()}.",
        "",
        report.machine_line(results),
        "",
        f"Data: {a['members']:,} members in {a['cells']:,} cells (bench.standings' tree), one round open now in which "
        "three members in five have handed in. Each run: one organiser asking again and again (the union's, or a "
        f"cell secretary's), {a['connections']} connections, {a['duration']} s after {a['warmup']} s of warm-up, "
        f"{a['workers']} workers; pages ask for gzip. The per-unit figures are stored counts (one row per unit, "
        "app/services/results/tally.py) and a page of names reads only the units that hold it; both are kept in the "
        "board cache (5 s). Before the stored counts the uncached figures were a grouped query over every member "
        "(270 ms for 100,000 on both databases).",
        "",
        "| database | members | participants | missing | uncached: union figures + first page of names, ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for db in results["databases"]:
        if "skipped" in db:
            lines.append(f"| {db['kind']} | skipped: {db['skipped']} | | | |")
            continue
        f = db["figures"]
        lines.append(f"| {db['kind']} | {f['members']:,} | {f['participants']:,} | {f['missing']:,} | {db['uncached_ms']:.0f} |")
    lines += [
        "",
        "| run | req/s | p50 ms | p99 ms | errors | server CPU ms/req | app : bare (goal ≥ 0.3) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for db in results["databases"]:
        for pair in db.get("reads", []):
            lines.append(_row(f"{db['kind']}: bare /ping", pair["bare"]))
            lines.append(_row(f"{db['kind']}: {pair['label']}", pair["app"], f"**{pair['ratio']:.2f}**"))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    stamp = datetime.now(UTC)
    workdir = OUT / f"participation-{stamp.strftime('%Y%m%dT%H%M%SZ')}"
    workdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    command = "python -m bench.participation" + ("" if not (argv or sys.argv[1:]) else " " + shlex.join(argv or sys.argv[1:]))
    results: dict = {"command": command, "started_at": stamp.isoformat(timespec="seconds"), "machine": machine_facts(), "args": vars(args)}
    t0 = time.monotonic()
    try:
        with Server("bare", "bench.bare_app:app", workers=args.workers, env={}, log_path=workdir / "uvicorn-bare.log") as bare:
            results["databases"] = [bench_database(kind, args, bare, workdir) for kind in dbs]
    finally:
        stop_all()
    results["elapsed_s"] = time.monotonic() - t0
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    text_ = section(results)
    print(text_)
    if (args.db == "both" and args.members == 100_000) or args.write:
        report.write_section(HEADER, HEADER + "\n\n" + text_)
        log("wrote bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
