"""Where the CPU of a request goes, measured in-process on one thread, for whatever the app does today.

Sampling profilers see a uvicorn worker as dozens of threadpool threads handing the GIL around and
attribute poorly. Here the ASGI app (app.main.create_app, or bench.bare_app) is driven directly in
one event loop, with anyio's thread pool replaced by a direct call, so that every line of a request
runs on one thread: `time.thread_time()` then gives its CPU, and cProfile its split, without HTTP,
threads or the noise of the other processes. Nothing here knows how /me is written: the split is by
function (those under app/, inclusive) and by library (self time).
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import time
from collections import Counter
from pathlib import Path

import anyio.to_thread

from bench.load import Request
from bench.servers import ROOT

APP_DIR = str(ROOT / "app") + "/"


async def _inline_run_sync(func, *args, **_kwargs):
    return func(*args)


def http_scope(method: str, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> dict:
    """The ASGI scope uvicorn would make for this request from 127.0.0.1."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
        "headers": headers,
    }


class Driver:
    """Calls an ASGI app the way uvicorn would, minus the socket."""

    def __init__(self, app) -> None:
        self.app = app

    async def request(self, req: Request) -> tuple[int, bytes]:
        body = req.body.encode()
        path, _, query = req.path.partition("?")
        headers = [(b"host", b"127.0.0.1:8000")] + [(k.lower().encode(), v.encode()) for k, v in req.headers.items()]
        scope = http_scope(req.method, path, query, headers)
        delivered = False
        status, chunks = 0, []

        async def receive() -> dict:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)

    async def lifespan(self) -> tuple[asyncio.Task, asyncio.Queue]:
        inbox: asyncio.Queue = asyncio.Queue()
        outbox: asyncio.Queue = asyncio.Queue()
        task = asyncio.create_task(self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put))
        await inbox.put({"type": "lifespan.startup"})
        msg = await outbox.get()
        if msg["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"lifespan startup failed: {msg}")
        return task, inbox


def _lib(filename: str) -> str:
    if filename.startswith(APP_DIR):
        return "app"
    for marker in ("site-packages/", "dist-packages/"):
        if marker in filename:
            return filename.split(marker, 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith(str(ROOT / "bench")):
        return "bench driver"
    return "stdlib / builtins"


def _profile_split(stats: pstats.Stats, total: float) -> dict:
    raw = stats.stats  # type: ignore[attr-defined]
    app_funcs: dict[str, float] = {}
    libs: Counter[str] = Counter()
    for (filename, _line, name), (_cc, _nc, tt, ct, _callers) in raw.items():
        libs[_lib(filename)] += tt
        if filename.startswith(APP_DIR):
            label = f"{Path(filename).relative_to(ROOT)}:{name}"
            app_funcs[label] = max(app_funcs.get(label, 0.0), ct)
    top = sorted(app_funcs.items(), key=lambda kv: -kv[1])[:14]
    return {
        "app_functions_pct": {k: round(100 * v / total, 1) for k, v in top},
        "self_by_library_pct": {k: round(100 * v / total, 1) for k, v in libs.most_common(10)},
    }


async def _measure(name: str, app, warm: list[Request], timed: list[Request], profiled: list[Request]) -> dict:
    driver = Driver(app)
    task, inbox = await driver.lifespan()
    try:
        for req in warm:  # statement caches, pools, lazy imports (and per-process caches, if warm == timed)
            status, body = await driver.request(req)
            if status != 200:
                raise RuntimeError(f"{name}: {req.path} answered {status}: {body[:300]!r}")
        t0 = time.thread_time()
        for req in timed:
            await driver.request(req)
        cpu_ms = (time.thread_time() - t0) * 1000 / len(timed)
        prof = cProfile.Profile()
        prof.enable()
        t1 = time.perf_counter()
        for req in profiled:
            await driver.request(req)
        prof.disable()
        split = _profile_split(pstats.Stats(prof), time.perf_counter() - t1)
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task
    return {"cpu_ms": cpu_ms, "requests": len(timed), **split}


def measure(db, *, iterations: int = 1000) -> dict:
    """In-process CPU per request of the bare /ping, of GET /api/v1/me from members who asked a moment
    ago ("me") and from members never seen before ("me_cold", when the database has extra members),
    and the cProfile split of each /me."""
    from app.config import Settings
    from app.main import create_app
    from bench import bare_app
    from bench.seed import SECRET

    settings = Settings(database_url=db.url, secret_key=SECRET, data_dir=db.data_dir, _env_file=None)

    def me(tokens: list[str]) -> list[Request]:
        return [Request("GET", "/api/v1/me", {"Authorization": f"Bearer {t}"}) for t in tokens]

    regular = db.tokens[: min(db.members, iterations)]
    extra = db.tokens[db.members :]
    n_cold = min(iterations, len(extra) // 2)
    ping = Request("GET", "/ping")
    # name: (make the app, warm-up requests, timed requests, profiled requests)
    plans = {"bare": (lambda: bare_app.app, [ping] * 200, [ping] * iterations, [ping] * iterations)}
    warm_me = me(regular * (iterations // len(regular) + 1))[:iterations]
    plans["me"] = (lambda: create_app(settings), me(regular), warm_me, warm_me)
    if n_cold >= 100:
        plans["me_cold"] = (lambda: create_app(settings), me(regular[:200]), me(extra[:n_cold]), me(extra[n_cold : 2 * n_cold]))
    return {"iterations": iterations, **measure_plans(plans)}


def measure_plans(plans: dict) -> dict:
    """{name: (make the app, warm-up requests, timed requests, profiled requests)} → {name: CPU and split},
    each app driven in-process on one thread (anyio's thread pool replaced by a direct call)."""
    result: dict = {}
    original = anyio.to_thread.run_sync
    anyio.to_thread.run_sync = _inline_run_sync
    try:
        for name, (make_app, warm, timed, profiled) in plans.items():
            app = make_app()
            try:
                result[name] = asyncio.run(_measure(name, app, warm, timed, profiled))
            finally:
                engine = getattr(getattr(app, "state", None), "engine", None)
                if engine is not None:
                    engine.dispose()
    finally:
        anyio.to_thread.run_sync = original
    return result
