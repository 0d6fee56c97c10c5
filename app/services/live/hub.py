"""How a live game's changes reach every worker and host: the game's state lives in the database and every
change adds one to its version; each worker learns of new versions and wakes the screens and phones it holds.

- On PostgreSQL the change sends NOTIFY in its own transaction (delivered at commit, never before); every
  worker LISTENs on one connection of its own. A slow safety poll covers a lost listening connection.
- On SQLite (the workers of one machine share the database file) each worker reads the versions of the games
  it holds connections for, every POLL_S: one small query per worker, not one per phone.
- The worker that made the change wakes its own connections at once, through db.on_commit.

Nothing here is a broker: a worker that dies loses only its connections, which come back to another.
Why and the figures: docs/live.md."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio.to_thread
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

if TYPE_CHECKING:
    from app.services.live.play import Views

from app.db import committed
from app.models import LiveGame

log = logging.getLogger(__name__)

CHANNEL = "hoithi_live"
CHANGED_GAMES = "live_games"  # db.committed kind: {game id: version}
_KEY = "hoithi_live_changed"
POLL_S = 0.1  # SQLite: how often a worker reads the versions of the games it holds
SAFETY_POLL_S = 2.0  # PostgreSQL: in case a notification was lost with its connection
KEEPALIVE_S = 15.0  # a comment line, so proxies and phones do not drop a quiet stream


def changed(session: OrmSession, game_id: int, version: int) -> None:
    """Called in the transaction that changed the game: every worker hears of it once it commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": f"{game_id}:{version}"})
    session.info.setdefault(_KEY, {})[game_id] = version


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if _KEY in session.info:
        committed(session, CHANGED_GAMES, session.info.pop(_KEY))


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_KEY, None)


@dataclass
class _Channel:
    version: int = -1
    listeners: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Hub:
    """This worker's side: the versions of the games it holds connections for, and a way to wait for the next."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.loop: asyncio.AbstractEventLoop | None = None
        self._channels: dict[int, _Channel] = {}
        self._views: dict[int, Views] = {}
        self._building: dict[int, asyncio.Lock] = {}

    # -- learning of versions (from any thread) --
    def heard(self, versions: dict[int, int]) -> None:
        """New versions of games, from a notification, a poll or this worker's own commit."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._bump(versions)
        else:
            loop.call_soon_threadsafe(self._bump, versions)

    def _bump(self, versions: dict[int, int]) -> None:
        for game_id, version in versions.items():
            channel = self._channels.get(game_id)
            if channel is not None and version > channel.version:
                channel.version = version
                woken, channel.wake = channel.wake, asyncio.Event()
                woken.set()

    # -- what is sent, built once per version by this worker --
    async def views(self, game_id: int, version: int) -> Views:
        """The game's encoded state at `version` or newer; one build per version, whatever the connections."""
        lock = self._building.setdefault(game_id, asyncio.Lock())
        async with lock:
            cached = self._views.get(game_id)
            if cached is None or cached.version < version:
                cached = await anyio.to_thread.run_sync(self._build, game_id)
                self._views[game_id] = cached
            return cached

    def _build(self, game_id: int) -> Views:
        from app.services.live import play  # play -> games -> hub: imported when first used

        with Session(self.engine) as session:
            return play.views(session=session, game_id=game_id)

    def watched(self) -> list[int]:
        return list(self._channels)

    # -- following a game (on the event loop) --
    async def follow(self, game_id: int, since: int = -1) -> AsyncIterator[int | None]:
        """Yield each new version of the game after `since` (the latest only, when several came at once), and
        None every KEEPALIVE_S of quiet."""
        self.loop = asyncio.get_running_loop()
        channel = self._channels.setdefault(game_id, _Channel())
        channel.listeners += 1
        try:
            if channel.version < 0:
                channel.version = await anyio.to_thread.run_sync(self._read_version, game_id)
            while True:
                if channel.version > since:
                    since = channel.version
                    yield since
                    continue
                wake = channel.wake
                try:
                    await asyncio.wait_for(wake.wait(), KEEPALIVE_S)
                except TimeoutError:
                    yield None
        finally:
            channel.listeners -= 1
            if channel.listeners <= 0:
                self._channels.pop(game_id, None)
                self._views.pop(game_id, None)
                self._building.pop(game_id, None)

    def _read_version(self, game_id: int) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(select(LiveGame.__table__.c.version).where(LiveGame.__table__.c.id == game_id)).scalar()
        return int(found) if found is not None else 0

    def _read_versions(self, game_ids: list[int]) -> dict[int, int]:
        t = LiveGame.__table__
        with self.engine.connect() as conn:
            return {int(i): int(v) for i, v in conn.execute(select(t.c.id, t.c.version).where(t.c.id.in_(game_ids)))}

    # -- the worker's listening task --
    async def run(self) -> None:
        """For as long as the worker runs (app.main's lifespan)."""
        self.loop = asyncio.get_running_loop()
        if self.engine.dialect.name == "postgresql":
            await asyncio.gather(self._listen(), self._poll(SAFETY_POLL_S))
        else:
            await self._poll(POLL_S)

    async def _poll(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            ids = self.watched()
            if not ids:
                continue
            try:
                self._bump(await anyio.to_thread.run_sync(self._read_versions, ids))
            except Exception:  # the next poll tries again
                log.exception("reading live game versions failed")

    async def _listen(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if ids := self.watched():  # what changed while this worker was not listening
                        self._bump(await anyio.to_thread.run_sync(self._read_versions, ids))
                    async for note in conn.notifies():
                        self._heard_note(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the safety poll carries on meanwhile
                log.warning("listening for live game changes failed (%s); trying again", exc)
                await asyncio.sleep(1.0)

    def _heard_note(self, payload: str) -> None:
        with contextlib.suppress(ValueError):
            game_id, version = (int(x) for x in payload.split(":", 1))
            self._bump({game_id: version})


def wire(engine: Engine, hub: Hub) -> None:
    """This worker's own commits wake its connections at once (create_app)."""
    from app.db import on_commit

    on_commit(engine, CHANGED_GAMES, lambda versions: hub.heard(dict(versions)))
