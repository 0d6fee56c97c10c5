"""`python -m bench.run`: the benchmarks of issue 2 (login and /me), results into bench/RESULTS.md.

1. hash: CPU of one argon2id hash and verification, app.security's parameters vs pwdlib's defaults.
2. auth: logins per second, POST /api/v1/auth/token, many distinct members, real uvicorn with N workers.
3. me:   GET /api/v1/me with a Bearer token, as a ratio to a bare FastAPI endpoint (bench/bare_app.py)
         served the same way in the same run; interleaved rounds so both see the same machine.

Every database is a throw-away one (a SQLite file in a temp directory, a PostgreSQL database created and
dropped). Servers run on free 127.0.0.1 ports and are stopped whatever happens. A full run (all parts,
both databases) rewrites the "Issue 2" section of bench/RESULTS.md; partial runs only print and keep
their JSON under bench/out/ unless --write is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import signal
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench import breakdown, hashing, load, login_probe, measure, report, seed
from bench.load import Request
from bench.servers import ROOT, Server, stop_all

OUT = ROOT / "bench" / "out"
PARTS = ("hash", "auth", "me")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable); default: all")
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--duration", type=int, default=10, help="seconds per measured load run (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load before each run (default 2)")
    p.add_argument(
        "--rounds", type=int, default=2, help="interleaved /ping and /me pairs per database (default 2; the ratio is their median)"
    )
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers per server (default 2)")
    p.add_argument("--members", type=int, default=500, help="members in each benchmark database (default 500)")
    p.add_argument(
        "--cold-members",
        type=int,
        default=20000,
        help="extra members for one more /me run in which every request comes from a member not "
        "seen for a long time, so no per-process cache can answer (default 20000; 0 = skip)",
    )
    p.add_argument("--login-connections", type=int, default=16)
    p.add_argument("--me-connections", type=int, default=32)
    p.add_argument(
        "--hash-samples",
        type=int,
        default=50,
        help="hashes and verifications timed with our parameters (default 50; pwdlib's slower defaults get min(this, 20))",
    )
    p.add_argument(
        "--probe",
        type=int,
        default=4,
        metavar="SECONDS",
        help="after each login run, this long a login run on bench.login_probe to see whether verifications overlap (default 4; 0 = skip)",
    )
    p.add_argument(
        "--breakdown",
        type=int,
        default=500,
        metavar="N",
        help="drive /me and /ping N times in-process on one thread, timed and under cProfile, "
        "to show where the CPU goes (default 500; 0 = skip)",
    )
    p.add_argument("--write", action="store_true", help="rewrite bench/RESULTS.md even for a partial run")
    p.add_argument("--no-write", action="store_true", help="never touch bench/RESULTS.md")
    return p.parse_args(argv)


def machine_facts() -> dict:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "-"

    cpu_model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu_model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    except OSError:
        pass
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
        "sqlite": sqlite3.sqlite_version,
        "client": load.wrk_version() or "bench/pyload.py (wrk not installed)",
        "packages": {
            d: version(d)
            for d in (
                "fastapi",
                "starlette",
                "uvicorn",
                "uvloop",
                "httptools",
                "pydantic",
                "SQLAlchemy",
                "sqlmodel",
                "psycopg",
                "pwdlib",
                "argon2-cffi",
                "python-jose",
            )
        },
    }


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def summary_line(r: dict) -> str:
    errs = f", errors {r['errors']}" if r["errors"] else ""
    pg = f", pg {r['postgres_cpu_ms_per_req']:.2f}" if r.get("postgres_cpu_ms_per_req") is not None else ""
    return (
        f"{r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms  "
        f"server CPU {r['server_cpu_ms_per_req']:.2f} ms/req{pg}  client {r['client_core_share']:.0%} of a core  "
        f"machine busy {r['machine_busy']:.0%}, other processes {r['other_cores']:.2f} cores{errs}"
    )


def probe_logins(db: seed.BenchDB, args: argparse.Namespace, logins: list[Request], workdir: Path) -> dict:
    """A short extra login run on bench.login_probe (the app with its verifications timed): do the
    workers' argon2 verifications overlap, as they can on 2 cores, or does something serialize them?"""
    probe_dir = workdir / f"probe-{db.kind}"
    probe_dir.mkdir(parents=True, exist_ok=True)
    env = {**db.server_env(), login_probe.PROBE_ENV: str(probe_dir)}
    with Server(
        f"probe-{db.kind}", "bench.login_probe:app", workers=args.workers, env=env, log_path=workdir / f"uvicorn-probe-{db.kind}.log"
    ) as probe:
        measure.check(probe, logins[-1])
        for old in probe_dir.glob("verify-*.log"):
            old.unlink()
        r = measure.run(
            probe,
            logins,
            connections=args.login_connections,
            duration_s=args.probe,
            warmup_s=0,
            workdir=workdir,
            label=f"probe-{db.kind}",
            pg_database=db.pg_database,
        )
    o = login_probe.overlap(probe_dir)
    log(
        f"{db.kind}: probe  {o['verifications']} verifications, at most {o['max_in_flight']} at once, "
        f"{o['share_with_2_or_more']:.0%} of verifying time with 2 or more ({r['rps']:.1f} logins/s)"
    )
    return {**o, "rps": r["rps"]}


