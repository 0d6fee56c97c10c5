"""Saving a tap or the prediction from the event loop: the usual case waits for the tap writer (quiz.taps) with no
thread of the pool; anything else takes attempts' own save in the pool, which says why or finalises the attempt
(docs/performance.md#tap-writer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import anyio.to_thread
from sqlalchemy.engine import Engine

from app.db import session_scope
from app.services.org.access import Actor
from app.services.quiz import attempts, taps


@dataclass(frozen=True)
class Saver:
    """Who saves a tap or a prediction from the event loop, and through what: the tap writer, else `engine` in the
    pool. `token_version` is the session's, checked in the writer's own read (None when the caller has checked
    the session); `actor()` gives the caller (loading the member if need be) in the pool's thread."""

    engine: Engine
    writer: taps.TapWriter
    member_id: int
    token_version: int | None
    actor: Callable[[], Actor]

    @classmethod
    def checked(cls, engine: Engine, writer: taps.TapWriter, actor: Actor) -> Saver:
        """For an actor whose session the request has checked already (a page's, or get_actor's)."""
        return cls(engine, writer, actor.id, None, lambda: actor)

    def tap(self, attempt_id: int, position: int, option_ids: list[str]) -> taps.Tap:
        return taps.new_tap(
            member_id=self.member_id, token_version=self.token_version, attempt_id=attempt_id, position=position, option_ids=option_ids
        )


async def save_tap_async(saver: Saver, *, attempt_id: int, position: int, option_ids: list[str]) -> datetime:
    """One tap from the API or the quiz page, on the event loop: the usual case waits for the tap writer
    with no thread of the pool; the rest takes save_alone in the pool."""
    saved = await taps.wait(saver.writer.submit(saver.tap(attempt_id, position, option_ids)))
    if saved is not None:
        return saved
    return await anyio.to_thread.run_sync(
        lambda: attempts.save_alone(
            engine=saver.engine, actor=saver.actor(), attempt_id=attempt_id, position=position, option_ids=option_ids
        )
    )


async def save_prediction_async(saver: Saver, *, attempt_id: int, value: int) -> datetime:
    """The prediction field, as a tap is saved (save_tap_async): the usual case (a value in range, a round that
    takes a prediction not locked to the first attempt) waits for the tap writer; the rest takes save_prediction
    in the pool, which says why not."""
    if attempts.prediction_in_range(value):
        tap = saver.tap(attempt_id, 0, [])
        tap.prediction = value
        saved = await taps.wait(saver.writer.submit(tap))
        if saved is not None:
            return saved

    def alone() -> datetime:
        with session_scope(saver.engine) as session:
            return attempts.save_prediction(session=session, actor=saver.actor(), attempt_id=attempt_id, value=value)

    return await anyio.to_thread.run_sync(alone)
