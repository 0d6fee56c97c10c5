"""Members write their essay (bài thu hoạch); the cell reads, accepts or returns it; organisers find essays.

An essay has two copies. The working copy (draft_*) is what the member types: autosaved, any length up to a hard
cap, kept until the deadline. The submitted copy is what the cell reads and the judges grade: it changes only by a
submit, which checks the topic and the word limits. So an autosave never breaks an essay already handed in.

Who may change it, in one rule (`editable`): inside the campaign's window; a draft always; a submitted or reviewed
essay when the campaign allows edits after submitting; a returned one always; a graded one never.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import N_, AppError, Conflict, Invalid, NotFound
from app.models import Member, Unit
from app.models.essays import Essay, EssayCampaign, EssayStatus
from app.models.types import is_db_id, utcnow
from app.services.essays.campaigns import check_window, get_for_member, home_unit, zone
from app.services.essays.schemas import MyEssay
from app.services.kit import audit
from app.services.kit.text import INVISIBLE, clean, fold, nfc
from app.services.org.access import JUDGE, MANAGE, Actor

DRAFT_MAX_CHARS = 60_000  # the hard cap of a working copy, whatever the campaign's word limit
COMMENT_MAX = 2000
HANDED_IN = (EssayStatus.submitted, EssayStatus.reviewed)  # what the judges may grade
# The member's own view of their essay, one word for the list and the essay page alike.
MY_STATES = {
    "none": N_("Chưa viết"),
    "draft": N_("Đang viết nháp"),
    "returned": N_("Bị trả lại để sửa"),
    "changed": N_("Đã nộp; có bản sửa chưa nộp"),
    "submitted": N_("Đã nộp, chờ chi bộ xem"),
    "reviewed": N_("Chi bộ đã xem"),
    "graded": N_("Đã chấm điểm"),
}
STATUS_LABELS: dict[str, str] = {
    EssayStatus.draft: N_("Đang viết nháp"),
    EssayStatus.submitted: N_("Đã nộp, chờ chi bộ xem"),
    EssayStatus.reviewed: N_("Chi bộ đã xem"),
    EssayStatus.returned: N_("Bị trả lại để sửa"),
}

_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


# --- text --------------------------------------------------------------------------------------------------------
def clean_text(value: str | None) -> str:
    """NFC, one kind of line end, no control characters, no trailing spaces, no blank lines around."""
    text = INVISIBLE.sub("", nfc(value or "").replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def count_words(text: str) -> int:
    """Words as Vietnamese word processors count them (each syllable between spaces), ignoring lone punctuation.
    app/static/essay.js counts the same way for the live count."""
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


def paragraphs(text: str) -> list[str]:
    """The essay split on blank lines, for pages and the PDF (never rendered as HTML)."""
    return [p.strip() for p in _BLANK_LINES.split(text) if p.strip()]


def _topic(campaign: EssayCampaign, value: str | None, *, required: bool) -> str:
    topic = clean(value)
    if not topic:
        if required:
            raise Invalid(N_("Hãy chọn hoặc ghi vấn đề bạn viết."), field="topic")
        return ""
    if campaign.topics and topic not in campaign.topics:
        raise Invalid(N_("Chủ đề «{topic}» không có trong danh sách của cuộc viết."), field="topic", topic=topic)
    if len(topic) > 300:
        raise Invalid(N_("Chủ đề dài tối đa 300 ký tự."), field="topic")
    return topic


# --- the member's own essay --------------------------------------------------------------------------------------
def own(session: Session, actor: Actor, campaign_id: int) -> tuple[EssayCampaign, Essay | None]:
    campaign = get_for_member(session=session, actor=actor, campaign_id=campaign_id)
    essay = session.exec(select(Essay).where(Essay.campaign_id == campaign.id, Essay.member_id == actor.id)).first()
    return campaign, essay


def mine_in(*, session: Session, actor: Actor, campaign_ids: list[int]) -> dict[int, Essay]:
    """The member's essays in some campaigns, by campaign id (for their list of campaigns)."""
    if not campaign_ids:
        return {}
    rows = session.exec(select(Essay).where(col(Essay.campaign_id).in_(campaign_ids), Essay.member_id == actor.id)).all()
    return {e.campaign_id: e for e in rows}


def editable(campaign: EssayCampaign, essay: Essay | None, now: datetime, *, grace: bool = False) -> None:
    """Raise why the member may not change their essay now; return when they may."""
    check_window(campaign, now, grace=grace)
    if essay is None or essay.status in (EssayStatus.draft, EssayStatus.returned):
        return
    if essay.grade_count:
        raise Conflict(N_("Bài đã được chấm điểm; không sửa được nữa."))
    if not campaign.allow_edit_after_submit:
        raise Conflict(N_("Bài đã nộp; cuộc viết này không cho sửa bài sau khi nộp."))


