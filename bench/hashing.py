"""CPU cost of one argon2id hash and one verification: app.security's parameters against pwdlib's
defaults. CPU time (process_time, all threads) is what bounds logins per core; wall time is shown too
because pwdlib's default parallelism = 4 spreads one hash over 4 threads."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app import security

PASSWORD = "MatKhau#2025"


def _timed(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """Median CPU ms and median wall ms of n calls (after one untimed warm-up call)."""
    fn()
    cpu, wall = [], []
    for _ in range(n):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu) * 1000, statistics.median(wall) * 1000


def _params(hasher: Argon2Hasher) -> dict[str, int]:
    ph = hasher._hasher  # argon2.PasswordHasher
    return {"time_cost": ph.time_cost, "memory_cost": ph.memory_cost, "parallelism": ph.parallelism}


def measure(samples: int, *, default_samples: int | None = None) -> list[dict]:
    ours_hash = security.hash_password(PASSWORD)
    default = PasswordHash.recommended()
    default_hash = default.hash(PASSWORD)
    rows = []
    for label, n, hasher, do_hash, do_verify in (
        (
            "app.security (ours)",
            samples,
            security.password_hash.hashers[0],
            lambda: security.hash_password(PASSWORD),
            lambda: security.verify_password(PASSWORD, ours_hash),
        ),
        (
            "pwdlib default (PasswordHash.recommended())",
            default_samples or samples,
            default.hashers[0],
            lambda: default.hash(PASSWORD),
            lambda: default.verify(PASSWORD, default_hash),
        ),
    ):
        assert isinstance(hasher, Argon2Hasher)
        hash_cpu, hash_wall = _timed(do_hash, n)
        verify_cpu, verify_wall = _timed(do_verify, n)
        rows.append(
            {
                "label": label,
                "params": _params(hasher),
                "samples": n,
                "hash_cpu_ms": hash_cpu,
                "hash_wall_ms": hash_wall,
                "verify_cpu_ms": verify_cpu,
                "verify_wall_ms": verify_wall,
            }
        )
    assert security.verify_password(PASSWORD, ours_hash) == (True, None), "bench hash would be rehashed"
    return rows
