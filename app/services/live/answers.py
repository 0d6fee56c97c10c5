"""Taking a live game's answers in the usual case, many to a transaction (group commit, kit.batches): when the
host opens a question, thousands of phones answer within seconds, and one transaction each would queue them
all for the writer lock (docs/live.md).

Each answer is checked by the rules of play.py against the game, the player and the question as they are in
the batch's transaction: on PostgreSQL the games are read with a share lock, which the host's reveal (a row
lock) waits for and the other way round, so an answer is either judged or refused, never acknowledged and
left out; on SQLite the writer lock does the same. One answer per player and question stays the unique key's
job (a second one, in the batch or before it, is refused). Anything unusual (no such game or player, a
session revoked, a database error) is handed back as None: the caller then takes play.answer, which explains."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from app.db import writer
from app.errors import N_, AppError, Conflict
from app.models import LiveAnswer, LiveGame, LivePlayer, LiveQuestion, Member
from app.services.kit.batches import GroupCommit
from app.services.live import play

log = logging.getLogger(__name__)

_g, _p, _q, _m, _a = LiveGame.__table__, LivePlayer.__table__, LiveQuestion.__table__, Member.__table__, LiveAnswer.__table__
_GAMES = select(
    _g.c.id, _g.c.status, _g.c.mode, _g.c.rescue, _g.c.question_index, _g.c.opened_at, _g.c.deadline_at, _g.c.paused_left_ms
).where(_g.c.id.in_(bindparam("ids", expanding=True)))
_PLAYERS = (
    select(_p.c.id, _p.c.game_id, _p.c.member_id, _p.c.alive, _m.c.active, _m.c.token_version)
    .select_from(_p.join(_m, _m.c.id == _p.c.member_id))
    .where(_p.c.game_id.in_(bindparam("games", expanding=True)), _p.c.member_id.in_(bindparam("members", expanding=True)))
)
_QUESTIONS = select(_q.c.game_id, _q.c.position, _q.c.kind, _q.c.options).where(
    _q.c.game_id.in_(bindparam("games", expanding=True)), _q.c.position.in_(bindparam("positions", expanding=True))
)


@dataclass
class Given:
    game_id: int
    member_id: int
    token_version: int
    option_ids: list[int]
    now: datetime  # when the request arrived: the answer's time
    done: Future = field(default_factory=Future)  # the accepted time, an AppError, or None (take play.answer)


class AnswerWriter:
    """One per app (create_app, app.state.live_answers)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = writer(engine)
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._lock_games = engine.dialect.name == "postgresql"
        self._group: GroupCommit[Given] = GroupCommit("hoithi-live-answers", self._save)

    async def take(self, given: Given) -> datetime | None:
        self._group.submit(given)
        result: datetime | None = await asyncio.wrap_future(given.done)
        return result

    def _save(self, batch: list[Given]) -> None:
        outcomes: list[tuple[Given, Any]] = []
        try:
            with self._engine.begin() as conn:  # on SQLite, after the machine-wide writer lock (app.db)
                outcomes = self._decide_and_insert(conn, batch)
        except Exception:  # nothing of the batch is saved: each answer takes the full path
            log.exception("taking %d live answers together failed; each goes through play.answer", len(batch))
            outcomes = [(g, None) for g in batch]
        for given, outcome in outcomes:
            if isinstance(outcome, AppError):
                given.done.set_exception(outcome)
            else:
                given.done.set_result(outcome)

    def _read(self, conn: Connection, batch: list[Given]) -> tuple[dict[int, Any], dict[tuple[int, int], Any], dict[tuple[int, int], Any]]:
        game_ids = sorted({g.game_id for g in batch})
        stmt = _GAMES.with_for_update(read=True) if self._lock_games else _GAMES
        games = {row.id: row for row in conn.execute(stmt, {"ids": game_ids})}
        members = sorted({g.member_id for g in batch})
        players = {(row.game_id, row.member_id): row for row in conn.execute(_PLAYERS, {"games": game_ids, "members": members})}
        positions = sorted({row.question_index for row in games.values()})
        questions = {
            (row.game_id, row.position): row for row in conn.execute(_QUESTIONS, {"games": game_ids, "positions": positions or [-1]})
        }
        return games, players, questions

    def _decide_and_insert(self, conn: Connection, batch: list[Given]) -> list[tuple[Given, Any]]:
        games, players, questions = self._read(conn, batch)
        outcomes: list[tuple[Given, Any]] = []
        rows: dict[tuple[int, int], dict[str, Any]] = {}  # the first answer of each player and question in the batch
        for given in batch:
            decided = self._decide(given, games.get(given.game_id), players.get((given.game_id, given.member_id)), questions)
            if isinstance(decided, dict):
                key = (decided["player_id"], decided["question_index"])
                if key in rows:
                    decided = Conflict(N_("Bạn đã trả lời câu này rồi."))
                else:
                    rows[key] = decided
            outcomes.append((given, decided))
        taken: set[tuple[int, int]] = set()
        if rows:
            stmt = (
                self._insert(_a)
                .on_conflict_do_nothing(index_elements=["player_id", "question_index"])
                .returning(_a.c.player_id, _a.c.question_index)
            )
            taken = {(pid, idx) for pid, idx in conn.execute(stmt, list(rows.values()))}
        return [(g, self._settled(d, taken)) for g, d in outcomes]

    @staticmethod
    def _settled(decided: Any, taken: set[tuple[int, int]]) -> Any:
        if not isinstance(decided, dict):
            return decided
        if (decided["player_id"], decided["question_index"]) in taken:
            return decided["accepted_at"]
        return Conflict(N_("Bạn đã trả lời câu này rồi."))  # one was taken before this batch

    @staticmethod
    def _decide(given: Given, game: Any, player: Any, questions: dict[tuple[int, int], Any]) -> Any:
        """The row to insert, an AppError to answer with, or None for the full path."""
        if game is None or player is None or not player.active or player.token_version != given.token_version:
            return None
        question = questions.get((game.id, game.question_index))
        try:
            play.check_window(game, given.now)
            play.check_may_answer(game, player)
            if question is None or game.opened_at is None:
                return None
            chosen = play.checked_options(question, given.option_ids)
        except AppError as exc:
            return exc
        return {
            "game_id": game.id,
            "player_id": player.id,
            "question_index": game.question_index,
            "option_ids": chosen,
            "accepted_at": given.now,
            "elapsed_ms": max(0, int((given.now - game.opened_at).total_seconds() * 1000)),
            "points": 0,
        }