def bench_database(kind: str, args: argparse.Namespace, parts: set[str], bare: Server | None, workdir: Path) -> dict:
    out: dict = {"kind": kind}
    pg = kind == "postgresql"
    if pg:
        reason = seed.pg_available()
        if reason:
            log(f"PostgreSQL unavailable, skipped: {reason}")
            return {"kind": kind, "skipped": reason}
        out["server_version"] = seed.pg_server_version()
    with tempfile.TemporaryDirectory(prefix=f"hoithi-bench-{kind}-") as tmp, seed.database(kind, Path(tmp)) as url:
        t0 = time.monotonic()
        cold = args.cold_members if "me" in parts else 0
        db = seed.populate(kind, url, Path(tmp), members=args.members, extra_members=cold)
        log(f"{kind}: migrated, {len(db.usernames)} members in {time.monotonic() - t0:.1f} s")
        app = Server(f"app-{kind}", "app.main:app", workers=args.workers, env=db.server_env(), log_path=workdir / f"uvicorn-app-{kind}.log")
        with app:
            if "auth" in parts:
                logins = [
                    Request(
                        "POST",
                        "/api/v1/auth/token",
                        {"Content-Type": "application/json"},
                        json.dumps({"username": u, "password": seed.PASSWORD}),
                    )
                    for u in db.usernames[: db.members]
                ]
                measure.check(app, logins[0])
                log(f"{kind}: logins, {args.login_connections} connections, {args.duration} s")
                r = measure.run(
                    app,
                    logins,
                    connections=args.login_connections,
                    duration_s=args.duration,
                    warmup_s=args.warmup,
                    workdir=workdir,
                    label=f"login-{kind}",
                    pg_database=db.pg_database,
                )
                log(f"{kind}: login  {summary_line(r)}")
                out["login"] = r
                if args.probe:
                    out["login_probe"] = probe_logins(db, args, logins, workdir)
            if "me" in parts:
                assert bare is not None
                auth = [{"Authorization": f"Bearer {t}"} for t in db.tokens[: db.members]]
                me_reqs = [Request("GET", "/api/v1/me", h) for h in auth]
                # The yardstick gets the same request bytes (the header is ignored there).
                bare_reqs = [Request("GET", "/ping", h) for h in auth]
                body = measure.check(app, me_reqs[0])
                assert body.get("phone") == db.usernames[0], body
                measure.check(bare, bare_reqs[0])
                out["rounds"] = measure.against_bare(
                    app,
                    me_reqs,
                    bare,
                    bare_reqs,
                    name="me",
                    rounds=args.rounds,
                    connections=args.me_connections,
                    duration_s=args.duration,
                    warmup_s=args.warmup,
                    workdir=workdir,
                    label=kind,
                    pg_database=db.pg_database,
                    log=lambda n, which, r: log(f"{kind}: round {n} {which:4s} {summary_line(r)}"),
                )
                for n, pair in enumerate(out["rounds"], start=1):
                    log(f"{kind}: round {n} ratio /me : bare = {pair['ratio']:.2f}")
                if len(db.tokens) > db.members:
                    # Every request from a member not seen for minutes: what /me costs when no per-process
                    # cache can help (a real contest: thousands of members, each asking now and then).
                    cold_reqs = [Request("GET", "/api/v1/me", {"Authorization": f"Bearer {t}"}) for t in db.tokens[db.members :]]
                    # Compared with the yardstick's run just before (the rounds alternate, so the last round
                    # ends with it), which saves a run.
                    pair = {
                        "bare": out["rounds"][-1]["bare"]
                        if out["rounds"]
                        else measure.run(
                            bare,
                            bare_reqs,
                            connections=args.me_connections,
                            duration_s=args.duration,
                            warmup_s=args.warmup,
                            workdir=workdir,
                            label=f"bare-{kind}-cold",
                        )
                    }
                    r = measure.run(
                        app,
                        cold_reqs,
                        connections=args.me_connections,
                        duration_s=args.duration,
                        warmup_s=0,
                        workdir=workdir,
                        label=f"me-{kind}-cold",
                        pg_database=db.pg_database,
                    )
                    log(f"{kind}: cold    me   {summary_line(r)}")
                    pair["me"] = r
                    pair["ratio"] = pair["me"]["rps"] / pair["bare"]["rps"] if pair["bare"]["rps"] else 0.0
                    pair["distinct_members"] = len(cold_reqs)
                    log(f"{kind}: cold ratio /me : bare = {pair['ratio']:.2f}")
                    out["cold"] = pair
                if args.breakdown:
                    b = breakdown.measure(db, iterations=args.breakdown)
                    cold_ms = f", /me cold {b['me_cold']['cpu_ms']:.2f} ms" if "me_cold" in b else ""
                    log(
                        f"{kind}: in-process, one thread, CPU per request: bare /ping {b['bare']['cpu_ms']:.2f} ms, "
                        f"/me {b['me']['cpu_ms']:.2f} ms{cold_ms}"
                    )
                    out["breakdown"] = b
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parts = set(args.only or PARTS)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    full = parts == set(PARTS) and args.db == "both"
    stamp = datetime.now(UTC)
    workdir = OUT / stamp.strftime("%Y%m%dT%H%M%SZ")
    workdir.mkdir(parents=True, exist_ok=True)
    # SIGTERM (e.g. from a CI timeout) should still stop the servers: turn it into SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    command = "python -m bench.run" + (
        "" if argv is None and len(sys.argv) == 1 else " " + shlex.join(argv if argv is not None else sys.argv[1:])
    )
    results: dict = {"command": command, "started_at": stamp.isoformat(timespec="seconds"), "machine": machine_facts(), "args": vars(args)}
    log(f"{command}: parts {sorted(parts)}, databases {dbs}, client {results['machine']['client']}")
    t_start = time.monotonic()
    try:
        if "hash" in parts:
            log(
                f"argon2: {args.hash_samples} hashes + verifications with our parameters, "
                f"{min(args.hash_samples, 20)} with pwdlib's defaults"
            )
            results["hash"] = hashing.measure(args.hash_samples, default_samples=min(args.hash_samples, 20))
            for row in results["hash"]:
                log(
                    f"  {row['label']}: hash {row['hash_cpu_ms']:.1f} ms CPU ({row['hash_wall_ms']:.1f} wall), "
                    f"verify {row['verify_cpu_ms']:.1f} ms CPU ({row['verify_wall_ms']:.1f} wall)"
                )
        if parts & {"auth", "me"}:
            bare = None
            if "me" in parts:
                bare = Server("bare", "bench.bare_app:app", workers=args.workers, env={}, log_path=workdir / "uvicorn-bare.log").start()
            try:
                results["databases"] = [bench_database(kind, args, parts, bare, workdir) for kind in dbs]
            finally:
                if bare is not None:
                    bare.stop()
    finally:
        stop_all()
    results["elapsed_s"] = time.monotonic() - t_start
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"done in {results['elapsed_s']:.0f} s; raw results in {workdir.relative_to(ROOT)}/results.json")
    if (full or args.write) and not args.no_write:
        path = report.write(results)
        log(f"wrote {path.relative_to(ROOT)}")
    else:
        print(report.section(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
