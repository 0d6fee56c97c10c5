"""`app.main:app` with every password verification of a login timed, to see whether logins of different
workers verify at the same time.

Each verification appends "start end" (CLOCK_MONOTONIC, shared by all processes) to
$HOITHI_BENCH_PROBE_DIR/verify-<pid>.log; `overlap()` reads them back. The app itself is unchanged: the
wrapper costs a file append next to ~25 ms of argon2. Only used for the short diagnostic run after the
login benchmark proper, which serves the plain app.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PROBE_ENV = "HOITHI_BENCH_PROBE_DIR"


def overlap(probe_dir: Path) -> dict:
    """Most verifications in flight at once, and the share of verifying time with ≥ 2 in flight."""
    events: list[tuple[float, int]] = []
    for log in probe_dir.glob("verify-*.log"):
        for line in log.read_text().splitlines():
            start, end = map(float, line.split())
            events += [(start, 1), (end, -1)]
    events.sort()
    in_flight = most = 0
    last = None
    time_at: dict[int, float] = {}
    for t, step in events:
        if last is not None and in_flight:
            time_at[in_flight] = time_at.get(in_flight, 0.0) + t - last
        in_flight += step
        most = max(most, in_flight)
        last = t
    busy = sum(time_at.values()) or 1.0
    return {
        "verifications": len(events) // 2,
        "max_in_flight": most,
        "share_with_2_or_more": sum(v for k, v in time_at.items() if k >= 2) / busy,
        "mean_in_flight": sum(k * v for k, v in time_at.items()) / busy,
    }


def _build():
    import app.services.org.auth as auth_service
    from app.main import create_app

    probe_dir = Path(os.environ[PROBE_ENV])
    verify = getattr(auth_service, "verify_password", None)
    if verify is None:  # login no longer verifies through this name: nothing to time (0 verifications)
        return create_app()

    def timed_verify(*args, **kwargs):
        start = time.monotonic()
        try:
            return verify(*args, **kwargs)
        finally:
            with open(probe_dir / f"verify-{os.getpid()}.log", "a") as fh:
                fh.write(f"{start} {time.monotonic()}\n")

    auth_service.verify_password = timed_verify
    return create_app()


def __getattr__(name: str):
    if name == "app":
        globals()["app"] = _build()
        return globals()["app"]
    raise AttributeError(name)
