"""Attempts: what a member was asked (a snapshot), what they answered, and when."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field

from app.models.base import TableModel
from app.models.types import UTCDateTime, utcnow


class AttemptStatus(StrEnum):
    in_progress = "in_progress"
    submitted = "submitted"
    expired = "expired"  # finalised with its saved answers when the deadline passed


# the one-in-progress index's predicate, as starting's INSERT names it (written out: see starting._insert)
IN_PROGRESS_ONLY = f"status = '{AttemptStatus.in_progress.value}'"


class Attempt(TableModel, table=True):
    __table_args__ = (
        # At most one attempt in progress per member and round, whatever the number of workers.
        Index(
            "uq_attempt_one_in_progress",
            "round_id",
            "member_id",
            unique=True,
            sqlite_where=text(IN_PROGRESS_ONLY),
            postgresql_where=text(IN_PROGRESS_ONLY),
        ),
        Index("ix_attempt_round_member", "round_id", "member_id", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")  # the member's unit when the attempt started
    number: int  # 1, 2, … per member and round
    status: str = Field(default=AttemptStatus.in_progress, max_length=16)
    seed: str = Field(max_length=32)  # the draw and the option order are reproducible from it
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    deadline_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    score: int | None = None
    correct_count: int | None = None
    duration_ms: int | None = None
    prediction: int | None = None
    prediction_saved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    question_count: int = 0  # as drawn; a perfect score is correct_count == question_count
    # A judge's decision (issue 6): a disqualified attempt counts for nothing, not even the official totals.
    disqualified_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    disqualify_reason: str = Field(default="", max_length=500)


class AttemptQuestion(TableModel, table=True):
    """One drawn question, frozen: later edits of the bank never change what this attempt asked."""

    __tablename__ = "attempt_question"
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_attempt_question_position"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", ondelete="CASCADE")
    position: int  # 1-based, in the order shown
    question_id: int = Field(foreign_key="question.id")
    question_version: int
    kind: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # In display order: [{"id": opaque random key, "text": ..., "correct": bool}]
    options: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Answer(TableModel, table=True):
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_answer_position"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", ondelete="CASCADE")
    position: int
    option_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    saved_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AttemptEvent(TableModel, table=True):
    """What the page reported while the attempt was open (the page was hidden, shown again). A soft
    signal for judges; timing never depends on it. `at` is the server's clock on arrival."""

    __tablename__ = "attempt_event"

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)  # "hide" | "show"
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
