"""The "Issue 19" section of bench/RESULTS.md from a bench.journey run (bench/report.py writes it)."""

from __future__ import annotations

import statistics

from bench.report import _ms, command_line, machine_line

HEADER = "## Issue 19 — the member's whole journey"
STEPS = ("home", "rules", "start", "quiz", "tap", "prediction", "submit", "result", "cell_board", "union_board")
STEP_NAMES = {
    "home": "GET / (home)",
    "rules": "GET /rounds/{id}/enter (rules, start step)",
    "start": "POST /rounds/{id}/start → 303",
    "quiz": "GET /attempts/{id} (quiz page)",
    "tap": "POST /attempts/{id}/answer/{n} (htmx tap)",
    "prediction": "POST /attempts/{id}/prediction (htmx)",
    "submit": "POST /attempts/{id}/submit → 303",
    "result": "GET /attempts/{id}/result",
    "cell_board": "GET /rounds/{id}/board?unit=<cell>",
    "union_board": "GET /rounds/{id}/board (whole contest)",
}
PAGE_NAMES = {
    "home": "home `/`",
    "rules": "rules `/rounds/{id}/enter`",
    "quiz": "quiz page `/attempts/{id}`",
    "result": "result `/attempts/{id}/result`",
    "me": "`/api/v1/me` (Bearer)",
    "cell_board": "cell board `/rounds/{id}/board?unit=…`",
}
GOAL_PER_MIN = 3000
COMMITTEE = 8292
GOAL_P99_MS = 50.0
GOALS = {"home": 0.3, "rules": 0.3, "quiz": 0.3, "result": 0.3, "me": 0.5, "cell_board": 0.3}  # ratio to bare


def _dbs(results: dict) -> list[dict]:
    return [d for d in results.get("databases", []) if "skipped" not in d]


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _errs(errors: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in errors.items()) or "0"


def journey_line(kind: str, j: dict) -> str:
    c = j["check"]
    steps = ", ".join(f"{k} {v['p99_ms']:.0f}" for k, v in j["latency"].items())
    return (
        f"{kind}: {j['completed']}/{j['members']} journeys in {j['wall_s']:.1f} s = {j['journeys_per_min']:.0f}/min, "
        f"{j['errors']} errors, {c['acknowledged_taps']} taps acknowledged, lost {c['lost']}, not submitted "
        f"{c['not_submitted']}; server CPU {j['server_cpu_ms_per_journey']:.0f} ms/journey; p99 ms: {steps}"
        + (f"; first errors: {j['error_samples']}" if j["error_samples"] else "")
    )


def _page_goal(p: dict) -> bool:
    p99_ok = p["page"] in ("me", "cell_board") or p["p99_ms"] < GOAL_P99_MS
    return p["ratio"] >= GOALS[p["page"]] and p99_ok


