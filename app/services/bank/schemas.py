"""Request and response shapes of the bank domain (API and pages alike)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import SQLModel

from app.models.bank import Difficulty, QuestionKind


# --- API schemas ---------------------------------------------------------------------------------------
class TopicCreate(SQLModel):
    name: str
    description: str = ""
    unit_code: str | None = None  # default: the organiser's own scope


class TopicPublic(SQLModel):
    id: int
    name: str
    description: str
    unit_code: str
    study_published: bool
    study_public: bool = False
    questions: int = 0


class OptionIn(SQLModel):
    text: str
    correct: bool = False


class OptionPublic(SQLModel):
    id: int
    text: str
    correct: bool


class QuestionCreate(SQLModel):
    topic_id: int
    kind: str = QuestionKind.single
    text: str
    options: list[OptionIn] = []
    explanation: str = ""
    difficulty: str = Difficulty.medium
    source_ref: str = ""
    tags: list[str] = []


class QuestionPublic(SQLModel):
    id: int
    topic_id: int
    kind: str
    text: str
    options: list[OptionPublic]
    explanation: str
    difficulty: str
    source_ref: str
    tags: list[str]
    active: bool
    version: int


class RescoreOut(BaseModel):
    question_id: int
    attempts_changed: int
    scores_changed: int
    rounds: list[int]
    sealed_skipped: int
    unmatched: int


class SkippedQuestion(BaseModel):
    line: int
    reason: str


class ImportRowError(BaseModel):
    row: int
    field: str | None
    message: str


class QuestionImportOut(BaseModel):
    created: int
    skipped: list[SkippedQuestion] = []
    notes: list[SkippedQuestion] = []  # imported, but not quite as the file wrote it (the reason says how)
    errors: list[ImportRowError] = []
