"""The question bank: topics owned by a unit subtree, questions with their options."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from app.models.base import TableModel
from app.models.types import UTCDateTime, utcnow


class QuestionKind(StrEnum):
    single = "single"
    multiple = "multiple"
    true_false = "true_false"


class Difficulty(StrEnum):
    easy = "easy"
    medium = "medium"
    hard = "hard"


class Topic(TableModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)  # owner: organisers of this subtree
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Published as a study set (ôn tập): members in the owner's subtree may browse and practise it.
    study_published: bool = False
    # ... and anyone without an account, through /s/<study_slug> (the link shared on the Fanpage or Zalo).
    study_public: bool = False
    study_slug: str | None = Field(default=None, max_length=16, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Question(TableModel, table=True):
    __table_args__ = (Index("ix_question_topic_active", "topic_id", "active", "difficulty"),)

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id")
    kind: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source_ref: str = Field(default="", max_length=300)  # which part of the resolution
    difficulty: str = Field(default=Difficulty.medium, max_length=8)
    # ",tag one,tag two," so that one tag is one LIKE on both databases; folded copy for search.
    tags: str = Field(default="", max_length=500)
    text_folded: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    active: bool = True
    version: int = 1
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class QuestionOption(TableModel, table=True):
    __tablename__ = "question_option"
    __table_args__ = (UniqueConstraint("question_id", "position", name="uq_question_option_position"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", ondelete="CASCADE")
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    correct: bool = False
