"""Fallback load client when wrk is not installed: N keep-alive HTTP/1.1 connections to 127.0.0.1, each
sending the next request of a round-robin list as soon as the previous answer is read, for a fixed time.

Raw asyncio streams rather than httpx: an httpx client spends more CPU per request than a bare FastAPI
endpoint does, and on a 2-core machine that would measure the client. Run as its own process:
`python -m bench.pyload spec.json`; prints one result line for bench.load."""

from __future__ import annotations

import asyncio
import json
import sys
import time

HOST = "127.0.0.1"  # never anything else


async def _connection(reqs: list[bytes], offset: int, deadline: float, timeout_s: float, lat: list[float], errors: dict[str, int]) -> None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, PORT), timeout_s)
    except (OSError, asyncio.TimeoutError):
        errors["connect"] += 1
        return
    i = offset
    try:
        while time.perf_counter() < deadline:
            req = reqs[i % len(reqs)]
            i += 1
            t0 = time.perf_counter()
            writer.write(req)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout_s)
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
                    break
            if length:
                await asyncio.wait_for(reader.readexactly(length), timeout_s)
            lat.append(time.perf_counter() - t0)
            if status >= 400:
                errors["status"] += 1
    except asyncio.TimeoutError:
        errors["timeout"] += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        errors["read"] += 1
    finally:
        writer.close()


def _pct(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return 0.0
    return sorted_ms[min(len(sorted_ms) - 1, int(round(p / 100 * (len(sorted_ms) - 1))))]


async def main(spec: dict) -> dict:
    reqs = [r.encode() for r in spec["requests"]]
    lat: list[float] = []
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    started = time.perf_counter()
    deadline = started + spec["duration_s"]
    n = spec["connections"]
    await asyncio.gather(*[_connection(reqs, k * len(reqs) // n, deadline, spec["timeout_s"], lat, errors) for k in range(n)])
    elapsed = time.perf_counter() - started
    ms = sorted(x * 1000 for x in lat)
    return {
        "requests": len(ms),
        "duration_s": elapsed,
        "errors": errors,
        "p50_ms": _pct(ms, 50),
        "p90_ms": _pct(ms, 90),
        "p95_ms": _pct(ms, 95),
        "p99_ms": _pct(ms, 99),
        "mean_ms": sum(ms) / len(ms) if ms else 0.0,
        "max_ms": ms[-1] if ms else 0.0,
    }


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        SPEC = json.load(fh)
    PORT = int(SPEC["port"])
    try:
        import uvloop

        result = uvloop.run(main(SPEC))
    except ImportError:
        result = asyncio.run(main(SPEC))
    print("BENCHJSON " + json.dumps(result), flush=True)
