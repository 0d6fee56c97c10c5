"""CPU accounting from /proc: per process tree (servers, PostgreSQL) and machine-wide (busy, steal).

On a shared, noisy 2-core machine requests per second move with the neighbours; CPU time spent per
request moves much less, so the benchmark reports both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

TICK = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            raw = fh.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: everything after the last ")" is fields 3…
    return raw[raw.rindex(")") + 2 :].split()


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _all_pids() -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def _cpu_s(fields: list[str], *, children: bool = False) -> float:
    # fields[11], fields[12] = utime, stime; fields[13], fields[14] = cutime, cstime (reaped children)
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def tree_pids(root: int) -> list[int]:
    """root and all its descendants (uvicorn's supervisor and its worker processes)."""
    parents: dict[int, int] = {}
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields:
            parents[pid] = int(fields[1])
    out, frontier = [root], [root]
    while frontier:
        nxt = [p for p, pp in parents.items() if pp in frontier]
        out += nxt
        frontier = nxt
    return out


def tree_cpu_s(root: int) -> float:
    total = 0.0
    for pid in tree_pids(root):
        fields = _stat_fields(pid)
        if fields:
            total += _cpu_s(fields, children=True)
    return total


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def postgres_backends(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `database` (their title names it: "postgres: user
    db host(port) state"). The server is shared with other users of the machine, so the rest is left out."""
    out = {}
    for pid in _all_pids():
        if _comm(pid).startswith("postgres") and f" {database} " in cmdline(pid):
            fields = _stat_fields(pid)
            if fields:
                out[pid] = _cpu_s(fields)
    return out


def backends_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU the backends spent between the two samples. A backend that exited in between takes its CPU
    with it (the pool closed its connection): the figure is then a lower bound."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


@dataclass
class MachineSample:
    busy: int
    steal: int
    total: int


def machine_sample() -> MachineSample:
    with open("/proc/stat") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (parts + [0] * 8)[:8]
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return MachineSample(busy=user + nice + system + irq + softirq, steal=steal, total=total)


def machine_delta(a: MachineSample, b: MachineSample) -> dict[str, float]:
    """Shares of all cores' time: 1.0 busy means every core was busy."""
    total = max(1, b.total - a.total)
    return {"busy": (b.busy - a.busy) / total, "steal": (b.steal - a.steal) / total}
