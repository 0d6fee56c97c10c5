"""uvicorn servers as subprocesses on free loopback ports: started, waited for, always stopped."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import procstat

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"

_running: list[Server] = []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """`python -m app.serving <target> --workers N` in its own process group, logging to log_path.

    Access logs are off for the app and the yardstick alike; the startup lines stay on (level info),
    because "Application startup complete." once per worker is how readiness is known."""

    def __init__(self, name: str, target: str, *, workers: int, env: dict[str, str], log_path: Path) -> None:
        self.name, self.target, self.workers = name, target, workers
        self.port = free_port()
        self.log_path = log_path
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout_s: float = 60) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOITHI_")}
        env.update(self.env)
        # served like `hoithi serve`: with several workers, each on its own SO_REUSEPORT socket (app.serving),
        # so a run's connections spread over the workers instead of all landing on whichever woke first
        cmd = [
            sys.executable,
            "-m",
            "app.serving",
            self.target,
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
            "--log-level",
            "info",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        log.close()
        _running.append(self)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} server exited at start; see {self.log_path}:\n{self._tail()}")
            if self.log_path.read_text(errors="replace").count("Application startup complete.") >= self.workers:
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} server not ready after {timeout_s:.0f} s; see {self.log_path}")

    def _tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])

    def worker_pids(self) -> list[int]:
        """The processes serving requests: the spawned workers, or the server itself with one worker
        (multiprocessing's resource tracker is a child too, and serves nothing)."""
        assert self.proc is not None
        workers = [p for p in procstat.tree_pids(self.proc.pid) if p != self.proc.pid and "resource_tracker" not in procstat.cmdline(p)]
        return workers or [self.proc.pid]

    def cpu_s(self) -> float:
        assert self.proc is not None
        return procstat.tree_cpu_s(self.proc.pid)

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        self.proc = None
        if self in _running:
            _running.remove(self)
        if proc.poll() is not None:
            try:  # the supervisor is gone; make sure no worker of its group outlives it
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        # Our own process group (start_new_session): the supervisor and the workers it spawned.
        for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_all() -> None:
    for server in list(_running):
        server.stop()


atexit.register(stop_all)
