"""The page runs of bench/journey.py (issue 19): pages as a ratio to the bare endpoint, warm and cold members."""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import measure, seed
from bench.load import Request
from bench.run import log, summary_line
from bench.servers import Server


@dataclass
class Who:
    token: str
    cell: str  # the code of the member's cell
    attempt_id: int | None = None


# --- page ratios ----------------------------------------------------------------------------------------
@dataclass
class Target:
    page: str
    temp: str  # "warm" | "cold"
    path: Callable[[Who], str]
    measured: list[Who]
    warmup: list[Who] | None = None  # cold runs: other members, so the measured ones are new to the server
    bearer: bool = False


COLD_SHARES = {"home": 1, "rules": 1, "me": 5, "cell_board": 4}  # of the members who never start: the faster runs need more


def page_targets(rid: int, journeyed: list[Who], in_progress: list[Who], never: list[Who], warm: int) -> list[Target]:
    """Warm runs cycle over the first `warm` members of a pool. Cold runs take the rest, a slice of its own for
    each run of a round (the members who never start are shared out by COLD_SHARES), the first third of the
    slice for the warm-up: within a round no cold member is asked by two runs."""

    def cold(page: str, path: Callable[[Who], str], members: list[Who], bearer: bool = False) -> Target:
        cut = max(1, len(members) // 3)
        return Target(page, "cold", path, members[cut:] or members, members[:cut], bearer)

    rest = never[warm:] or never
    unit = len(rest) // sum(COLD_SHARES.values())
    share, at = {}, 0
    for page, n in COLD_SHARES.items():
        share[page], at = rest[at : at + n * unit] or rest, at + n * unit
    home, rules = (lambda w: "/"), (lambda w: f"/rounds/{rid}/enter")
    quiz, result = (lambda w: f"/attempts/{w.attempt_id}"), (lambda w: f"/attempts/{w.attempt_id}/result")
    return [
        Target("home", "warm", home, never[:warm]),
        cold("home", home, share["home"]),
        Target("rules", "warm", rules, never[:warm]),
        cold("rules", rules, share["rules"]),
        Target("quiz", "warm", quiz, in_progress[:warm]),
        cold("quiz", quiz, in_progress[warm:] or in_progress),
        Target("result", "warm", result, journeyed[:warm]),
        cold("result", result, journeyed[warm:] or journeyed),
        cold("me", lambda w: "/api/v1/me", share["me"], bearer=True),
        cold("cell_board", lambda w: f"/rounds/{rid}/board?unit={w.cell}", share["cell_board"]),
    ]


def requests_for(t: Target, members: list[Who], gzip: bool) -> list[Request]:
    from app.deps import CSRF_COOKIE, TOKEN_COOKIE

    out = []
    for i, w in enumerate(members):
        if t.bearer:
            headers = {"Authorization": f"Bearer {w.token}"}
        else:
            # a warm member's browser sends back the CSRF seed its first page set; a cold one only the login
            csrf = f"; __Host-{CSRF_COOKIE}=seed{i:06d}" if t.temp == "warm" else ""
            headers = {"Cookie": f"{TOKEN_COOKIE}={w.token}{csrf}", "User-Agent": "hoithi-bench phone"}
            if gzip:
                headers["Accept-Encoding"] = "gzip"
        out.append(Request("GET", t.path(w), headers))
    return out


def pair_run(app: Server, bare: Server, t: Target, args: argparse.Namespace, *, order: int, bare_warmup: bool, **kw) -> dict:
    """One run of the page and one of the bare endpoint (GET /ping with the same headers), in the order given;
    the bare endpoint, warm from the first pair on, gets its warm-up only then."""
    reqs = requests_for(t, t.measured, args.gzip)
    warm_reqs = requests_for(t, t.warmup, args.gzip) if t.warmup else None
    bare_reqs = [Request("GET", "/ping", q.headers) for q in reqs[:2000]]
    runs = [("app", app, reqs, warm_reqs, args.warmup), ("bare", bare, bare_reqs, None, args.warmup if bare_warmup else 0)]
    pair: dict = {}
    for which, server, measured, warmup, warmup_s in runs if order % 2 else runs[::-1]:
        pair[which] = measure.run(
            server,
            measured,
            connections=args.connections,
            duration_s=args.duration,
            warmup_s=warmup_s,
            workdir=kw["workdir"],
            label=f"{kw['label']}-{which}",
            pg_database=kw["pg_database"] if server is app else None,
            warmup_requests=warmup,
        )
        log(f"{kw['kind']}: {t.page + ' ' + t.temp:16s} {which:4s} {summary_line(pair[which])}")
    pair["ratio"] = pair["app"]["rps"] / pair["bare"]["rps"] if pair["bare"]["rps"] else 0.0
    return pair


def page_runs(kind: str, db: seed.BenchDB, app: Server, bare: Server, targets: list[Target], args, workdir: Path) -> tuple[list, Server]:
    """Each target against the bare endpoint, round after round; the app restarted at the start of each round,
    so that every cold member is new to it."""
    runs: dict[str, dict] = {}
    for r in range(args.rounds):
        app.stop()
        app = Server(app.name, app.target, workers=args.workers, env=app.env, log_path=app.log_path).start()
        for i, t in enumerate(targets):
            label = f"{t.page} {t.temp}"
            entry = runs.setdefault(label, {"page": t.page, "temp": t.temp, "members": len(t.measured), "rounds": []})
            try:
                info = measure.check(app, requests_for(t, (t.warmup or t.measured)[:1], args.gzip)[0])
                entry.setdefault("html_bytes", info.get("html_bytes"))
            except Exception as exc:
                log(f"{kind}: {label}: not measured ({exc})")
                entry["skipped"] = str(exc)[:600]
                continue
            pair = pair_run(
                app,
                bare,
                t,
                args,
                order=r + i,
                bare_warmup=r == 0 and i == 0,
                kind=kind,
                workdir=workdir,
                label=f"{kind}-{t.page}-{t.temp}-{r}",
                pg_database=db.pg_database,
            )
            entry["rounds"].append(pair)
    for entry in runs.values():
        if entry["rounds"]:
            entry["ratio"] = statistics.median(p["ratio"] for p in entry["rounds"])
            entry["p99_ms"] = max(p["app"]["p99_ms"] for p in entry["rounds"])
            entry["rps"] = statistics.median(p["app"]["rps"] for p in entry["rounds"])
            entry["repeats"] = max(p["app"]["requests"] for p in entry["rounds"]) > entry["members"]
    return list(runs.values()), app