def can_edit(campaign: EssayCampaign, essay: Essay | None, now: datetime | None = None) -> bool:
    try:
        editable(campaign, essay, now or utcnow())
    except AppError:
        return False
    return True


def my_essay(*, session: Session, actor: Actor, campaign_id: int, now: datetime | None = None) -> MyEssay:
    campaign, essay = own(session, actor, campaign_id)
    return view_of(campaign, essay, now)


def view_of(campaign: EssayCampaign, essay: Essay | None, now: datetime | None = None) -> MyEssay:
    assert campaign.id is not None
    if essay is None:
        return MyEssay(
            id=None,
            campaign_id=campaign.id,
            status=None,
            draft_topic="",
            draft_text="",
            draft_words=0,
            saved_at=None,
            topic="",
            text="",
            word_count=0,
            submitted_at=None,
            review_comment="",
            unsubmitted_changes=False,
            can_edit=can_edit(campaign, None, now),
        )
    changed = essay.submitted_at is not None and (essay.draft_text != essay.text or essay.draft_topic != essay.topic)
    tz = zone(campaign)
    return MyEssay(
        id=essay.id,
        campaign_id=campaign.id,
        status=essay.status,
        draft_topic=essay.draft_topic,
        draft_text=essay.draft_text,
        draft_words=essay.draft_words,
        saved_at=essay.saved_at.astimezone(tz),
        topic=essay.topic,
        text=essay.text,
        word_count=essay.word_count,
        submitted_at=essay.submitted_at.astimezone(tz) if essay.submitted_at else None,
        review_comment=essay.review_comment if essay.status == EssayStatus.returned else "",
        unsubmitted_changes=changed,
        can_edit=can_edit(campaign, essay, now),
        score=essay.score if essay.grade_count else None,
        state=_my_state(essay, changed),
    )


def _my_state(essay: Essay, changed: bool) -> str:
    if essay.submitted_at is None:
        return "draft"
    if essay.status == EssayStatus.returned:
        return "returned"
    if changed:
        return "changed"
    if essay.grade_count:
        return "graded"
    return "reviewed" if essay.status == EssayStatus.reviewed else "submitted"


def _new_essay(session: Session, actor: Actor, campaign: EssayCampaign, now: datetime) -> Essay:
    """Create the member's essay; two autosaves racing for it (two tabs) meet the unique constraint, and the
    loser reads the winner's row instead of failing."""
    unit = home_unit(session, actor)
    assert campaign.id is not None and unit.id is not None
    essay = Essay(campaign_id=campaign.id, member_id=actor.id, unit_id=unit.id, saved_at=now)
    try:
        with session.begin_nested():
            session.add(essay)
            session.flush()
    except IntegrityError:
        existing = session.exec(select(Essay).where(Essay.campaign_id == campaign.id, Essay.member_id == actor.id)).one()
        return existing
    return essay


def save_draft(
    *, session: Session, actor: Actor, campaign_id: int, topic: str | None, text: str | None, now: datetime | None = None
) -> Essay:
    """Save the working copy (autosave, or the plain form's "save"). Any length up to DRAFT_MAX_CHARS."""
    now = now or utcnow()
    campaign, essay = own(session, actor, campaign_id)
    editable(campaign, essay, now, grace=True)
    body = clean_text(text)
    if len(body) > DRAFT_MAX_CHARS:
        raise Invalid(N_("Bài viết dài quá {max} ký tự; không lưu được."), field="text", max=f"{DRAFT_MAX_CHARS:,}".replace(",", "."))
    chosen = _topic(campaign, topic, required=False)
    if essay is None:
        essay = _new_essay(session, actor, campaign, now)
    essay.draft_topic, essay.draft_text, essay.draft_words, essay.saved_at = chosen, body, count_words(body), now
    session.add(essay)
    session.flush()
    return essay


