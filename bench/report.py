"""bench/RESULTS.md: one section per issue; a run rewrites its own section and keeps the others."""

from __future__ import annotations

import statistics
import subprocess
from pathlib import Path

from bench.servers import ROOT

RESULTS = ROOT / "bench" / "RESULTS.md"
HEADER = "## Issue 2 — login and /me"
PREAMBLE = """# hoithi — benchmark results

`make bench` (= `.venv/bin/python -m bench.run` after `make setup services`) measures; each issue's
benchmark rewrites its own section below and leaves the others alone. Figures from a shared, noisy
machine: compare the ratios and the CPU per request measured in the same run, not absolute times
across runs.
"""
GOAL_RATIO = 0.5


def _git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "app", "migrations"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" with uncommitted changes under app/ or migrations/" if dirty else "")


def _ms(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _errors(r: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in r["errors"].items()) if r["errors"] else "0"


def _load_row(first: str, r: dict, extra: str = "") -> str:
    pg = _ms(r.get("postgres_cpu_ms_per_req"))
    return (
        f"| {first} | {r['rps']:.1f} | {_ms(r['p50_ms'])} | {_ms(r['p99_ms'])} | {_errors(r)} | "
        f"{_ms(r['server_cpu_ms_per_req'])} | {pg} | {r['server_cores_used']:.2f} | "
        f"{r['client_core_share']:.0%} | {r['other_cores']:.2f} |{extra}"
    )


_LOAD_HEAD = (
    "| {first} | req/s | p50 ms | p99 ms | errors | server CPU ms/req | PostgreSQL backend CPU ms/req | "
    "server cores used | client CPU (of 1 core) | other processes (cores) |{extra}\n"
    "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|{extra_sep}"
)


def _dbs(results: dict) -> list[dict]:
    return [d for d in results.get("databases", []) if "skipped" not in d]


def _ratio_stats(db: dict) -> tuple[float, float] | None:
    rounds = db.get("rounds") or []
    if not rounds:
        return None
    ratio = statistics.median(p["ratio"] for p in rounds)
    cpu_ratio = statistics.median(
        p["bare"]["server_cpu_ms_per_req"] / p["me"]["server_cpu_ms_per_req"] for p in rounds if p["me"]["server_cpu_ms_per_req"]
    )
    return ratio, cpu_ratio


def command_line(results: dict, what: str = "") -> str:
    return (
        f"Command: `{results['command']}`{what}, started "
        f"{results['started_at'].replace('T', ' ').replace('+00:00', ' UTC')}, took "
        f"{results['elapsed_s']:.0f} s. Code: {_git_rev()}."
    )


def machine_line(results: dict) -> str:
    """The machine, the versions and the load client (bench.run.machine_facts), for any issue's section."""
    m = results["machine"]
    pk = m["packages"]
    pg_version = next((d.get("server_version") for d in _dbs(results) if d["kind"] == "postgresql"), None)
    return (
        f"Machine: nproc = {m['nproc']} ({m['cpu_model']}), {m['mem_gib']} GiB, Linux {m['kernel']}, "
        f"load average at start {m['loadavg_at_start'][0]:.2f}; Python {m['python']}, SQLite {m['sqlite']}"
        + (f", PostgreSQL {pg_version} on the same machine" if pg_version else "")
        + f"; FastAPI {pk['fastapi']}, Starlette {pk['starlette']}, uvicorn {pk['uvicorn']} "
        f"(uvloop {pk['uvloop']}, httptools {pk['httptools']}), SQLAlchemy {pk['SQLAlchemy']}, "
        f"psycopg {pk['psycopg']}, argon2-cffi {pk['argon2-cffi']}. Load client: {m['client']}, "
        "one client thread, on 127.0.0.1, on the same 2 cores as the servers."
    )


def section(results: dict) -> str:
    a = results["args"]
    lines = [HEADER, ""]
    what = " (what `make bench` runs)" if results["command"] == "python -m bench.run" else ""
    lines.append(command_line(results, what))
    lines.append("")
    lines.append(machine_line(results))
    lines.append("")
    lines.append(
        f"Servers: `python -m app.serving --workers {a['workers']} --no-access-log` (uvicorn, each worker on "
        "its own SO_REUSEPORT socket) for the app (`app.main:app`, "
        "HOITHI_DATABASE_URL on a throw-away database) and for the yardstick "
        '(`bench.bare_app:app`, `@app.get("/ping") def ping(): return {"ok": True}`). '
        f"{a['members']} members, one password hash shared by all; requests go round robin over all "
        f"members. Each measured run lasts {a['duration']} s after {a['warmup']} s of warm-up. "
        '"Server CPU ms/req" is the CPU of the uvicorn processes divided by the requests served, '
        '"PostgreSQL backend CPU" that of the backends connected to the benchmark database (a lower '
        "bound: a backend whose connection the pool closes during the run takes its CPU along); "
        '"other processes" is how many of the 2 cores everything else on the machine kept busy '
        "meanwhile (busy time from /proc/stat minus the servers, the client and those backends): the "
        "noise. CPU per request moves much less with that noise than requests per second do."
    )
    lines.append("")

    hash_rows = results.get("hash")
    if hash_rows:
        lines += [
            "### 1. One password hash and one verification (argon2id)",
            "",
            "| parameters | m (KiB) | t | p | samples | hash CPU ms | hash wall ms | verify CPU ms | verify wall ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for h in hash_rows:
            p = h["params"]
            lines.append(
                f"| {h['label']} | {p['memory_cost']} | {p['time_cost']} | {p['parallelism']} | "
                f"{h['samples']} | {h['hash_cpu_ms']:.1f} | {h['hash_wall_ms']:.1f} | "
                f"{h['verify_cpu_ms']:.1f} | {h['verify_wall_ms']:.1f} |"
            )
        lines += [
            "",
            "Medians of `time.process_time()` (CPU of all threads) and `time.perf_counter()` around "
            "`app.security.hash_password` / `verify_password` and pwdlib's `PasswordHash.recommended()`.",
            "",
        ]

    dbs = _dbs(results)
    if any("login" in d for d in dbs):
        lines += [
            f"### 2. Logins per second (POST /api/v1/auth/token, JSON, {a['login_connections']} connections)",
            "",
            _LOAD_HEAD.format(first="database", extra="", extra_sep=""),
        ]
        for d in dbs:
            if "login" in d:
                lines.append(_load_row(d["kind"], d["login"]))
        lines.append("")
        probes = [d for d in dbs if d.get("login_probe")]
        if probes:
            lines += [
                "Do the argon2 verifications of concurrent logins overlap? A short extra run per database on "
                "`bench.login_probe:app` (the same app, each verification's start and end logged):",
                "",
                "| database | verifications | most in flight at once | share of verifying time with ≥ 2 in flight | logins/s in that run |",
                "|---|---:|---:|---:|---:|",
            ]
            for d in probes:
                o = d["login_probe"]
                lines.append(
                    f"| {d['kind']} | {o['verifications']} | {o['max_in_flight']} | {o['share_with_2_or_more']:.0%} | {o['rps']:.1f} |"
                )
            lines.append("")

    if any(d.get("rounds") for d in dbs):
        lines += [
            f"### 3. GET /api/v1/me (Bearer) against the bare endpoint ({a['me_connections']} connections)",
            "",
            _LOAD_HEAD.format(first="run", extra=" /me : bare |", extra_sep="---:|"),
        ]
        for d in dbs:
            for i, pair in enumerate(d.get("rounds") or [], 1):
                lines.append(_load_row(f"{d['kind']} round {i}: bare /ping", pair["bare"], " |"))
                lines.append(_load_row(f"{d['kind']} round {i}: /api/v1/me", pair["me"], f" **{pair['ratio']:.2f}** |"))
            if d.get("cold"):
                c = d["cold"]
                lines.append(_load_row(f"{d['kind']} cold: bare /ping", c["bare"], " |"))
                lines.append(
                    _load_row(f"{d['kind']} cold: /api/v1/me, {c['distinct_members']} members in turn", c["me"], f" **{c['ratio']:.2f}** |")
                )
        lines += [
            "",
            f"Rounds: requests go round robin over {a['members']} members, so each comes back every "
            "fraction of a second (per-process caches stay warm). Cold: round robin over "
            f"{a.get('cold_members', 0)} other members, so a member comes back only after "
            "members ÷ requests/s seconds (shown below): what a contest with many members, each asking now "
            "and then, looks like to a per-process cache.",
            "",
            "| database | /me : bare, requests/s (median of rounds) | bare : /me, server CPU per request | "
            f"goal ≥ {GOAL_RATIO} | cold: /me : bare | cold: a member comes back after |",
            "|---|---:|---:|---|---:|---:|",
        ]
        for d in dbs:
            stats = _ratio_stats(d)
            if stats:
                c = d.get("cold")
                cold = f"{c['ratio']:.2f} | {c['distinct_members'] / max(c['me']['rps'], 0.001):.0f} s" if c else "– | –"
                lines.append(
                    f"| {d['kind']} | {stats[0]:.2f} | {stats[1]:.2f} | {'met' if stats[0] >= GOAL_RATIO else '**not met**'} | {cold} |"
                )
        lines.append("")

    broken = [d for d in dbs if d.get("breakdown")]
    if broken:
        n = broken[0]["breakdown"]["iterations"]
        lines += [
            "### Where the CPU of /me goes",
            "",
            "bench/breakdown.py drives the ASGI apps in-process on one thread (no socket, anyio's thread "
            f"pool replaced by a direct call), {n} requests each, timed with `thread_time`, then as many "
            "again under cProfile: what the code costs with HTTP, threads and the machine's noise taken "
            'away. "warm": members who each asked a moment before (as in the rounds); "cold": members '
            "never seen by this process (as in the cold run).",
            "",
        ]
        cols = [(d, v) for d in broken for v in ("me", "me_cold") if v in d["breakdown"]]
        name = {"me": "warm", "me_cold": "cold"}
        lines += ["| ms of CPU per request | " + " | ".join(d["kind"] for d in broken) + " |", "|---|" + "---:|" * len(broken)]
        lines.append("| in-process, bare /ping | " + " | ".join(f"{d['breakdown']['bare']['cpu_ms']:.2f}" for d in broken) + " |")
        for v in ("me", "me_cold"):
            if any(v in d["breakdown"] for d in broken):
                lines.append(
                    f"| in-process, GET /api/v1/me, {name[v]} | "
                    + " | ".join(f"{d['breakdown'][v]['cpu_ms']:.2f}" if v in d["breakdown"] else "–" for d in broken)
                    + " |"
                )
        if all(d.get("rounds") for d in broken):
            lines.append(
                "| uvicorn under load, bare /ping, median of rounds (adds HTTP, the threadpool hop) | "
                + " | ".join(f"{statistics.median(p['bare']['server_cpu_ms_per_req'] for p in d['rounds']):.2f}" for d in broken)
                + " |"
            )
            lines.append(
                "| uvicorn under load, /me warm, median of rounds | "
                + " | ".join(f"{statistics.median(p['me']['server_cpu_ms_per_req'] for p in d['rounds']):.2f}" for d in broken)
                + " |"
            )
            if any(d.get("cold") for d in broken):
                lines.append(
                    "| uvicorn under load, /me cold | "
                    + " | ".join(f"{d['cold']['me']['server_cpu_ms_per_req']:.2f}" if d.get("cold") else "–" for d in broken)
                    + " |"
                )
        lines += [
            "",
            "Inclusive share of /me's in-process time in the app's own functions (cProfile, top 14 of each), "
            "then self time by library. cProfile clocks wall time on that one thread, so on PostgreSQL the "
            "psycopg share includes waiting for the server's answers.",
            "",
            "| function | " + " | ".join(f"{d['kind']} {name[v]}" for d, v in cols) + " |",
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
        lines.append("")

    skipped = [d for d in results.get("databases", []) if "skipped" in d]
    for d in skipped:
        lines += [f"{d['kind']}: skipped ({d['skipped']}).", ""]

    lines += ["### Interpretation", ""] + [f"- {b}" for b in interpret(results)] + [""]
    return "\n".join(lines)


def interpret(results: dict) -> list[str]:
    out: list[str] = []
    nproc = results["machine"]["nproc"]
    hash_rows = results.get("hash") or []
    ours = next((h for h in hash_rows if "ours" in h["label"]), None)
    default = next((h for h in hash_rows if "default" in h["label"]), None)
    ceiling = None
    if ours:
        ceiling = nproc * 1000 / ours["verify_cpu_ms"]
        text = (
            f"Hashing: one verification with our parameters costs {ours['verify_cpu_ms']:.0f} ms of CPU, so "
            f"{nproc} cores can verify at most ≈{ceiling:.0f} logins/s with nothing else running"
        )
        if default:
            factor = default["verify_cpu_ms"] / ours["verify_cpu_ms"]
            p = default["params"]
            speedup = default["verify_cpu_ms"] / default["verify_wall_ms"] if default["verify_wall_ms"] else 1.0
            text += (
                f"; pwdlib's defaults (m = {p['memory_cost'] // 1024} MiB, t = {p['time_cost']}, "
                f"p = {p['parallelism']}) cost {default['verify_cpu_ms']:.0f} ms, {factor:.1f}× as much, which "
                f"would cap the same machine at ≈{nproc * 1000 / default['verify_cpu_ms']:.0f} logins/s. Their "
                f"{p['parallelism']} lanes make one verification only {speedup:.1f}× faster in wall time than "
                "its CPU time here, and buy nothing when every core is busy with other logins."
            )
        else:
            text += "."
        out.append(text)
    logins = {d["kind"]: d["login"] for d in _dbs(results) if "login" in d}
    if logins:
        parts = []
        for kind, r in logins.items():
            share = f" ({r['rps'] / ceiling:.0%} of that ceiling)" if ceiling else ""
            parts.append(
                f"{kind} {r['rps']:.0f} logins/s{share}, p50 {r['p50_ms']:.0f} ms, "
                f"p99 {r['p99_ms']:.0f} ms, {r['server_cpu_ms_per_req']:.0f} ms of server CPU per login"
            )
        out.append("Logins: " + "; ".join(parts) + ".")
        probes = {d["kind"]: d["login_probe"] for d in _dbs(results) if d.get("login_probe")}
        sq = probes.get("sqlite")
        if sq and sq["max_in_flight"] <= 1 and sq["verifications"] > 10:
            others = "; on PostgreSQL up to {} overlapped".format(probes["postgresql"]["max_in_flight"]) if "postgresql" in probes else ""
            out.append(
                f"On SQLite no two verifications ever overlapped ({sq['verifications']} logins, from "
                f"{results['args']['login_connections']} connections and {results['args']['workers']} workers"
                f"{others}): logins verify one at a time, so SQLite logins can use one core, whatever the number "
                "of cores and workers. Cause: POST requests get a writing session (app.deps.get_session → "
                "app.db.writer), whose first query — the throttle lookup in app.services.org.auth.login — opens "
                "BEGIN IMMEDIATE, and the transaction, with SQLite's one write lock, stays open through "
                "verify_password's ~25 ms of argon2. Waiting logins poll the lock (busy_timeout backs off up to "
                "100 ms between tries), which is also why the SQLite p99 is seconds while the p50 is tens of "
                "milliseconds."
            )
        elif sq and sq["verifications"] == 0:
            out.append(
                "The login probe timed no verification: app.services.org.auth no longer calls "
                "verify_password by that name; update bench/login_probe.py."
            )
        elif sq:
            out.append(f"On SQLite up to {sq['max_in_flight']} verifications overlapped: logins are not serialized by the database.")
    for d in _dbs(results):
        stats = _ratio_stats(d)
        if not stats:
            continue
        ratio, cpu_ratio = stats
        rounds = d["rounds"]
        bare_cpu = statistics.median(p["bare"]["server_cpu_ms_per_req"] for p in rounds)
        me_cpu = statistics.median(p["me"]["server_cpu_ms_per_req"] for p in rounds)
        pg_cpu = [p["me"]["postgres_cpu_ms_per_req"] for p in rounds if p["me"].get("postgres_cpu_ms_per_req")]
        text = (
            f"/me on {d['kind']}: {ratio:.2f} × the bare endpoint's requests/s "
            f"({'meets' if ratio >= GOAL_RATIO else 'misses'} the ≥ {GOAL_RATIO} goal). Per request the "
            f"uvicorn processes spend {me_cpu:.2f} ms of CPU on /me against {bare_cpu:.2f} ms on /ping, so the "
            f"app's own work is ≈{me_cpu - bare_cpu:.2f} ms"
        )
        if pg_cpu:
            text += f", plus {statistics.median(pg_cpu):.2f} ms in PostgreSQL's backends on the same cores"
        c = d.get("cold")
        if c:
            text += (
                f". When no member comes back within seconds (cold run) the ratio is {c['ratio']:.2f} "
                f"({'meets' if c['ratio'] >= GOAL_RATIO else 'misses'} the goal) at "
                f"{c['me']['server_cpu_ms_per_req']:.2f} ms of server CPU per request"
            )
            opened = c["me"].get("postgres_new_connections")
            if opened:
                text += (
                    f"; the connection pools opened {opened} new PostgreSQL connections during that run "
                    f"({opened / c['me']['duration_s']:.0f}/s: more requests in flight per worker than "
                    "pool_size, so overflow connections are opened and closed again)"
                )
        out.append(text + ".")
        b = d.get("breakdown")
        if b:

            def top(v: str, b: dict = b) -> str:
                funcs = list(b[v]["app_functions_pct"].items())[:4]
                return ", ".join(f"`{k.split(':')[-1]}` {x:.0f}%" for k, x in funcs)

            text = (
                f"In-process on one thread, /me from a warm member costs {b['me']['cpu_ms']:.2f} ms against "
                f"{b['bare']['cpu_ms']:.2f} ms for /ping; largest app functions, inclusive: {top('me')}"
            )
            if "me_cold" in b:
                libs = b["me_cold"]["self_by_library_pct"]
                text += (
                    f". From a cold member it costs {b['me_cold']['cpu_ms']:.2f} ms: {top('me_cold')}; "
                    f"SQLAlchemy's own code is {libs.get('sqlalchemy', 0):.0f}% of that"
                )
            out.append(
                text + f". With the bare request at {bare_cpu:.2f} ms under uvicorn, the ≥ {GOAL_RATIO} goal "
                f"leaves about {bare_cpu * (1 / GOAL_RATIO - 1):.2f} ms of extra CPU per /me request."
            )

    client = [
        r
        for d in _dbs(results)
        for r in ([d["login"]] if "login" in d else [])
        + [p[k] for p in d.get("rounds") or [] for k in ("bare", "me")]
        + ([d["cold"]["me"]] if d.get("cold") else [])
    ]
    if client:
        worst = max(client, key=lambda r: r["client_core_share"])
        out.append(
            f"Client: the load client used at most {worst['client_core_share']:.0%} of one core "
            f"({worst['label']}) and the machine was {min(r['machine_busy'] for r in client):.0%}–"
            f"{max(r['machine_busy'] for r in client):.0%} busy, so the servers, not the client, set the "
            "rates. The client's share is CPU taken from the servers on 2 cores; it is largest for the "
            "fastest endpoint (/ping), which makes the /me : bare ratio slightly generous."
        )
        other = [r["other_cores"] for r in client]
        steal = max(r["machine_steal"] for r in client)
        if max(other) > 0.2 or steal > 0.05:
            out.append(
                f"Noise: other processes kept {min(other):.1f}–{max(other):.1f} of the 2 cores busy during the "
                f"runs"
                + (f" and the hypervisor stole up to {steal:.0%}" if steal > 0.05 else "")
                + ". Absolute rates are lower than on a quiet machine by about that much; the ratios of runs "
                "taken back to back and the CPU per request are the figures to compare."
            )
    return out


def write(results: dict, path: Path = RESULTS) -> Path:
    return write_section(HEADER, section(results), path)


def write_section(header: str, content: str, path: Path = RESULTS) -> Path:
    """Replace the section that starts with `header` (a "## " line) by `content`, keeping the others."""
    new = content.rstrip() + "\n"
    text = path.read_text() if path.exists() else PREAMBLE
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == header), None)
    if start is None:
        body = text.rstrip() + "\n\n" + new
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        rest = "".join(lines[end:])
        body = "".join(lines[:start]) + new + ("\n" + rest if rest else "")
    path.write_text(body)
    return path
