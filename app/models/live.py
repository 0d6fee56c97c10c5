"""Live games: a host shows one question at a time to a room, a Zoom call or a livestream, everyone answers on
their phone within seconds (app.services.live). The game's whole state is here, so any worker can serve any
player and a worker that dies loses only its connections."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field

from app.models.base import TableModel
from app.models.types import UTCDateTime, utcnow


class LiveMode(StrEnum):
    points = "points"  # a right answer scores more the faster it comes
    elimination = "elimination"  # "Rung chuông vàng": a wrong or missing answer puts the player out


class LiveStatus(StrEnum):
    lobby = "lobby"
    question = "question"  # a question is open (or paused)
    reveal = "reveal"  # its answer is shown
    finished = "finished"


class LiveGame(TableModel, table=True):
    __tablename__ = "live_game"
    # a PIN belongs to one game at a time: those of finished games are free again
    __table_args__ = (
        Index(
            "uq_live_game_pin_running",
            "pin",
            unique=True,
            sqlite_where=text("status != 'finished'"),
            postgresql_where=text("status != 'finished'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    pin: str = Field(max_length=8)
    mode: str = Field(max_length=16)
    seconds_per_question: int
    streak_bonus: bool = False
    survivors: int = 1  # elimination: the game ends when this many (or fewer) remain
    allow_guests: bool = False  # people without an account may join with a name and a unit (ranked apart)
    scope_unit_id: int = Field(foreign_key="unit.id", index=True)  # members of this subtree may join
    host_id: int = Field(foreign_key="member.id")
    status: str = Field(default=LiveStatus.lobby, max_length=16)
    question_index: int = -1  # the question open or shown; -1 in the lobby
    opened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    deadline_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    paused_left_ms: int | None = None  # set while a question is paused: the time it had left
    rescue: bool = False  # the open question is a rescue ("cứu trợ"): only players who are out answer it
    version: int = 0  # one more at every change the screens and phones must show
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class LiveQuestion(TableModel, table=True):
    """A game's question as it was when the game was made: a later edit of the bank does not change a game."""

    __tablename__ = "live_question"
    __table_args__ = (UniqueConstraint("game_id", "position", name="uq_live_question_position"),)

    id: int | None = Field(default=None, primary_key=True)
    game_id: int = Field(foreign_key="live_game.id", ondelete="CASCADE")
    position: int
    question_id: int | None = Field(default=None, foreign_key="question.id", ondelete="SET NULL")
    kind: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    options: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [{id, text}]
    correct_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class LivePlayer(TableModel, table=True):
    __tablename__ = "live_player"
    __table_args__ = (UniqueConstraint("game_id", "member_id", name="uq_live_player_member"),)

    id: int | None = Field(default=None, primary_key=True)
    game_id: int = Field(foreign_key="live_game.id", ondelete="CASCADE", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")  # None: a guest
    guest_key: str | None = Field(default=None, max_length=64)  # a guest's proof of being this player (a hash)
    full_name: str = Field(max_length=120)
    unit_id: int = Field(foreign_key="unit.id")
    joined_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    alive: bool = True
    out_at: int | None = None  # elimination: the question (index) that put the player out
    score: int = 0
    correct_count: int = 0
    streak: int = 0
    correct_ms: int = 0  # the time taken by the right answers, the first tie-break after the score


class LiveAnswer(TableModel, table=True):
    """One player's answer to one question, with the server's time: one per player and question."""

    __tablename__ = "live_answer"
    __table_args__ = (
        UniqueConstraint("player_id", "question_index", name="uq_live_answer_once"),
        Index("ix_live_answer_game_question", "game_id", "question_index"),
    )

    id: int | None = Field(default=None, primary_key=True)
    game_id: int = Field(foreign_key="live_game.id", ondelete="CASCADE")
    player_id: int = Field(foreign_key="live_player.id", ondelete="CASCADE")
    question_index: int
    option_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    accepted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    elapsed_ms: int
    correct: bool | None = None  # set at the reveal
    points: int = 0
