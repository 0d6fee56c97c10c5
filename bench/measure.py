"""One measured load run against one server: load figures plus the CPU the server processes, PostgreSQL,
the client and the whole machine spent meanwhile."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from pathlib import Path

from bench import load, procstat, seed
from bench.load import Request
from bench.servers import HOST, Server


def check(server: Server, req: Request, expect: int = 200) -> dict:
    """One request by hand before any load: a wrong status stops the benchmark instead of measuring
    error pages."""
    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
    try:
        conn.request(req.method, req.path, body=req.body.encode() or None, headers=req.headers)
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    if resp.status != expect:
        raise RuntimeError(f"{req.method} {req.path} on {server.name}: {resp.status} {body[:500]!r}")
    if resp.getheader("content-type", "").startswith("text/html"):
        return {"html_bytes": len(body)}
    return json.loads(body) if body else {}


def run(
    server: Server,
    requests: list[Request],
    *,
    connections: int,
    duration_s: int,
    warmup_s: int,
    workdir: Path,
    label: str,
    pg_database: str | None = None,
    warmup_requests: list[Request] | None = None,
) -> dict:
    """warmup_requests: others than the measured ones (default the same), e.g. for a run whose requests must
    each be new to the server."""
    if warmup_s:
        load.run(
            server.port, warmup_requests or requests, connections=connections, duration_s=warmup_s, workdir=workdir, label=f"{label}-warmup"
        )

    def pg_sample() -> dict[int, float]:
        return procstat.postgres_backends(pg_database) if pg_database else {}

    sessions0 = seed.pg_sessions(pg_database) if pg_database else 0
    cpu0, pg0, m0 = server.cpu_s(), pg_sample(), procstat.machine_sample()
    res = load.run(server.port, requests, connections=connections, duration_s=duration_s, workdir=workdir, label=label, timeout_s=30)
    cpu1, pg1, m1 = server.cpu_s(), pg_sample(), procstat.machine_sample()
    pg_cpu = procstat.backends_delta(pg0, pg1)
    sessions1 = seed.pg_sessions(pg_database) if pg_database else 0
    n = max(1, res.requests)
    machine = procstat.machine_delta(m0, m1)
    secs = res.duration_s or 1.0
    ours = (cpu1 - cpu0 + pg_cpu + res.client_cpu_s) / secs
    return {
        **res.as_dict(),
        "label": label,
        "server": server.name,
        "workers": server.workers,
        "server_cpu_ms_per_req": (cpu1 - cpu0) * 1000 / n,
        "server_cores_used": (cpu1 - cpu0) / secs,
        "postgres_cpu_ms_per_req": pg_cpu * 1000 / n if pg_database else None,
        # Connections opened to the benchmark database during the run: a pool that opens and closes
        # connections under load pays a PostgreSQL backend start for each.
        "postgres_new_connections": sessions1 - sessions0 if pg_database else None,
        "client_core_share": res.client_cpu_s / secs,
        "machine_busy": machine["busy"],
        "machine_steal": machine["steal"],
        # Cores kept busy by everything else on the machine (other tests, other databases) meanwhile.
        "other_cores": max(0.0, machine["busy"] * procstat.NPROC - ours),
    }


def against_bare(
    app: Server,
    app_reqs: list[Request],
    bare: Server,
    bare_reqs: list[Request],
    *,
    name: str,
    rounds: int,
    first: int = 0,
    connections: int,
    duration_s: int,
    warmup_s: int,
    workdir: Path,
    label: str,
    pg_database: str | None,
    log: Callable[[int, str, dict], None],
    app_warmup: list[Request] | None = None,
) -> list[dict]:
    """`rounds` pairs of runs, the app (results under `name`) and the bare yardstick in turn, the order swapped
    every round so that both see the same machine; each pair with its ratio app : bare (requests/s).
    `first` shifts which one goes first; log(round, which, result) is called after each run."""
    pairs = []
    for i in range(first, first + rounds):
        pair: dict = {}
        order = (("bare", bare, bare_reqs), (name, app, app_reqs))
        for which, server, reqs in order if i % 2 == 0 else order[::-1]:
            r = run(
                server,
                reqs,
                connections=connections,
                duration_s=duration_s,
                warmup_s=warmup_s,
                workdir=workdir,
                label=f"{label}-{which}-{i + 1}",
                pg_database=pg_database if server is app else None,
                warmup_requests=app_warmup if server is app else None,
            )
            log(i + 1, which, r)
            pair[which] = r
        pair["ratio"] = pair[name]["rps"] / pair["bare"]["rps"] if pair["bare"]["rps"] else 0.0
        pairs.append(pair)
    return pairs
