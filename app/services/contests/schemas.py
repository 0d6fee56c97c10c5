"""Request and response shapes of the contests domain (API and pages alike)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import SQLModel

from app.models.contests import (
    CountedAttempt,
    PredictionKind,
    ResultsVisibility,
)


class DrawLine(SQLModel):
    topic_id: int
    difficulty: str | None = None  # None: any difficulty
    count: int


class PredictionIn(SQLModel):
    kind: str = PredictionKind.perfect_scorers
    prompt: str = ""
    lock_first: bool = True


class RoundIn(SQLModel):
    """A round as POST /api/v1/contests takes it. Naive times are in the contest's time zone."""

    title: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    time_limit_s: int = 900
    question_ids: list[int] | None = None
    draw: list[DrawLine] | None = None
    shuffle_questions: bool = True
    shuffle_options: bool = True
    attempts_allowed: int = 1
    cooldown_s: int = 0
    counted_attempt: str = CountedAttempt.best
    points_per_question: int = 1
    results_visibility: str = ResultsVisibility.after_close
    prediction: PredictionIn | None = None


class RoundUpdate(SQLModel):
    """PATCH /api/v1/rounds/{id}: only the fields sent change (send "prediction": null to drop it)."""

    title: str | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    time_limit_s: int | None = None
    question_ids: list[int] | None = None
    draw: list[DrawLine] | None = None
    shuffle_questions: bool | None = None
    shuffle_options: bool | None = None
    attempts_allowed: int | None = None
    cooldown_s: int | None = None
    counted_attempt: str | None = None
    points_per_question: int | None = None
    results_visibility: str | None = None
    prediction: PredictionIn | None = None


class ContestCreate(SQLModel):
    title: str
    rules_text: str = ""
    scope_unit_code: str = ""
    tie_break: list[str] | None = None  # None: DEFAULT_TIE_BREAK
    study_draw: bool = False  # rounds may draw from published study sets
    rounds: list[RoundIn] = []


class ContestUpdate(SQLModel):
    title: str | None = None
    rules_text: str | None = None
    tie_break: list[str] | None = None
    study_draw: bool | None = None


class RoundPublic(SQLModel):
    id: int
    position: int
    title: str
    opens_at: datetime  # in the contest's time zone
    closes_at: datetime
    time_limit_s: int
    question_ids: list[int]
    draw: list[DrawLine]
    question_count: int
    shuffle_questions: bool
    shuffle_options: bool
    attempts_allowed: int
    cooldown_s: int
    counted_attempt: str
    points_per_question: int
    results_visibility: str
    prediction: PredictionIn | None
    status: str
    prediction_truth: int | None = None


class ContestPublic(SQLModel):
    id: int
    status: str
    title: str
    slug: str
    rules_text: str
    scope_unit_code: str
    tie_break: list[str]
    timezone: str
    published_at: datetime | None
    study_draw: bool = False
    rounds: list[RoundPublic]
    rules_summary: list[str] = []  # the generated "Thể lệ" sentences
