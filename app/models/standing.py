"""Standings: stored, not recomputed per request. Rebuilt when a round closes, on re-score and on
disqualification, and (provisionally) every few seconds while a round with immediate results is open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.types import UTCDateTime


class Standing(SQLModel, table=True):
    """One member's place in a round: their counted attempt, ranked by the contest's tie-break chain."""

    __table_args__ = (
        UniqueConstraint("round_id", "member_id", name="uq_standing_member"),
        Index("ix_standing_round_rank", "round_id", "rank"),
        # a unit subtree's board is one prefix match on the path, already in rank order
        Index("ix_standing_round_path_rank", "round_id", "unit_path", "rank"),
        # a member's rank card: how many of their own unit rank ahead of them
        Index("ix_standing_round_unit_rank", "round_id", "unit_id", "rank"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id")
    attempt_id: int = Field(foreign_key="attempt.id")
    unit_id: int = Field(foreign_key="unit.id")  # the member's unit when the counted attempt started
    unit_path: str = Field(max_length=255)
    rank: int
    score: int
    correct_count: int
    question_count: int
    prediction: int | None = None
    prediction_error: int | None = None
    duration_ms: int
    submitted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int  # the member's valid attempts in the round


class UnitStanding(SQLModel, table=True):
    """A unit's figures in a round, over its whole subtree; `rank` is among the units of the same parent."""

    __tablename__ = "unit_standing"
    __table_args__ = (
        UniqueConstraint("round_id", "unit_id", name="uq_unit_standing_unit"),
        Index("ix_unit_standing_parent_rank", "round_id", "parent_id", "rank"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id")
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    rank: int
    participants: int
    attempts: int
    headcount: int
    participation_rate: float | None = None  # participants / declared headcount; None without a headcount
    average_score: float | None = None
    perfect_count: int


class ContestStanding(SQLModel, table=True):
    """A member's place over the contest's closed rounds: counted scores summed, the same chain on totals."""

    __tablename__ = "contest_standing"
    __table_args__ = (
        UniqueConstraint("contest_id", "member_id", name="uq_contest_standing_member"),
        Index("ix_contest_standing_rank", "contest_id", "rank"),
        Index("ix_contest_standing_path_rank", "contest_id", "unit_path", "rank"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="contest.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id")
    unit_id: int = Field(foreign_key="unit.id")
    unit_path: str = Field(max_length=255)
    rank: int
    rounds: int
    score: int
    correct_count: int
    prediction: int | None = None  # the sum over rounds with a prediction question
    prediction_error: int | None = None
    duration_ms: int
    submitted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))  # the last round's
