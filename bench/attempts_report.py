"""The "Issue 4" section of bench/RESULTS.md from a bench.attempts run (bench/report.py writes it)."""

from __future__ import annotations

import statistics

from bench.report import _errors, _ms, command_line, machine_line

HEADER = "## Issue 4 — taking a round under load"
GOAL_STORM_S = 60.0
GOAL_RATIO = 0.2
GOAL_P99_MS = 150.0


def _dbs(results: dict) -> list[dict]:
    return [d for d in results.get("databases", []) if "skipped" not in d]


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _errs(errors: dict | int) -> str:
    if isinstance(errors, int):
        return str(errors)
    return ", ".join(f"{k} {v}" for k, v in errors.items()) or "0"


def save_stats(d: dict) -> dict | None:
    rounds = d.get("saves") or []
    if not rounds:
        return None
    return {
        "ratio": statistics.median(p["ratio"] for p in rounds),
        "p99_worst": max(p["save"]["p99_ms"] for p in rounds),
        "p99_median": statistics.median(p["save"]["p99_ms"] for p in rounds),
        "errors": sum(p["save"]["requests"] and sum(p["save"]["errors"].values()) for p in rounds),
        "cpu": statistics.median(p["save"]["server_cpu_ms_per_req"] for p in rounds),
        "bare_cpu": statistics.median(p["bare"]["server_cpu_ms_per_req"] for p in rounds),
        "pg_cpu": statistics.median(p["save"]["postgres_cpu_ms_per_req"] or 0.0 for p in rounds),
    }


def _auth_cache_s() -> float:
    from app.config import Settings

    return float(Settings.model_fields["auth_cache_s"].default)


def _comeback(dbs: list[dict], a: dict) -> str:
    return ", ".join(
        f"{d['kind']} {a['members'] / statistics.median(p['save']['rps'] for p in d['saves']):.0f} s" for d in dbs if d.get("saves")
    )


def _load_row(first: str, r: dict, extra: str) -> str:
    return (
        f"| {first} | {r['rps']:.1f} | {_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} | {_ms(r['p99_ms'])} | "
        f"{_errors(r)} | {_ms(r['server_cpu_ms_per_req'])} | {_ms(r.get('postgres_cpu_ms_per_req'))} | "
        f"{r['server_cores_used']:.2f} | {r['client_core_share']:.0%} | {r['other_cores']:.2f} |{extra}"
    )