def submit(
    *, session: Session, actor: Actor, campaign_id: int, topic: str | None = None, text: str | None = None, now: datetime | None = None
) -> Essay:
    """Hand in the working copy (saving `topic` and `text` first when given, as the plain form does)."""
    now = now or utcnow()
    if text is not None or topic is not None:
        save_draft(session=session, actor=actor, campaign_id=campaign_id, topic=topic, text=text, now=now)
    campaign, essay = own(session, actor, campaign_id)
    editable(campaign, essay, now, grace=True)
    if essay is None or not essay.draft_text:
        raise Invalid(N_("Bài viết đang trống."), field="text")
    _topic(campaign, essay.draft_topic, required=True)
    words = essay.draft_words
    if words < campaign.min_words:
        raise Invalid(N_("Bài viết có {n} chữ, cần ít nhất {min} chữ."), field="text", n=words, min=campaign.min_words)
    if words > campaign.max_words:
        raise Invalid(N_("Bài viết có {n} chữ, vượt giới hạn {max} chữ."), field="text", n=words, max=campaign.max_words)
    essay.topic, essay.text, essay.word_count = essay.draft_topic, essay.draft_text, words
    essay.text_folded = fold(f"{essay.topic}\n{essay.text}")
    essay.submitted_at, essay.submit_count, essay.status = now, essay.submit_count + 1, EssayStatus.submitted
    unit = home_unit(session, actor)
    assert unit.id is not None
    essay.unit_id = unit.id
    essay.reviewed_at = essay.reviewed_by_id = None
    session.add(essay)
    session.flush()
    return essay


# --- the cell's review -------------------------------------------------------------------------------------------
@dataclass
class EssayView:
    essay: Essay
    member: Member
    unit: Unit
    campaign: EssayCampaign
    may_review: bool
    may_grade: bool


def readable(*, session: Session, actor: Actor, essay_id: int) -> EssayView:
    """A submitted essay for an organiser or judge whose subtree holds its unit; for anyone else it does not exist."""
    essay = session.get(Essay, essay_id) if is_db_id(essay_id) else None
    unit = session.get(Unit, essay.unit_id) if essay else None
    if essay is None or unit is None or essay.submitted_at is None or not actor.covers(unit, (*MANAGE, *JUDGE)):
        raise NotFound(N_("Không tìm thấy bài thu hoạch."))
    member, campaign = session.get(Member, essay.member_id), session.get(EssayCampaign, essay.campaign_id)
    assert member is not None and campaign is not None
    return EssayView(
        essay=essay,
        member=member,
        unit=unit,
        campaign=campaign,
        may_review=actor.covers(unit, MANAGE),
        may_grade=actor.covers(unit, JUDGE) and essay.member_id != actor.id,
    )


def review(*, session: Session, actor: Actor, essay_id: int, action: str, comment: str | None, now: datetime | None = None) -> Essay:
    """The cell accepts an essay ("reviewed") or returns it with a comment ("returned") to be edited and handed in
    again before the deadline."""
    now = now or utcnow()
    view = readable(session=session, actor=actor, essay_id=essay_id)
    if not view.may_review:
        raise NotFound(N_("Không tìm thấy bài thu hoạch."))
    essay, campaign = view.essay, view.campaign
    text = clean_text(comment)
    if len(text) > COMMENT_MAX:
        raise Invalid(N_("Nhận xét dài quá {max} ký tự."), field="comment", max=COMMENT_MAX)
    if action not in ("reviewed", "returned"):
        raise Invalid(N_("Thao tác không hợp lệ: chọn «đã xem» hoặc «trả lại»."), field="action")
    if essay.status not in HANDED_IN:
        raise Conflict(N_("Bài đang được hội viên sửa lại; chưa xem được."))
    if action == "returned":
        if not text:
            raise Invalid(N_("Trả lại bài thì cần ghi nhận xét để hội viên biết sửa gì."), field="comment")
        if essay.grade_count:
            raise Conflict(N_("Bài đã được chấm điểm; không trả lại được."))
        if now >= campaign.closes_at:
            raise Conflict(N_("Đã hết hạn nộp bài: trả lại thì hội viên không còn sửa được."))
    essay.status = EssayStatus.reviewed if action == "reviewed" else EssayStatus.returned
    essay.review_comment, essay.reviewed_by_id, essay.reviewed_at = text, actor.id, now
    session.add(essay)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="essay.review" if action == "reviewed" else "essay.return",
        entity="essay",
        entity_id=essay.id,
        ip=actor.ip,
        unit_id=essay.unit_id,
        detail={"campaign_id": campaign.id, "member_id": essay.member_id, "comment": text},
    )
    return essay


def history_of(*, session: Session, actor: Actor) -> list[tuple[EssayCampaign, Essay]]:
    """The member's essays across campaigns, newest campaign first (for their history page)."""
    return [
        (c, e)
        for e, c in session.exec(
            select(Essay, EssayCampaign)
            .join(EssayCampaign, col(EssayCampaign.id) == col(Essay.campaign_id))
            .where(col(Essay.member_id) == actor.id)
            .order_by(col(EssayCampaign.closes_at).desc())
        ).all()
    ]
