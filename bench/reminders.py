"""`python -m bench.reminders`: a reminder to 10,000 phones while members save answers (issue 17).

A bench unit of members with a round open: 1,000 of them have started their attempt and save answers under
load (wrk or the Python client, the answer saves of bench.attempts), and 10,000 push subscriptions of members who
have not taken part point at a local push service (Debian's nginx answering 201 when installed, else a small
Python server in its own process). Measured: how long POST /api/v1/rounds/{id}/reminders takes to answer (the
queueing: one query and one row), how long the background sending takes, and the answer saves per second while
it sends, against the same saves just before and just after (the goal: less than 10 % slower).

Writes the "Issue 17 — reminders" section of bench/RESULTS.md with --write.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench import attempts, flows, measure, report, seed
from bench.run import OUT, log, machine_facts, summary_line
from bench.servers import Server, free_port, stop_all

HEADER = "## Issue 17 — reminders to 10,000 phones"
SINK_PY = """
import asyncio, sys
async def handle(reader, writer):
    while True:
        head = await reader.readuntil(b"\\r\\n\\r\\n")
        length = 0
        for line in head.split(b"\\r\\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 201 Created\\r\\nContent-Length: 0\\r\\n\\r\\n")
        await writer.drain()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
asyncio.run(main())
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    p.add_argument("--members", type=int, default=6000)
    p.add_argument("--savers", type=int, default=1000)
    p.add_argument("--subscriptions", type=int, default=10_000)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--write", action="store_true")
    return p.parse_args(argv)


