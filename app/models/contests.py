"""Contests and their weekly rounds, with every contest rule as a setting."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field

from app.models.base import TableModel
from app.models.types import UTCDateTime, utcnow


class ContestStatus(StrEnum):
    draft = "draft"
    published = "published"
    closed = "closed"


class RoundStatus(StrEnum):
    """A round is scheduled (open between its times) until it is closed, by hand or by its deadline."""

    scheduled = "scheduled"
    closed = "closed"


TIE_BREAK_KEYS = ("score", "prediction_error", "duration", "submitted_at")
DEFAULT_TIE_BREAK = ["score", "prediction_error", "duration", "submitted_at"]


class Contest(TableModel, table=True):
    __table_args__ = (UniqueConstraint("slug", name="uq_contest_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    rules_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # Markdown
    scope_unit_id: int = Field(foreign_key="unit.id", index=True)
    status: str = Field(default=ContestStatus.draft, max_length=16)
    tie_break: list[str] = Field(default_factory=lambda: list(DEFAULT_TIE_BREAK), sa_column=Column(JSON, nullable=False))
    timezone: str = Field(default="Asia/Ho_Chi_Minh", max_length=64)
    slug: str = Field(max_length=16)  # the short public link /c/<slug>
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    unit_rank_by: str = Field(default="participation_rate", max_length=32)  # how unit standings are ranked
    # Whether rounds may draw from published study sets (their questions are then withheld from study until
    # every round that may ask them has closed). Off: the study sets stay open to study during the contest.
    study_draw: bool = False
    auto_reminders: bool = False  # remind who has not taken part when a round opens and a day before it closes


class Round(TableModel, table=True):
    __table_args__ = (UniqueConstraint("contest_id", "position", name="uq_round_position"),)

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="contest.id", index=True)
    position: int
    title: str = Field(max_length=200)
    opens_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closes_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    time_limit_s: int = 900
    shuffle_questions: bool = True
    shuffle_options: bool = True
    attempts_allowed: int = 1  # 0 = unlimited
    cooldown_s: int = 0
    counted_attempt: str = Field(default="best", max_length=16)
    points_per_question: int = 1
    results_visibility: str = Field(default="after_close", max_length=16)
    # The draw: [{"topic_id", "difficulty" (or null = any), "count"}]; empty means the fixed list.
    draw: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prediction_kind: str | None = Field(default=None, max_length=32)
    prediction_prompt: str = Field(default="", max_length=500)
    prediction_lock_first: bool = True
    status: str = Field(default=RoundStatus.scheduled, max_length=16)
    prediction_truth: int | None = None
    totals: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sealed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    seal_digest: str | None = Field(default=None, max_length=64)
    sealed_by: int | None = Field(default=None, foreign_key="member.id")
    # Prize tiers in order: [{"name": "Giải Nhất", "count": 1}, …]; the cap is a share of the participants.
    prize_tiers: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prize_cap_share: float | None = None
    unit_prize_tiers: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prizes_confirmed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # Plausible minimum time per question; quicker attempts are flagged for the judges.
    min_seconds_per_question: int = 2
    # Set when a sealed round's unit table was recomputed under the subtree-headcount rule (migration 0009):
    # the sealed ranked list and its digest stand, the unit figures shown beside them changed.
    units_recomputed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # When the stored standings were last built (live ones are rebuilt at most every few seconds).
    standings_built_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class RoundQuestion(TableModel, table=True):
    """The fixed question list of a round (when it does not draw)."""

    __tablename__ = "round_question"
    __table_args__ = (UniqueConstraint("round_id", "question_id", name="uq_round_question"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="question.id")
    position: int


# --- API schemas ---------------------------------------------------------------------------------------
# Choices are plain strings here and checked by app.services.contests.contests, so that a wrong value gets a
# Vietnamese message naming the round and the field rather than Pydantic's generic one.
class CountedAttempt(StrEnum):
    best = "best"
    first = "first"
    last = "last"
    first_perfect = "first_perfect"


class ResultsVisibility(StrEnum):
    immediate = "immediate"
    after_close = "after_close"


class PredictionKind(StrEnum):
    perfect_scorers = "perfect_scorers"
    participants = "participants"
    attempts = "attempts"