def journey_lines(results: dict) -> list[str]:
    a = results["args"]
    lines = [
        f"### 1. Journeys ({a['members']:,} members in {a['cells']} cells, {a['concurrency']} at once, no think time)",
        "",
        "Each member arrives once with the login cookie already set (a token minted as a login mints it), never seen "
        "by the server before, and goes through the pages as a phone's browser does: the CSRF seed cookie the "
        "first page sets is sent back; the start and submit are form posts with the CSRF field, the 303 answered "
        "by a GET; the 20 questions' option ids and the CSRF token are read from the quiz page's HTML; each tap "
        "is htmx's POST of that question's fields (a checkbox question's empty hidden field included) with "
        f"`HX-Request` and `X-CSRF-Token`, about {a['reanswer']:.0%} of the questions tapped again later with another "
        "choice" + ("; every request asks for gzip" if a["gzip"] else "") + ". Static files (CSS, JS) are left out: "
        "a phone has them cached. A journey counts as completed when every one of its requests got the expected "
        "status (200, or 303 for start and submit). Afterwards the database is read: lost = an acknowledged "
        "tap's position without a row or holding another choice than the last acknowledged tap.",
        "",
        f"| database | journeys | wall s | journeys/min (goal ≥ {GOAL_PER_MIN:,}) | {COMMITTEE:,} members in (goal < 3 min) "
        "| journey p50 / p99 s | requests | errors | acknowledged taps | lost (goal 0) | predictions lost | attempts not "
        "submitted | server CPU ms/journey | PostgreSQL backend CPU ms/journey | other processes (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in _dbs(results):
        j = d.get("journeys")
        if not j:
            continue
        c, rate = j["check"], j["journeys_per_min"]
        whole = COMMITTEE / rate if rate else float("inf")
        lines.append(
            f"| {d['kind']} | {j['completed']:,} of {j['members']:,} | {j['wall_s']:.1f} | **{rate:,.0f}** ({_met(rate >= GOAL_PER_MIN)}) "
            f"| {whole:.1f} min | {j['journey_s']['p50']:.1f} / {j['journey_s']['p99']:.1f} | {j['requests']:,} | {j['errors']} "
            f"| {c['acknowledged_taps']:,} | **{c['lost']}** | {c['predictions_lost']} | {c['not_submitted']} "
            f"| {j['server_cpu_ms_per_journey']:.0f} | {_ms(j.get('postgres_cpu_ms_per_journey'))} | {j['other_cores']:.2f} |"
        )
    lines += ["", "| database | step | count | p50 ms | p95 ms | p99 ms | max ms | errors |", "|---|---|---:|---:|---:|---:|---:|---|"]
    for d in _dbs(results):
        for step, s in (d.get("journeys") or {}).get("latency", {}).items():
            lines.append(
                f"| {d['kind']} | {STEP_NAMES.get(step, step)} | {s['count']:,} | {_ms(s['p50_ms'])} | {_ms(s['p95_ms'])} "
                f"| {_ms(s['p99_ms'])} | {_ms(s['max_ms'])} | {_errs(s['errors'])} |"
            )
    for d in _dbs(results):
        for step, sample in (d.get("journeys") or {}).get("error_samples", {}).items():
            lines.append(f"\n{d['kind']}, first failure of {step}: `{sample[:300]}`")
    return lines + [""]


def page_lines(results: dict) -> list[str]:
    a = results["args"]
    lines = [
        f"### 2. Pages against the bare endpoint ({a['connections']} connections, {a['duration']} s per run after "
        f"{a['warmup']} s of warm-up, {a['rounds']} round(s), {a['workers']} uvicorn workers)",
        "",
        "Each page run is paired with a run of the bare endpoint (bench/bare_app.py, `GET /ping` with the same "
        "headers; its warm-up only before the first pair) served the same way, the order swapped from pair to pair; "
        "ratio = the page's requests/s ÷ the bare endpoint's in the same pair, the median of the rounds (p99: the worst "
        "round). Page requests carry the login cookie" + (" and ask for gzip, as phones do" if a["gzip"] else "") + ". Warm: "
        f"{a['warm_members']} members in turn, each back within a fraction of a second, with the CSRF seed cookie "
        "their first page set. Cold: the app is restarted at the start of each round, and each cold run takes "
        "members of its own, each asked once, after a warm-up on yet other members: what units share is "
        "cached, but every measured member is new to the worker (member snapshot, token signature, rank card), "
        'with only the login cookie, as on a first visit ("some twice": the run outlasted its members); the quiz '
        f"page's are {a['page_members']:,} other members' attempts in progress (started over the API beforehand), "
        "the result page's the journeys' submitted attempts, the others members who never started.",
        "",
        "| database | page | member | members in turn | KiB sent | req/s | p99 ms | bare req/s | server CPU ms/req "
        "(bare) | page : bare | goal |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for d in _dbs(results):
        for p in d.get("pages") or []:
            name = PAGE_NAMES.get(p["page"], p["page"])
            if "ratio" not in p:
                lines.append(f"| {d['kind']} | {name} | {p['temp']} | not measured: {p.get('skipped', '')[:200]} | | | | | | | |")
                continue
            rs = p["rounds"]
            bare_rps = statistics.median(x["bare"]["rps"] for x in rs)
            cpu = statistics.median(x["app"]["server_cpu_ms_per_req"] for x in rs)
            bare_cpu = statistics.median(x["bare"]["server_cpu_ms_per_req"] for x in rs)
            goal = f"≥ {GOALS[p['page']]}" + ("" if p["page"] in ("me", "cell_board") else f", p99 < {GOAL_P99_MS:.0f} ms")
            kib = f"{p['html_bytes'] / 1024:.1f}" if p.get("html_bytes") else "–"
            repeats = " (some twice)" if p["temp"] == "cold" and p.get("repeats") else ""
            lines.append(
                f"| {d['kind']} | {name} | {p['temp']} | {p['members']:,}{repeats} | {kib} | {p['rps']:.0f} | {_ms(p['p99_ms'])} "
                f"| {bare_rps:.0f} | {_ms(cpu)} ({_ms(bare_cpu)}) | **{p['ratio']:.2f}** | {goal}: {_met(_page_goal(p))} |"
            )
    return lines + [""]


def section(results: dict) -> str:
    lines = [HEADER, "", command_line(results), "", machine_line(results), ""]
    lines += journey_lines(results)
    if any(d.get("pages") for d in _dbs(results)):
        lines += page_lines(results)
    for d in results.get("databases", []):
        if "skipped" in d:
            lines += [f"{d['kind']}: skipped ({d['skipped']}).", ""]
    return "\n".join(lines)
