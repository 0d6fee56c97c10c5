"""The in-app periodic sweep: no extra service to start. Each worker runs it; the sweep itself is safe
to run concurrently (app.services.attempts.sweep)."""
from __future__ import annotations

import asyncio
import logging

import anyio.to_thread
from sqlalchemy.engine import Engine

from app.db import session_scope
from app.services import attempts

log = logging.getLogger("hoithi.sweeper")


def sweep_once(engine: Engine) -> int:
    with session_scope(engine) as session:
        return attempts.sweep(session=session)


async def run_forever(engine: Engine, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            finalised = await anyio.to_thread.run_sync(sweep_once, engine)
            if finalised:
                log.info("finalised %d attempts past their deadline", finalised)
        except Exception:  # a failed sweep is retried at the next tick, never kills the worker
            log.exception("attempt sweep failed")