def section(results: dict) -> str:
    a = results["args"]
    dbs = _dbs(results)
    lines = [
        HEADER,
        "",
        command_line(results, " (part of `make bench`)" if results["command"] == "python -m bench.attempts" else ""),
        "",
        machine_line(results),
        "",
    ]
    lines.append(
        f"Servers: `python -m app.serving --workers {a['workers']} --no-access-log` (uvicorn, each worker on its own "
        "SO_REUSEPORT socket) for the app (`app.main:app` on a throw-away "
        'database, bench/seed.py) and for the yardstick (`bench.bare_app:app`, `GET /ping` → `{"ok": true}`). '
        f"The bench unit holds {a['members']} + {a['round_members']} members, logged in beforehand (Bearer tokens "
        f"minted as app.services.org.auth does), and one published contest whose round is open now: {a['draw']} of "
        f"{a['questions']} questions drawn per attempt (one in four with several correct options), time limit 3600 s, "
        "one attempt per member, a prediction question (perfect scorers, locked by the first submission). "
        "Phases 1 and 3 are driven by bench/flows.py, an asyncio client on raw HTTP/1.1 streams in the benchmark's "
        "own process that reads every answer; phase 2 by the load client named above (bench/load.py). Latency is from sending a request to "
        'reading its whole answer; p50/p95/p99 are percentiles over all requests of the kind. "Errors" are '
        'answers with another status than expected and failed requests (connect, read, timeout). "Server CPU '
        'ms/req" is the CPU of the uvicorn processes divided by the requests; "PostgreSQL backend CPU" that of '
        "the backends connected to the benchmark database (a lower bound: a backend whose connection closes "
        'during the run takes its CPU along); "client CPU" what the load client used; "other processes" how '
        "many of the 2 cores everything else kept busy meanwhile (the noise)."
    )
    lines.append("")

    if any(d.get("storm") for d in dbs):
        lines += [
            f"### 1. Start storm: {a['members']} members each start their attempt once "
            f"(POST /api/v1/rounds/{{id}}/attempts, {a['start_connections']} connections)",
            "",
            f"| database | members | wall s (goal < {GOAL_STORM_S:.0f}) | starts/s | p50 ms | p95 ms | p99 ms | "
            "errors (goal 0) | server CPU ms/start | PostgreSQL backend CPU ms/start | client CPU s | "
            "other processes (cores) |",
            "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
        ]
        for d in dbs:
            s = d.get("storm")
            if s:
                lat = s["latency"].get("start", {})
                lines.append(
                    f"| {d['kind']} | {s['members']} | {s['wall_s']:.1f} | {s['starts_per_s']:.0f} | "
                    f"{_ms(lat.get('p50_ms'))} | {_ms(lat.get('p95_ms'))} | {_ms(lat.get('p99_ms'))} | "
                    f"{_errs(lat.get('errors', {}))} | {_ms(s['server_cpu_ms_per_req'])} | "
                    f"{_ms(s.get('postgres_cpu_ms_per_req'))} | {s['client_cpu_s']:.1f} | {s['other_cores']:.2f} |"
                )
        lines += [
            "",
            "Each start checks the member's eligibility and earlier attempts, draws the questions from "
            "the attempt's own seed and writes its snapshot (one attempt row and a row per question).",
            "",
        ]

    if any(d.get("saves") for d in dbs):
        lines += [
            f"### 2. Answer saves (PUT /api/v1/attempts/{{id}}/answers/{{position}}) against the bare endpoint "
            f"({a['save_connections']} connections)",
            "",
            "| run | req/s | p50 ms | p95 ms | p99 ms | errors | server CPU ms/req | PostgreSQL backend CPU ms/req | "
            "server cores used | client CPU (of 1 core) | other processes (cores) | saves : bare |",
            "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for d in dbs:
            for i, pair in enumerate(d.get("saves") or [], 1):
                lines.append(_load_row(f"{d['kind']} round {i}: bare /ping", pair["bare"], " |"))
                lines.append(_load_row(f"{d['kind']} round {i}: answer saves", pair["save"], f" **{pair['ratio']:.2f}** |"))
        lines += [
            "",
            f"wrk sends {a['save_requests']} distinct saves in turn (the attempts of phase 1, at two "
            "positions each, with option ids from their start answers; a save that comes round again "
            "overwrites the same answer), then starts over; the yardstick gets GET /ping with the same "
            f"Authorization headers. Runs of {a['duration']} s after {a['warmup']} s of warm-up, the two "
            "servers in turn, the order swapped every round. A member's saves come back about every "
            f"members ÷ req/s seconds ({_comeback(dbs, a)}), longer than the app keeps a member in its "
            f"per-process cache ({_auth_cache_s():g} s, HOITHI_AUTH_CACHE_S): as for members who tap every few "
            "tens of seconds, most saves load their member again.",
            "",
            f"| database | saves : bare, requests/s (median of rounds) | goal ≥ {GOAL_RATIO} | p99 of the saves, "
            f"worst round | goal < {GOAL_P99_MS:.0f} ms | errors |",
            "|---|---:|---|---:|---|---:|",
        ]
        for d in dbs:
            st = save_stats(d)
            if st:
                lines.append(
                    f"| {d['kind']} | {st['ratio']:.2f} | {_met(st['ratio'] >= GOAL_RATIO)} | "
                    f"{_ms(st['p99_worst'])} | {_met(st['p99_worst'] < GOAL_P99_MS)} | {st['errors']} |"
                )
        lines.append("")

    if any(d.get("round") for d in dbs):
        lines += [
            f"### 3. A whole round: {a['round_members']} other members, {a['round_concurrency']} at a time",
            "",
            "Each member starts, saves every answer in order, answers about "
            f"{a['reanswer']:.0%} of the questions again later with another choice (last write wins), saves a "
            "prediction and submits, request after request with no pause. Every save answered 200 with a "
            "saved_at is recorded, with the last such choice per (attempt, position); afterwards the "
            "database is read directly (app.models Answer, Attempt). Lost = missing (no answer row) + "
            "differing (the row holds another choice or another saved_at than the last acknowledged save); "
            "a row explained by a later save the client saw fail is counted apart.",
            "",
            "| database | members | wall s | requests | req/s | errors | acknowledged saves | lost (goal 0) | "
            "missing | differing | overwritten by an unacknowledged save | predictions lost | attempts not "
            "submitted | server CPU ms/req | PostgreSQL backend CPU ms/req | other processes (cores) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for d in dbs:
            r = d.get("round")
            if r:
                c = r["check"]
                lines.append(
                    f"| {d['kind']} | {r['members']} | {r['wall_s']:.1f} | {r['requests']} | "
                    f"{r['requests_per_s']:.0f} | {r['errors']} | {c['acknowledged_saves']} | **{c['lost']}** | "
                    f"{c['missing']} | {c['differing']} | {c['overwritten_unacknowledged']} | "
                    f"{c['predictions_lost']} | {c['not_submitted']} | {_ms(r['server_cpu_ms_per_req'])} | "
                    f"{_ms(r.get('postgres_cpu_ms_per_req'))} | {r['other_cores']:.2f} |"
                )
        lines += [
            "",
            "| database | request | count | p50 ms | p95 ms | p99 ms | max ms | errors |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for d in dbs:
            for kind in ("start", "save", "prediction", "submit"):
                k = (d.get("round") or {}).get("latency", {}).get(kind)
                if k:
                    lines.append(
                        f"| {d['kind']} | {kind} | {k['count']} | {_ms(k['p50_ms'])} | {_ms(k['p95_ms'])} | "
                        f"{_ms(k['p99_ms'])} | {_ms(k['max_ms'])} | {_errs(k['errors'])} |"
                    )
        lines.append("")

    lines += breakdown_lines(dbs)
    for d in results.get("databases", []):
        if "skipped" in d:
            lines += [f"{d['kind']}: skipped ({d['skipped']}).", ""]
        if d.get("breakdown_error"):
            lines += [f"{d['kind']}: the in-process breakdown failed: `{d['breakdown_error']}`.", ""]
    lines += ["### Interpretation", ""] + [f"- {b}" for b in interpret(results)] + [""]
    return "\n".join(lines)


def breakdown_lines(dbs: list[dict]) -> list[str]:
    broken = [d for d in dbs if d.get("breakdown")]
    if not broken:
        return []
    n = broken[0]["breakdown"]["iterations"]
    names = {"save": "answer save", "start": "start"}
    lines = [
        "### Where the CPU of a save and of a start goes",
        "",
        "bench/breakdown.py drives the ASGI apps in-process on one thread (no socket, anyio's thread pool "
        f"replaced by a direct call), {n} requests of each kind timed with `thread_time`, then as many again under "
        "cProfile: what the code costs without HTTP, threads, lock waits and the machine's noise. Saves go to "
        "the attempts of phase 1 and starts come from members who never started: in both, as in the load runs "
        "above, from members this process has not seen in the last seconds.",
        "",
        "| ms of CPU per request | " + " | ".join(d["kind"] for d in broken) + " |",
        "|---|" + "---:|" * len(broken),
    ]

    def row(label: str, get) -> str:
        cells = []
        for d in broken:
            try:
                cells.append(_ms(get(d)))
            except (KeyError, TypeError, statistics.StatisticsError):
                cells.append("–")
        return f"| {label} | " + " | ".join(cells) + " |"

    lines.append(row("in-process, bare /ping", lambda d: d["breakdown"]["bare"]["cpu_ms"]))
    for v in ("save", "start"):
        lines.append(row(f"in-process, {names[v]}", lambda d, v=v: d["breakdown"][v]["cpu_ms"]))
    lines.append(
        row("uvicorn under load, bare /ping, median of rounds (adds HTTP, the threadpool hops)", lambda d: save_stats(d)["bare_cpu"])
    )
    lines.append(row("uvicorn under load, answer save, median of rounds", lambda d: save_stats(d)["cpu"]))
    lines.append(row("uvicorn, start storm", lambda d: d["storm"]["server_cpu_ms_per_req"]))
    cols = [(d, v) for d in broken for v in ("save", "start") if v in d["breakdown"]]
    lines += [
        "",
        "Inclusive share of the in-process time in the app's own functions (cProfile, top 14 of each), then "
        "self time by library. cProfile clocks wall time on that one thread, so on PostgreSQL the psycopg share "
        "includes waiting for the server's answers.",
        "",
        "| function | " + " | ".join(f"{d['kind']} {names[v]}" for d, v in cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    funcs = list(dict.fromkeys(k for d, v in cols for k in d["breakdown"][v]["app_functions_pct"]))
    for f in funcs:
        lines.append(f"| `{f}` | " + " | ".join(f"{d['breakdown'][v]['app_functions_pct'].get(f, 0.0):.1f}%" for d, v in cols) + " |")
    lines.append(
        "| self time by library | "
        + " | ".join(", ".join(f"{k} {x:.0f}%" for k, x in d["breakdown"][v]["self_by_library_pct"].items() if x >= 2) for d, v in cols)
        + " |"
    )
    return lines + [""]


def interpret(results: dict) -> list[str]:
    out = []
    for d in _dbs(results):
        kind, parts = d["kind"], []
        s = d.get("storm")
        if s:
            parts.append(
                f"{s['members']} starts took {s['wall_s']:.0f} s "
                f"({'meets' if s['wall_s'] < GOAL_STORM_S else 'misses'} the < {GOAL_STORM_S:.0f} s goal) with "
                f"{s['errors']} errors ({'meets' if s['errors'] == 0 else 'misses'} the 0 goal), "
                f"{s['server_cpu_ms_per_req']:.1f} ms of server CPU per start"
            )
        st = save_stats(d)
        if st:
            text = (
                f"saves run at {st['ratio']:.2f} × the bare endpoint's requests/s "
                f"({'meets' if st['ratio'] >= GOAL_RATIO else 'misses'} ≥ {GOAL_RATIO}) with p99 up to "
                f"{st['p99_worst']:.0f} ms ({'meets' if st['p99_worst'] < GOAL_P99_MS else 'misses'} "
                f"< {GOAL_P99_MS:.0f} ms); "
                f"a save costs {st['cpu']:.2f} ms of server CPU against {st['bare_cpu']:.2f} ms for /ping"
            )
            if st["pg_cpu"]:
                text += f", plus {st['pg_cpu']:.2f} ms in PostgreSQL's backends"
            parts.append(text)
        r = d.get("round")
        if r:
            c = r["check"]
            ok = c["lost"] == 0 and c["not_submitted"] == 0 and r["errors"] == 0
            parts.append(
                f"a whole round for {r['members']} members took {r['wall_s']:.0f} s; of "
                f"{c['acknowledged_saves']} acknowledged saves {c['lost']} were lost, {c['not_submitted']} "
                f"attempts not submitted, {r['errors']} errors ({'meets' if ok else 'misses'} the zero goals)"
            )
        out.append(f"{kind}: " + "; ".join(parts) + ".")
        if st:
            cores = statistics.median(p["save"]["server_cores_used"] for p in d["saves"])
            bare_cores = statistics.median(p["bare"]["server_cores_used"] for p in d["saves"])
            busy = statistics.median(p["save"]["machine_busy"] for p in d["saves"])
            if busy < 0.85:
                out.append(
                    f"{kind}: during the saves the app's processes kept only {cores:.2f} cores busy (the bare "
                    f"endpoint {bare_cores:.2f}) while the machine was {busy:.0%} busy: saves wait as well as compute"
                    + " — each worker's taps wait for its tap writer thread (app.services.quiz.taps), which "
                    "saves those waiting together in one transaction"
                    + (
                        ", and the two workers' writers take turns at SQLite's single write lock (app.db)"
                        if kind == "sqlite"
                        else ", and each commit waits for PostgreSQL's WAL flush"
                    )
                    + "."
                )
        b = d.get("breakdown")
        if b and st:

            def top(v: str, b: dict = b) -> str:
                funcs = [(k, x) for k, x in b[v]["app_functions_pct"].items() if not k.startswith("app/routers/base.py")]
                return ", ".join(f"`{k.removeprefix('app/')}` {x:.0f}%" for k, x in funcs[:5])

            text = (
                f"{kind}, in-process on one thread: a save costs {b['save']['cpu_ms']:.2f} ms of CPU against "
                f"{b['bare']['cpu_ms']:.2f} ms for /ping (largest app functions, inclusive: {top('save')}); under "
                f"uvicorn it cost {st['cpu']:.2f} ms against {st['bare_cpu']:.2f} ms. The ≥ {GOAL_RATIO} goal leaves "
                f"about {st['bare_cpu'] * (1 / GOAL_RATIO - 1):.2f} ms of extra CPU per save on top of the bare request"
            )
            if "start" in b:
                per_start = d["storm"]["server_cpu_ms_per_req"] + (d["storm"].get("postgres_cpu_ms_per_req") or 0.0)
                text += (
                    f". A start costs {b['start']['cpu_ms']:.1f} ms in-process ({top('start')}) and "
                    f"{d['storm']['server_cpu_ms_per_req']:.1f} ms under uvicorn"
                    + (
                        f" plus {d['storm']['postgres_cpu_ms_per_req']:.1f} ms in PostgreSQL"
                        if d["storm"].get("postgres_cpu_ms_per_req")
                        else ""
                    )
                    + f", so 2 cores cap the storm near {2000 / per_start:.0f} starts/s"
                )
            out.append(text + ".")
    runs = [
        r
        for d in _dbs(results)
        for r in [p[k] for p in d.get("saves") or [] for k in ("bare", "save")] + [d[k] for k in ("storm", "round") if d.get(k)]
    ]
    other = [r["other_cores"] for r in runs if "other_cores" in r]
    if other and max(other) > 0.2:
        out.append(
            f"Noise: other processes kept {min(other):.1f}–{max(other):.1f} of the 2 cores busy during the phases "
            '(column "other processes"); rates and wall times are lower than on a quiet machine by about that '
            "much. Compare the ratios of runs taken back to back and the CPU per request."
        )
    return out
