"""Request and response shapes of the essays domain (API and pages alike)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import SQLModel


# --- API schemas ---------------------------------------------------------------------------------------
class CriterionIn(SQLModel):
    key: str = ""  # made from the label when empty
    label: str
    max_points: float


class EssayCampaignCreate(SQLModel):
    """Naive times are in the campaign's time zone (Asia/Ho_Chi_Minh)."""

    title: str
    prompt: str = ""
    topics: list[str] = []
    scope_unit_code: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    min_words: int = 0
    max_words: int = 3000
    allow_edit_after_submit: bool = True
    rubric: list[CriterionIn] = []
    graders_per_essay: int = 2
    disagreement_share: float = 0.2
    contest_id: int | None = None
    contest_weight: float = 0.0


class EssayCampaignUpdate(SQLModel):
    """Only the fields sent change (send "contest_id": null to drop the link)."""

    title: str | None = None
    prompt: str | None = None
    topics: list[str] | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    min_words: int | None = None
    max_words: int | None = None
    allow_edit_after_submit: bool | None = None
    rubric: list[CriterionIn] | None = None
    graders_per_essay: int | None = None
    disagreement_share: float | None = None
    contest_id: int | None = None
    contest_weight: float | None = None


class Criterion(SQLModel):
    key: str
    label: str
    max_points: float


class EssayCampaignPublic(SQLModel):
    id: int
    title: str
    prompt: str
    topics: list[str]
    scope_unit_code: str
    opens_at: datetime  # in the campaign's time zone
    closes_at: datetime
    timezone: str
    state: str  # upcoming | open | closed
    min_words: int
    max_words: int
    allow_edit_after_submit: bool
    rubric: list[Criterion]
    rubric_max: float
    graders_per_essay: int
    disagreement_share: float
    contest_id: int | None
    contest_weight: float


class EssayDraftIn(SQLModel):
    topic: str = ""
    text: str = ""


class MyEssay(SQLModel):
    id: int | None  # None: nothing written yet
    campaign_id: int
    status: str | None
    draft_topic: str
    draft_text: str
    draft_words: int
    saved_at: datetime | None
    topic: str
    text: str
    word_count: int
    submitted_at: datetime | None
    review_comment: str
    unsubmitted_changes: bool  # the working copy differs from what was handed in
    can_edit: bool
    score: float | None = None  # shown once graded
    state: str = "none"  # what the member is told, the same on the list and the page: essays.MY_STATES


class ReviewIn(SQLModel):
    action: str  # "reviewed" | "returned"
    comment: str = ""


class GradeIn(SQLModel):
    scores: dict[str, float]
    comment: str = ""


class EssayReviewed(SQLModel):
    id: int
    status: str
    review_comment: str
    reviewed_at: datetime | None


class GradeOut(SQLModel):
    essay_id: int
    judge_id: int
    scores: dict[str, float]
    total: float
    comment: str
    essay_score: float | None  # the average over the essay's grades
    grade_count: int
    disagreement: bool


class EssayRow(BaseModel):
    id: int
    member_id: int
    full_name: str
    member_code: str
    phone: str
    unit_code: str
    topic: str
    word_count: int
    submitted_at: datetime | None
    status: str
    score: float | None
    grade_count: int
    disagreement: bool


class MissingRow(BaseModel):
    member_id: int
    full_name: str
    phone: str
    unit_code: str
    drafting: bool


class EssayList(BaseModel):
    unit_code: str
    counts: dict[str, int]
    essays: list[EssayRow]
    not_submitted: list[MissingRow]
    not_submitted_total: int


class EssayDetail(BaseModel):
    id: int
    campaign_id: int
    full_name: str
    unit_code: str
    topic: str
    text: str
    word_count: int
    submitted_at: datetime | None
    status: str
    review_comment: str
    score: float | None
    disagreement: bool
    grades: list[GradeOut]
