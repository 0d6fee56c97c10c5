"""app.serving: several worker processes on one port, each with its own SO_REUSEPORT socket. Real processes on
loopback: connections opened in one burst are spread over the workers, a worker that dies is replaced, a
taken port is said once and stops the server, SIGTERM stops every worker."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[2]

app = FastAPI()  # served by the workers under test: says which process answered


@app.get("/pid")
def pid() -> dict[str, int]:
    return {"pid": os.getpid()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int, workers: int, log: Path, startup_window_s: float = 10.0) -> subprocess.Popen:
    code = "import sys, app.serving as s; s.STARTUP_WINDOW_S = float(sys.argv[1]); sys.exit(s.main(sys.argv[2:]))"
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            str(startup_window_s),
            "tests.platform.test_serving:app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
        ],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_for(predicate, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _ready(log: Path, n: int) -> bool:
    return log.read_text(errors="replace").count("Application startup complete.") >= n


def _pids_over(port: int, connections: int) -> list[int]:
    """Open every connection first (one burst, like a proxy's pool), then ask on each which process serves it."""
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(connections)]
    for c in conns:
        c.connect()
    try:
        out = []
        for c in conns:
            c.request("GET", "/pid")
            out.append(json.loads(c.getresponse().read())["pid"])
        return out
    finally:
        for c in conns:
            c.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _worker_pids(log: Path) -> list[int]:
    return [int(line.split("[")[1].split("]")[0]) for line in log.read_text().splitlines() if "Started worker process" in line]


def test_connections_of_one_burst_reach_every_worker_and_sigterm_stops_them_all(tmp_path):
    port, log = _free_port(), tmp_path / "serve.log"
    proc = _start(port, 2, log)
    try:
        _wait_for(lambda: _ready(log, 2))
        pids = _pids_over(port, 32)
        workers = set(_worker_pids(log))
        assert len(workers) == 2 and set(pids) == workers  # both served some of the 32 connections
        assert min(pids.count(p) for p in workers) >= 4  # spread by the kernel's hash, not one worker taking all
    finally:
        _stop(proc)
    assert proc.returncode == 0
    for p in _worker_pids(log):
        with pytest.raises(ProcessLookupError):
            os.kill(p, 0)


def test_a_worker_that_dies_is_replaced(tmp_path):
    port, log = _free_port(), tmp_path / "serve.log"
    proc = _start(port, 2, log, startup_window_s=0.5)
    try:
        _wait_for(lambda: _ready(log, 2))
        time.sleep(0.6)  # past the start-up window: a death now is a crash, not a failed start
        victim = _worker_pids(log)[0]
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: _ready(log, 3))
        assert "died" in log.read_text() and len(_worker_pids(log)) == 3
        assert victim not in set(_pids_over(port, 16))
        assert proc.poll() is None
    finally:
        _stop(proc)


def test_a_taken_port_is_said_once_and_stops_the_server(tmp_path):
    log = tmp_path / "serve.log"
    with socket.socket() as taken:  # a plain listener (no SO_REUSEPORT) holds the port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = _start(taken.getsockname()[1], 2, log)
        try:
            proc.wait(30)
        finally:
            _stop(proc)
    assert proc.returncode != 0
    text = log.read_text()
    assert "cannot listen on 127.0.0.1:" in text and "Address already in use" in text
    assert "Started worker process" not in text