def start_sink(workdir: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    """A push service that answers 201 to every POST: nginx when installed, else a small asyncio server."""
    port = free_port()
    if shutil.which("nginx"):
        conf = workdir / "sink-nginx.conf"
        conf.write_text(
            f"daemon off; worker_processes 1; error_log {workdir}/sink-error.log; pid {workdir}/sink.pid;\n"
            "events { worker_connections 1024; }\n"
            f"http {{ access_log off; client_body_temp_path {workdir}/sink-body; "
            f"server {{ listen 127.0.0.1:{port}; location / {{ return 201; }} }} }}\n"
        )
        nginx = ["nice", "-n", "19", "nginx", "-c", str(conf), "-p", str(workdir)]
        proc = subprocess.Popen(nginx, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kind = "nginx"
    else:
        # the push service is another company's server in real life: here it stays out of the app's way
        proc = subprocess.Popen(["nice", "-n", "19", sys.executable, "-c", SINK_PY, str(port)])
        kind = "asyncio server"
    time.sleep(0.5)
    return proc, port, kind


def subscribe(db: seed.BenchDB, round_unit_members: list[int], n: int, sink_port: int) -> None:
    """n subscriptions over the given members (several phones each), all at the local push service."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import PushSubscription
    from app.models.types import utcnow

    now = utcnow()
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    p256dh = base64.urlsafe_b64encode(public).rstrip(b"=").decode()
    auth = base64.urlsafe_b64encode(b"0123456789abcdef").rstrip(b"=").decode()
    rows = [
        {
            "member_id": round_unit_members[i % len(round_unit_members)],
            "endpoint": f"http://127.0.0.1:{sink_port}/push/{i}",
            "p256dh": p256dh,
            "auth": auth,
            "created_at": now,
        }
        for i in range(n)
    ]
    engine = make_engine(Settings(database_url=db.url, secret_key=seed.SECRET, data_dir=db.data_dir, _env_file=None))
    with session_scope(engine) as s:
        for start in range(0, len(rows), 5000):
            s.execute(insert(PushSubscription), rows[start : start + 5000])
    engine.dispose()


def _post(port: int, path: str, token: str, body: dict) -> tuple[int, dict, float]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.status, json.loads(resp.read()), (time.perf_counter() - t0) * 1000


def _get(port: int, path: str, token: str) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def bench_database(kind: str, args: argparse.Namespace, workdir: Path, sink_port: int) -> dict:
    if kind == "postgresql" and (reason := seed.pg_available()):
        return {"kind": kind, "skipped": reason}
    out: dict = {"kind": kind}
    with tempfile.TemporaryDirectory(prefix=f"hoithi-reminders-{kind}-") as tmp, seed.database(kind, Path(tmp)) as url:
        db = seed.populate(kind, url, Path(tmp), members=args.members)
        round_id = attempts.prepare_round(db)
        organiser_token = _organiser_token(db)
        member_ids = list(range(2 + args.savers, args.members + 1))  # members who have not started (ids are 1..n)
        subscribe(db, member_ids, args.subscriptions, sink_port)
        env = {**db.server_env(), "HOITHI_SWEEP_EVERY_S": "0"}
        with Server(
            f"app-{kind}", "app.main:app", workers=args.workers, env=env, log_path=workdir / f"uvicorn-reminders-{kind}.log"
        ) as app:
            storm = flows.run_async(flows.start_storm(app.port, round_id, db.tokens[1 : 1 + args.savers], concurrency=64))
            saves = attempts.save_requests(storm["started"], 10_000, random.Random(1))

            def run(label: str) -> dict:
                r = measure.run(
                    app,
                    saves,
                    connections=args.connections,
                    duration_s=args.duration,
                    warmup_s=args.warmup,
                    workdir=workdir,
                    label=f"{kind}-{label}",
                    pg_database=db.pg_database,
                )
                log(f"{kind}: saves {label:7s} {summary_line(r)}")
                return r

            out["before"] = run("before")
            status, sent, queued_ms = _post(app.port, f"/api/v1/rounds/{round_id}/reminders", organiser_token, {})
            t0 = time.perf_counter()
            log(f"{kind}: reminder queued in {queued_ms:.0f} ms: {sent['targets']} phones of {sent['members']} members (HTTP {status})")
            out["during"] = run("during")
            done = sent
            while not done.get("finished_at") and time.perf_counter() - t0 < 600:
                time.sleep(0.5)
                done = _get(app.port, f"/api/v1/reminders/{sent['id']}", organiser_token)
            out["sent_s"] = time.perf_counter() - t0
            out["after"] = run("after")
            out.update(
                queued_ms=queued_ms,
                targets=sent["targets"],
                members=sent["members"],
                delivered=done.get("delivered"),
                failed=done.get("failed"),
            )
            log(f"{kind}: sent {done.get('delivered')} delivered, {done.get('failed')} failed in {out['sent_s']:.1f} s")
    return out


def _organiser_token(db: seed.BenchDB) -> str:
    """The first member organises the bench unit (as prepare_round's organiser does)."""
    from sqlmodel import select

    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import MemberRole, Unit

    engine = make_engine(Settings(database_url=db.url, secret_key=seed.SECRET, data_dir=db.data_dir, _env_file=None))
    with session_scope(engine) as s:
        unit = s.exec(select(Unit).where(Unit.code == "BENCH")).one()
        s.add(MemberRole(member_id=1, role="organiser", unit_id=unit.id))
    engine.dispose()
    return db.tokens[0]


def section(results: dict) -> str:
    lines = [
        f"Command: `{results['command']}`, started {results['started_at']}, took {results['elapsed_s']:.0f} s. Code: {report._git_rev()}.",
        "",
        report.machine_line(results),
        "",
        f"Push service: {results['sink']} on 127.0.0.1 at nice 19 (it stands in for another company's server), answering 201. "
        f"{results['args']['savers']:,} members save answers "
        f"({results['args']['connections']} connections, {results['args']['duration']} s runs, {results['args']['workers']} workers); "
        "the reminder goes to the subscriptions of the members who have not started. The sending runs in a child "
        "process at nice 19 (app.services.results.reminders.in_own_process).",
        "",
        "| database | phones | queued in (goal < 2 s) | sent in | delivered | saves/s before | during | after "
        "| slower while sending (goal < 10 %) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for db in results["databases"]:
        if "skipped" in db:
            lines.append(f"| {db['kind']} | skipped: {db['skipped']} | | | | | | | |")
            continue
        ref = (db["before"]["rps"] + db["after"]["rps"]) / 2
        slower = 1 - db["during"]["rps"] / ref if ref else 0
        lines.append(
            f"| {db['kind']} | {db['targets']:,} | {db['queued_ms']:.0f} ms | {db['sent_s']:.1f} s | {db['delivered']:,} | "
            f"{db['before']['rps']:.0f} | {db['during']['rps']:.0f} | {db['after']['rps']:.0f} | **{slower * 100:.1f} %** |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    stamp = datetime.now(UTC)
    workdir = OUT / f"reminders-{stamp.strftime('%Y%m%dT%H%M%SZ')}"
    workdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    command = "python -m bench.reminders" + ("" if not (argv or sys.argv[1:]) else " " + shlex.join(argv or sys.argv[1:]))
    results: dict = {"command": command, "started_at": stamp.isoformat(timespec="seconds"), "machine": machine_facts(), "args": vars(args)}
    sink, port, results["sink"] = start_sink(workdir)
    t0 = time.monotonic()
    try:
        results["databases"] = [bench_database(kind, args, workdir, port) for kind in dbs]
    finally:
        stop_all()
        sink.terminate()
    results["elapsed_s"] = time.monotonic() - t0
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    text_ = section(results)
    print(text_)
    if args.write:
        report.write_section(HEADER, HEADER + "\n\n" + text_)
        log("wrote bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
