"""`python -m bench.journey_cpu`: the CPU of each step of the member's journey, in-process (issue 19).

bench.journey measures the journey under uvicorn, where the client and the servers share two cores; this says
where the server's part goes, step by step, without HTTP, threads or the other processes. The app
(app.main.create_app) is driven in one event loop as bench.breakdown drives it (anyio's thread pool replaced by
a direct call), with the requests a phone's browser makes (the same steps as bench.journey: home, rules,
start, quiz page, 24 taps, prediction, submit, result, cell board, union board; plus /healthz, the cheapest
route of the app, as the floor). CPU is the process's (time.process_time), so the tap writer's thread is in
the taps. The members go in chunks; each step's figure is the lowest mean of the chunks, the one least
disturbed by the machine's other work.

`python -m bench.journey_cpu --members 520 --chunk 100` (about a minute); --profile tap prints the cProfile of
that step (several steps: --profile tap,submit; DUMP=file.pstats also writes it for pstats).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread

from bench import attempts, flows, seed
from bench.breakdown import Driver, _inline_run_sync, http_scope
from bench.browser import csrf_of, login_jar, questions_of
from bench.journey import populate_tree

TAPS = 24  # as bench.journey makes them: 20 questions, about a fifth answered again
FLOOR_CALLS = 5


class Phone:
    """One member's requests, with the cookies the pages set, answered by the app in this loop."""

    def __init__(self, app, token: str) -> None:
        self.app, self.cookies = app, dict(login_jar(token).cookies)

    async def call(self, method: str, path: str, fields: list[tuple[str, str]] | None = None, headers: dict | None = None):
        body = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in (fields or [])).encode()
        raw_path, _, query = path.partition("?")
        sent: list[tuple[bytes, bytes]] = [
            (b"host", b"127.0.0.1:8000"),
            (b"accept-encoding", b"gzip"),
            (b"cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode()),
        ]
        if method == "POST":
            sent += [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", str(len(body)).encode())]
        sent += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        scope = http_scope(method, raw_path, query, sent)
        delivered, got = False, {"status": 0, "headers": [], "body": []}

        async def receive() -> dict:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                got["status"], got["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                got["body"].append(message.get("body", b""))

        await self.app(scope, receive, send)
        location = ""
        for k, v in got["headers"]:
            if k == b"set-cookie":
                name, _, value = v.decode().split(";", 1)[0].partition("=")
                if value:
                    self.cookies[name.strip()] = value.strip().strip('"')
            elif k == b"location":
                location = re.sub(r"^https?://[^/]+", "", v.decode())
        raw = b"".join(got["body"])
        if (dict(got["headers"]).get(b"content-encoding") or b"") == b"gzip":
            import gzip

            raw = gzip.decompress(raw)
        return got["status"], raw.decode(errors="replace"), location


class Steps:
    def __init__(self, profiled: set[str]) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self.profiled, self.profile = profiled, cProfile.Profile(time.process_time)

    async def run(self, phone: Phone, name: str, method: str, path: str, *, expect: int = 200, **kw) -> tuple[str, str]:
        on = name in self.profiled
        if on:
            self.profile.enable()
        t0 = time.process_time()
        status, text, location = await phone.call(method, path, **kw)
        self.cpu[name] += time.process_time() - t0
        self.count[name] += 1
        if on:
            self.profile.disable()
        if status != expect:
            raise RuntimeError(f"{name}: {method} {path} answered {status}: {text[:300]}")
        return text, location

    def means(self) -> dict[str, float]:
        out = {k: self.cpu[k] * 1000 / self.count[k] for k in self.cpu}
        self.cpu.clear()
        self.count.clear()
        return out


async def journey(steps: Steps, phone: Phone, rid: int, cell: str, rng: random.Random) -> None:
    await steps.run(phone, "home", "GET", "/")
    html, _ = await steps.run(phone, "rules", "GET", f"/rounds/{rid}/enter")
    csrf = csrf_of(html) or ""
    _, quiz = await steps.run(phone, "start", "POST", f"/rounds/{rid}/start", fields=[("csrf_token", csrf)], expect=303)
    aid = int(quiz.rsplit("/", 1)[1])
    html, _ = await steps.run(phone, "quiz", "GET", quiz)
    questions, csrf = questions_of(html), csrf_of(html) or csrf
    kinds = {pos: kind for pos, kind, _ in questions}
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf, "HX-Current-URL": f"http://127.0.0.1:8000{quiz}"}
    for pos, pick in flows.plan_answers(flows.Started("", aid, questions), rng, 0.2):
        fields = ([(f"q{pos}", "")] if kinds[pos] == "multiple" else []) + [(f"q{pos}", o) for o in pick]
        await steps.run(phone, "tap", "POST", f"/attempts/{aid}/answer/{pos}", fields=fields, headers=htmx)
    for _ in range(FLOOR_CALLS):
        await steps.run(phone, "floor (/healthz)", "GET", "/healthz")
    await steps.run(phone, "prediction", "POST", f"/attempts/{aid}/prediction", fields=[("prediction", "12")], headers=htmx)
    _, result = await steps.run(phone, "submit", "POST", f"/attempts/{aid}/submit", fields=[("csrf_token", csrf)], expect=303)
    await steps.run(phone, "result", "GET", result)
    await steps.run(phone, "cell board", "GET", f"/rounds/{rid}/board?unit={cell}")
    await steps.run(phone, "union board", "GET", f"/rounds/{rid}/board")


async def drive(app, whos: list, rid: int, chunk: int, steps: Steps) -> list[dict[str, float]]:
    task, inbox = await Driver(app).lifespan()
    chunks: list[dict[str, float]] = []
    try:
        warm, rest = whos[:20], whos[20:]
        for i, who in enumerate(warm):
            await journey(steps, Phone(app, who.token), rid, who.cell, random.Random(i))
        steps.means()
        steps.profile = cProfile.Profile(time.process_time)
        for i, who in enumerate(rest, start=1):
            await journey(steps, Phone(app, who.token), rid, who.cell, random.Random(100 + i))
            if i % chunk == 0:
                chunks.append(steps.means())
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task
    return chunks


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.journey_cpu", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--members", type=int, default=520, help="members, each making the journey once (20 of them warm up)")
    p.add_argument("--chunk", type=int, default=100, help="members per chunk (default 100)")
    p.add_argument("--profile", default="", help="comma-separated steps to profile with cProfile (e.g. tap,submit)")
    args = p.parse_args(argv)
    from app.config import Settings
    from app.main import create_app

    if args.db == "postgresql" and (reason := seed.pg_available()):
        print(f"PostgreSQL unavailable: {reason}")
        return 1
    with tempfile.TemporaryDirectory(prefix="hoithi-journey-cpu-") as tmp, seed.database(args.db, Path(tmp)) as url:
        db, whos = populate_tree(args.db, url, Path(tmp), members=args.members, cells=10)
        rid = attempts.prepare_round(db)
        app = create_app(Settings(database_url=db.url, secret_key=seed.SECRET, data_dir=Path(tmp), _env_file=None))
        original, anyio.to_thread.run_sync = anyio.to_thread.run_sync, _inline_run_sync
        steps = Steps({s for s in args.profile.split(",") if s})
        try:
            chunks = asyncio.run(drive(app, whos, rid, args.chunk, steps))
        finally:
            anyio.to_thread.run_sync = original
            app.state.engine.dispose()
    if not chunks:
        print("too few members for one chunk")
        return 1
    print(f"{args.db}, {args.members - 20} journeys in {len(chunks)} chunks of {args.chunk}; CPU ms per request (lowest chunk mean; all)")
    total = 0.0
    for name in chunks[0]:
        best = min(c[name] for c in chunks)
        times = TAPS if name == "tap" else 0 if name.startswith("floor") else 1
        total += best * times
        print(f"  {name:18s} {best:6.2f}  ({' '.join(f'{c[name]:.2f}' for c in chunks)})" + (f"  x{times}" if times > 1 else ""))
    print(f"  journey            {total:6.1f} ms")
    if steps.profiled:
        if os.environ.get("DUMP"):
            steps.profile.dump_stats(os.environ["DUMP"])
        pstats.Stats(steps.profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("TOP", "40")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
