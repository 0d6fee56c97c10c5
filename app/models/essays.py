"""Bài thu hoạch: essay campaigns of a unit subtree, the members' essays, and the judges' grades."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from app.models.base import TableModel
from app.models.types import UTCDateTime, utcnow


class EssayStatus(StrEnum):
    draft = "draft"  # written, never submitted
    submitted = "submitted"  # handed in (again, after a return or an edit)
    reviewed = "reviewed"  # read and accepted by the cell's organiser
    returned = "returned"  # sent back by the cell with a comment: to be edited and handed in again


class EssayCampaign(TableModel, table=True):
    __tablename__ = "essay_campaign"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="ck_essay_campaign_window"),
        CheckConstraint("min_words >= 0 AND max_words >= min_words", name="ck_essay_campaign_words"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    prompt: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # to choose from
    scope_unit_id: int = Field(foreign_key="unit.id", index=True)  # who writes: members in its subtree
    opens_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closes_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    timezone: str = Field(default="Asia/Ho_Chi_Minh", max_length=64)
    min_words: int = 0
    max_words: int = 3000
    allow_edit_after_submit: bool = True
    # [{"key": "noi_dung", "label": "Nội dung", "max_points": 60}, …]; points of a grade are within 0..max_points.
    rubric: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    graders_per_essay: int = 2
    # Two judges' totals further apart than this share of the rubric's maximum are flagged.
    disagreement_share: float = 0.2
    # Optional: the essay score, times the weight, adds to this contest's total (app.services.essays.grading).
    contest_id: int | None = Field(default=None, foreign_key="contest.id")
    contest_weight: float = 0.0
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Essay(TableModel, table=True):
    """One member's essay in a campaign. The working copy (draft_*) is what the member types and autosaves; the
    submitted copy (topic, text, …) is what the cell reads and the judges grade, replaced only by a new submit."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "member_id", name="uq_essay_member"),
        Index("ix_essay_campaign_unit", "campaign_id", "unit_id"),
        CheckConstraint("status IN ('draft', 'submitted', 'reviewed', 'returned')", name="ck_essay_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="essay_campaign.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")  # the member's unit when the essay was last submitted
    status: str = Field(default=EssayStatus.draft, max_length=16)
    draft_topic: str = Field(default="", max_length=300)
    draft_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    draft_words: int = 0
    saved_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    topic: str = Field(default="", max_length=300)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    word_count: int = 0
    # fold(topic + text): lower case without diacritics, for the organisers' search.
    text_folded: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    submit_count: int = 0
    review_comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reviewed_by_id: int | None = Field(default=None, foreign_key="member.id")
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # Kept by app.services.essays.grading from the grades: their average, how many, and whether they disagree.
    score: float | None = None
    grade_count: int = 0
    disagreement: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class EssayGrade(TableModel, table=True):
    __tablename__ = "essay_grade"
    __table_args__ = (UniqueConstraint("essay_id", "judge_id", name="uq_essay_grade_judge"),)

    id: int | None = Field(default=None, primary_key=True)
    essay_id: int = Field(foreign_key="essay.id", ondelete="CASCADE")
    judge_id: int = Field(foreign_key="member.id", index=True)
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # {key: points}
    total: float = 0.0
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    graded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
