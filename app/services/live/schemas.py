"""Request and response shapes of live games (API and pages alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class DrawIn(BaseModel):
    topic_id: int
    difficulty: str | None = None
    count: int


class LiveGameIn(BaseModel):
    title: str = Field(max_length=200)
    scope_unit_code: str = Field(max_length=32)
    question_ids: list[int] = Field(default_factory=list, max_length=200)
    draw: list[DrawIn] = Field(default_factory=list, max_length=20)
    mode: Literal["points", "elimination"] = "points"
    seconds_per_question: int = 20
    streak_bonus: bool = False
    survivors: int = 1
    allow_guests: bool = False  # people without an account may join too (ranked apart from members)


class LiveGameCreated(BaseModel):
    id: int
    pin: str
    status: str


class JoinIn(BaseModel):
    pin: str = Field(max_length=20)


class Joined(BaseModel):
    game_id: int
    player_id: int


class GuestJoinIn(BaseModel):
    """Someone without an account: their name and their unit, one of the game's scope (its code)."""

    pin: str = Field(max_length=20)
    full_name: str = Field(max_length=200)
    unit_code: str = Field(max_length=32)


class GuestJoined(BaseModel):
    game_id: int
    player_id: int
    guest_token: str = Field(description="Send it as the X-Live-Guest header of .../state, .../answer, .../events and .../results")


class Opened(BaseModel):
    status: str
    question_index: int


class OptionCount(BaseModel):
    option_id: int
    count: int


class Revealed(BaseModel):
    correct_option_ids: list[int]
    distribution: list[OptionCount]


class RescueIn(BaseModel):
    mode: Literal["all", "question"] = "all"


class AnswerIn(BaseModel):
    option_ids: list[int] = Field(max_length=10)


class Accepted(BaseModel):
    accepted_at: datetime


class OptionOut(BaseModel):
    id: int
    text: str


class QuestionOut(BaseModel):
    text: str
    kind: str
    options: list[OptionOut]


class MineOut(BaseModel):
    """The asking player's own: their answer to the question shown, and once revealed its verdict."""

    player_id: int
    answered: bool
    alive: bool | None = None  # elimination mode: still in
    correct: bool | None = None
    points: int | None = None
    score: int
    rank: int | None = None


class StateOut(BaseModel):
    id: int
    title: str
    mode: str
    status: str
    question_index: int
    question_count: int
    question: QuestionOut | None
    deadline_at: datetime | None
    now: datetime  # the server's clock, for the countdown
    seconds_per_question: int
    paused: bool
    paused_left_ms: int | None = None  # while paused: the time the question has left, frozen
    rescue: bool
    players: int
    alive: bool | None  # the asking player's, in elimination mode
    alive_count: int
    version: int
    me: MineOut | None = None
    correct_option_ids: list[int] | None = None  # only once revealed
    answered_count: int | None = None  # the host's, while a question is open: how many have answered
    distribution: list[OptionCount] | None = None


class PlayerRef(BaseModel):
    id: int
    full_name: str


class ResultRow(BaseModel):
    rank: int
    player: PlayerRef
    unit: str
    score: int
    correct_count: int
    alive: bool
    guest: bool = False  # ranked among the guests, apart from the members


class UnitRow(BaseModel):
    """A unit's players of the moment (members only: a guest's unit is their own word): how many, their
    average score, how many are still in."""

    rank: int
    unit: str
    players: int
    average_score: float
    alive: int


class Results(BaseModel):
    rows: list[ResultRow]
    units: list[UnitRow] = []
