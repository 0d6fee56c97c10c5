"""Request and response shapes of the quiz domain (API and pages alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


# --- API schemas ---------------------------------------------------------------------------------------
class OptionOut(BaseModel):
    id: str
    text: str


class AttemptQuestionOut(BaseModel):
    position: int
    text: str
    kind: str
    options: list[OptionOut]


class AttemptOut(BaseModel):
    id: int
    round_id: int
    status: str
    started_at: datetime
    deadline_at: datetime
    remaining_s: int
    questions: list[AttemptQuestionOut]
    answers: dict[int, list[str]] = {}
    prediction: int | None = None


class AnswerIn(BaseModel):
    option_ids: list[str]


class PredictionValue(BaseModel):
    value: int


class EventIn(BaseModel):
    kind: Literal["hide", "show"]


class Saved(BaseModel):
    saved_at: datetime


class Submitted(BaseModel):
    id: int
    status: str
    submitted_at: datetime | None
    score: int | None = None
    correct_count: int | None = None
