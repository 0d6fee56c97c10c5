"""Essays (bài thu hoạch) over the API: campaigns, a member's own essay (draft, submit), the cell's review, the
judges' grades, the unit's files. Rules in app.services.essays.campaigns, essays, grading and exports."""

from __future__ import annotations

from fastapi.responses import FileResponse

from app.deps import CurrentActor, RequireOrganiser, SessionDep
from app.models.essays import Essay, EssayGrade
from app.routers.base import download, make_router
from app.services.essays import campaigns as essay_campaigns
from app.services.essays import essays, overview
from app.services.essays import exports as essay_exports
from app.services.essays import grading as essay_grading
from app.services.essays.schemas import (
    EssayCampaignCreate,
    EssayCampaignPublic,
    EssayCampaignUpdate,
    EssayDetail,
    EssayDraftIn,
    EssayList,
    EssayReviewed,
    EssayRow,
    GradeIn,
    GradeOut,
    MissingRow,
    MyEssay,
    ReviewIn,
)

router = make_router(tags=["essays"])


@router.post("/essay-campaigns", response_model=EssayCampaignPublic, status_code=201)
def create_campaign(data: EssayCampaignCreate, actor: RequireOrganiser, session: SessionDep) -> EssayCampaignPublic:
    """Organisers of the scope unit. Naive times are in Asia/Ho_Chi_Minh; a rubric is required."""
    campaign = essay_campaigns.create(session=session, actor=actor, data=data)
    return essay_campaigns.public_of(session=session, campaign=campaign)


@router.get("/essay-campaigns", response_model=list[EssayCampaignPublic])
def list_campaigns(actor: CurrentActor, session: SessionDep) -> list[EssayCampaignPublic]:
    """Those the caller writes in (their unit is in the scope) and those overlapping their organiser or judge roles."""
    return [essay_campaigns.public(c, u) for c, u in essay_campaigns.list_visible(session=session, actor=actor)]


@router.patch("/essay-campaigns/{campaign_id}", response_model=EssayCampaignPublic)
def update_campaign(campaign_id: int, data: EssayCampaignUpdate, actor: RequireOrganiser, session: SessionDep) -> EssayCampaignPublic:
    campaign = essay_campaigns.update(session=session, actor=actor, campaign_id=campaign_id, data=data)
    return essay_campaigns.public_of(session=session, campaign=campaign)


@router.get("/essay-campaigns/{campaign_id}/my-essay", response_model=MyEssay)
def my_essay(campaign_id: int, actor: CurrentActor, session: SessionDep) -> MyEssay:
    return essays.my_essay(session=session, actor=actor, campaign_id=campaign_id)


@router.put("/essay-campaigns/{campaign_id}/my-essay", response_model=MyEssay)
def save_draft(campaign_id: int, data: EssayDraftIn, actor: CurrentActor, session: SessionDep) -> MyEssay:
    """Save the working copy (any length up to a hard cap); what was handed in stays as it is until the next submit."""
    essays.save_draft(session=session, actor=actor, campaign_id=campaign_id, topic=data.topic, text=data.text)
    return essays.my_essay(session=session, actor=actor, campaign_id=campaign_id)


@router.post("/essay-campaigns/{campaign_id}/my-essay/submit", response_model=MyEssay)
def submit(campaign_id: int, actor: CurrentActor, session: SessionDep) -> MyEssay:
    """Hand in the working copy: the topic and the word limits are checked here. The answer is the receipt."""
    essays.submit(session=session, actor=actor, campaign_id=campaign_id)
    return essays.my_essay(session=session, actor=actor, campaign_id=campaign_id)


