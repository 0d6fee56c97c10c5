"""The in-app periodic work: no extra service to start. Each worker runs it; every part is safe to run
concurrently in several workers and hosts (see app.services.quiz.attempts.sweep and app.services.results.closing)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import anyio.to_thread
from sqlalchemy.engine import Engine

from app.db import session_scope
from app.services.org import principals
from app.services.quiz import attempts
from app.services.results import closing

log = logging.getLogger("hoithi.sweeper")


def sweep_once(engine: Engine) -> int:
    """Finalise attempts past their deadline (and drop day-old member change entries), then close rounds past
    closes_at."""
    with session_scope(engine) as session:
        finalised = attempts.sweep(session=session)
        principals.prune_feed(session=session)
    with session_scope(engine) as session:
        closed = closing.close_due(session=session)
    if closed:
        log.info("closed %d rounds at their closing time", closed)
    return finalised


def refresh_once(engine: Engine) -> int:
    with session_scope(engine) as session:
        return closing.refresh_live(session=session)


async def run_forever(engine: Engine, every_s: float, live_every_s: float = 0, remind: Callable[[], int] | None = None) -> None:
    """`remind` sends the automatic reminders that are due (with each sweep)."""
    tick = min(x for x in (every_s, live_every_s) if x > 0)
    last_sweep = time.monotonic()
    while True:
        await asyncio.sleep(tick)
        try:
            if live_every_s > 0:
                await anyio.to_thread.run_sync(refresh_once, engine)
            if time.monotonic() - last_sweep >= every_s:
                last_sweep = time.monotonic()
                finalised = await anyio.to_thread.run_sync(sweep_once, engine)
                if finalised:
                    log.info("finalised %d attempts past their deadline", finalised)
                if remind is not None:
                    reminded = await anyio.to_thread.run_sync(remind)
                    if reminded:
                        log.info("sent %d automatic reminders", reminded)
        except Exception:  # a failed pass is retried at the next tick, never kills the worker
            log.exception("sweep failed")
