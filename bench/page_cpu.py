"""`python -m bench.page_cpu`: the CPU of one member page in-process, for members new to the worker and again.

bench.journey_cpu measures each step of a first journey, where home comes before any attempt and every page
but the first finds the member in the worker's memory. This measures a page as a member who has taken part
opens it: each member starts an attempt first (through the rules page and the start form), then the app is
made anew, and every member opens the page once (cold: the member, their token and their rows are new to
it) and once more (warm). Same harness as bench.journey_cpu (the app driven in one event loop, anyio's
thread pool replaced by a direct call, time.process_time); 50 members warm the app itself first.

`python -m bench.page_cpu --page home --db sqlite` (about half a minute); --profile cold|warm prints the
cProfile of that pass (SORT=tottime, TOP=40 to change the listing).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path

import anyio.to_thread

from bench import attempts, seed
from bench.breakdown import Driver, _inline_run_sync
from bench.browser import csrf_of
from bench.journey import populate_tree
from bench.journey_cpu import Phone

WARM_UP = 50


async def _started(app, whos: list, rid: int, submit: bool = False) -> list[str]:
    """Each member starts an attempt as a phone does (and submits it, with `submit`); the quiz page's path of each."""
    task, inbox = await Driver(app).lifespan()
    paths = []
    try:
        for w in whos:
            phone = Phone(app, w.token)
            _status, html, _ = await phone.call("GET", f"/rounds/{rid}/enter")
            status, _, location = await phone.call("POST", f"/rounds/{rid}/start", fields=[("csrf_token", csrf_of(html) or "")])
            if status != 303:
                raise RuntimeError(f"start answered {status}")
            if submit:
                status, _, _ = await phone.call("POST", f"{location}/submit", fields=[("csrf_token", csrf_of(html) or "")])
                if status != 303:
                    raise RuntimeError(f"submit answered {status}")
            paths.append(location)
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task
    return paths


async def _passes(app, whos: list, paths: list[str], profile: str) -> tuple[float, float, cProfile.Profile]:
    task, inbox = await Driver(app).lifespan()
    prof = cProfile.Profile(time.process_time)
    phones = [Phone(app, w.token) for w in whos]
    cpu = {}
    try:
        for phone, path in zip(phones[:WARM_UP], paths[:WARM_UP], strict=True):
            await phone.call("GET", path)
        for name in ("cold", "warm"):
            if profile == name:
                prof.enable()
            t0 = time.process_time()
            for phone, path in zip(phones[WARM_UP:], paths[WARM_UP:], strict=True):
                status, text, _ = await phone.call("GET", path)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}: {text[:200]}")
            cpu[name] = (time.process_time() - t0) / (len(phones) - WARM_UP)
            prof.disable()
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task
    return cpu["cold"], cpu["warm"], prof


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.page_cpu", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    p.add_argument("--page", choices=("home", "quiz", "rules", "result"), default="home")
    p.add_argument("--members", type=int, default=600, help=f"members, each opening the page twice ({WARM_UP} of them warm up)")
    p.add_argument("--profile", choices=("", "cold", "warm"), default="")
    args = p.parse_args(argv)
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        if kind == "postgresql" and (reason := seed.pg_available()):
            print(f"PostgreSQL unavailable: {reason}")
            return 1
        cold, warm, prof = _measure(kind, args.page, args.members, args.profile)
        print(
            f"{kind}, {args.page}, {args.members - WARM_UP} members with an attempt: cold {cold * 1000:.3f} ms, warm {warm * 1000:.3f} ms"
        )
        if args.profile:
            pstats.Stats(prof).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("TOP", "40")))
    return 0


def _measure(kind: str, page: str, members: int, profile: str) -> tuple[float, float, cProfile.Profile]:
    from app.config import Settings
    from app.main import create_app

    original, anyio.to_thread.run_sync = anyio.to_thread.run_sync, _inline_run_sync
    try:
        with tempfile.TemporaryDirectory(prefix="hoithi-page-cpu-") as tmp, seed.database(kind, Path(tmp)) as url:
            db, whos = populate_tree(kind, url, Path(tmp), members=members, cells=10)
            rid = attempts.prepare_round(db)

            def app():
                return create_app(Settings(database_url=db.url, secret_key=seed.SECRET, data_dir=Path(tmp), _env_file=None))

            first = app()
            quiz = asyncio.run(_started(first, whos, rid, submit=page == "result"))
            first.state.engine.dispose()
            paths = {
                "home": ["/"] * len(quiz),
                "quiz": quiz,
                "rules": [f"/rounds/{rid}/enter"] * len(quiz),
                "result": [f"{q}/result" for q in quiz],
            }[page]
            second = app()  # a worker that has seen none of them
            try:
                return asyncio.run(_passes(second, whos, paths, profile))
            finally:
                second.state.engine.dispose()
    finally:
        anyio.to_thread.run_sync = original


if __name__ == "__main__":
    raise SystemExit(main())
