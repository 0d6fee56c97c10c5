"""Several uvicorn worker processes on one port, each accepting on its own listening socket.

With `uvicorn --workers N` the worker that wakes first may take every waiting keep-alive connection;
here each worker binds its own SO_REUSEPORT socket and Linux spreads connections over them
(docs/performance.md#worker-processes).

One worker, or a system other than Linux, is served by plain uvicorn.run.

`python -m app.serving TARGET --workers N --port P` serves any ASGI app this way (bench/ serves its
yardstick app like the real one).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from typing import Any

import uvicorn

log = logging.getLogger("uvicorn.error")
RESTART_PAUSE_S = 1.0
# A worker that dies this soon after it was started failed at start-up (a taken port, a broken
# configuration): restarting it would only loop, so the whole server stops instead.
STARTUP_WINDOW_S = 10.0


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(target: str, host: str, port: int, options: dict[str, Any]) -> None:
    """One worker process: its own socket in the port's SO_REUSEPORT group, one uvicorn server on it."""
    try:
        sock = _listening_socket(host, port)
    except OSError as exc:
        print(f"hoithi: cannot listen on {host}:{port}: {exc}", file=sys.stderr, flush=True)
        sys.exit(3)
    config = uvicorn.Config(target, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve(target: str, *, host: str, port: int, workers: int, **options: Any) -> int:
    """Serve `target` with `workers` processes until SIGINT or SIGTERM; a worker that dies is replaced.
    Returns the exit status: 0 after a requested stop, 3 when the workers could not start."""
    # Linux balances a SO_REUSEPORT group; BSD and macOS give every connection to the last socket bound
    if workers <= 1 or not sys.platform.startswith("linux"):
        uvicorn.run(target, host=host, port=port, workers=workers, **options)
        return 0
    try:  # a taken port is said here, once, not by every worker
        _listening_socket(host, port).close()
    except OSError as exc:
        print(f"hoithi: cannot listen on {host}:{port}: {exc}", file=sys.stderr, flush=True)
        return 3
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    ctx = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start() -> tuple[Any, float]:
        proc = ctx.Process(target=_worker, args=(target, host, port, options), daemon=False)
        proc.start()
        log.info("Started worker process [%s] (SO_REUSEPORT)", proc.pid)
        return proc, time.monotonic()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    procs = [start() for _ in range(workers)]
    status = 0
    while not stop.wait(0.5):
        for i, (proc, started) in enumerate(procs):
            if proc.is_alive():
                continue
            if time.monotonic() - started < STARTUP_WINDOW_S:
                log.error("Worker process [%s] exited at start-up (code %s): stopping", proc.pid, proc.exitcode)
                status = 3
                stop.set()
                break
            log.warning("Worker process [%s] died (code %s): starting another", proc.pid, proc.exitcode)
            time.sleep(RESTART_PAUSE_S)
            procs[i] = start()
    for proc, _ in procs:  # uvicorn finishes the requests in flight on SIGTERM
        if proc.is_alive():
            proc.terminate()
    for proc, _ in procs:
        proc.join(30)
        if proc.is_alive():
            proc.kill()
            proc.join()
    return status


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m app.serving", description=__doc__.split("\n\n")[0])
    p.add_argument("target", help="ASGI app as module:attribute")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--no-access-log", action="store_true")
    p.add_argument("--log-level", default="info")
    args = p.parse_args(argv)
    return serve(
        args.target, host=args.host, port=args.port, workers=args.workers, access_log=not args.no_access_log, log_level=args.log_level
    )


if __name__ == "__main__":
    sys.exit(main())