@router.get("/essay-campaigns/{campaign_id}/essays", response_model=EssayList)
def list_essays(
    campaign_id: int, actor: RequireOrganiser, session: SessionDep, unit_code: str | None = None, q: str = "", status: str | None = None
) -> EssayList:
    """The cell's view: essays handed in (q searches topic, text and name, ignoring diacritics) and who has not."""
    view = overview.overview(session=session, actor=actor, campaign_id=campaign_id, unit_code=unit_code, q=q, status=status)
    tz = essay_campaigns.zone(view.reach.campaign)
    return EssayList(
        unit_code=view.reach.unit.code,
        counts=view.counts,
        not_submitted_total=view.missing_total,
        essays=[
            EssayRow(
                id=e.id,
                member_id=m.id,
                full_name=m.full_name,
                member_code=m.member_code,
                phone=m.phone,
                unit_code=u.code,
                topic=e.topic,
                word_count=e.word_count,
                status=e.status,
                score=e.score,
                submitted_at=e.submitted_at.astimezone(tz) if e.submitted_at else None,
                grade_count=e.grade_count,
                disagreement=e.disagreement,
            )
            for e, m, u in view.essays
            if e.id is not None and m.id is not None
        ],
        not_submitted=[
            MissingRow(
                member_id=x.member.id, full_name=x.member.full_name, phone=x.member.phone, unit_code=x.unit.code, drafting=x.drafting
            )
            for x in view.missing
            if x.member.id is not None
        ],
    )


@router.get("/essays/{essay_id}", response_model=EssayDetail)
def read_essay(essay_id: int, actor: CurrentActor, session: SessionDep) -> EssayDetail:
    """An essay handed in, for organisers and judges whose subtree holds its unit, with its grades."""
    view = essays.readable(session=session, actor=actor, essay_id=essay_id)
    e = view.essay
    assert e.id is not None
    grades = essay_grading.grades_of(session=session, essay_ids=[e.id])[e.id]
    return EssayDetail(
        id=e.id,
        campaign_id=e.campaign_id,
        full_name=view.member.full_name,
        unit_code=view.unit.code,
        topic=e.topic,
        text=e.text,
        word_count=e.word_count,
        status=e.status,
        review_comment=e.review_comment,
        submitted_at=e.submitted_at.astimezone(essay_campaigns.zone(view.campaign)) if e.submitted_at else None,
        score=e.score,
        disagreement=e.disagreement,
        grades=[_grade_out(g, e) for g, _name in grades],
    )


@router.post("/essays/{essay_id}/review", response_model=EssayReviewed)
def review(essay_id: int, data: ReviewIn, actor: RequireOrganiser, session: SessionDep) -> EssayReviewed:
    """The cell's organiser: "reviewed" accepts the essay, "returned" sends it back with a (mandatory) comment."""
    e = essays.review(session=session, actor=actor, essay_id=essay_id, action=data.action, comment=data.comment)
    return EssayReviewed.model_validate(e, from_attributes=True)


def _grade_out(g: EssayGrade, e: Essay) -> GradeOut:
    return GradeOut(
        essay_id=g.essay_id,
        judge_id=g.judge_id,
        scores=g.scores,
        total=g.total,
        comment=g.comment,
        essay_score=e.score,
        grade_count=e.grade_count,
        disagreement=e.disagreement,
    )


@router.put("/essays/{essay_id}/grade", response_model=GradeOut)
def grade(essay_id: int, data: GradeIn, actor: CurrentActor, session: SessionDep) -> GradeOut:
    """A judge of the essay's unit: points per criterion within 0..max; sending again updates the judge's own grade."""
    g = essay_grading.grade(session=session, actor=actor, essay_id=essay_id, scores=data.scores, comment=data.comment)
    return _grade_out(g, essays.readable(session=session, actor=actor, essay_id=essay_id).essay)


@router.get("/essay-campaigns/{campaign_id}/export.{fmt}", response_class=FileResponse)
def export(campaign_id: int, fmt: str, actor: CurrentActor, session: SessionDep, unit_code: str | None = None) -> FileResponse:
    """XLSX summary (essays, who has not handed in, participation per unit) or the PDF bundle of the unit's essays."""
    out = essay_exports.export(session=session, actor=actor, campaign_id=campaign_id, fmt=fmt, unit_code=unit_code)
    return download(out)
