"""Judges grade essays on the campaign's rubric; the essay's score is the average of its grades.

A judge (or admin) whose subtree holds the essay's unit grades it once: grading again updates their own grade (the
database keeps one grade per judge and essay). Points lie within 0..max of each criterion. When two grades' totals
are further apart than the campaign's share of the rubric maximum (default 20%), the essay is flagged for the
judges to talk it over. A graded essay is frozen for its author (app.services.essays.essays.editable).

A campaign linked to a contest adds essay score × weight to the contest total: `weighted_scores` gives that per
member; the contest standings themselves are not changed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, Forbidden, Invalid, NotFound
from app.models import Member, Unit
from app.models.essays import Essay, EssayCampaign, EssayGrade, EssayStatus
from app.models.types import utcnow
from app.services.essays.campaigns import Reach, reach, rubric_max
from app.services.essays.essays import COMMENT_MAX, HANDED_IN, clean_text, readable
from app.services.kit import audit
from app.services.org.access import JUDGE, Actor

EPSILON = 1e-9


def check_scores(campaign: EssayCampaign, scores: dict[str, float]) -> dict[str, float]:
    """Every criterion of the rubric, and nothing else, each within 0..max (rounded to hundredths)."""
    if not campaign.rubric:
        raise Conflict(N_("Cuộc viết chưa có thang điểm."))
    known = {c["key"] for c in campaign.rubric}
    for key in scores:
        if key not in known:
            raise Invalid(N_("Tiêu chí «{key}» không có trong thang điểm."), field=f"scores.{key}", key=key)
    out: dict[str, float] = {}
    for c in campaign.rubric:
        value = scores.get(c["key"])
        if value is None:
            raise Invalid(N_("Thiếu điểm tiêu chí «{label}»."), field=f"scores.{c['key']}", label=c["label"])
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not -EPSILON <= value <= c["max_points"] + EPSILON
        ):
            raise Invalid(
                N_("Điểm tiêu chí «{label}» phải từ 0 đến {max}."), field=f"scores.{c['key']}", label=c["label"], max=c["max_points"]
            )
        out[c["key"]] = round(float(value), 2)
    return out


def disagree(campaign: EssayCampaign, totals: list[float]) -> bool:
    """Two grades further apart than the campaign's share of the rubric's maximum."""
    return len(totals) >= 2 and max(totals) - min(totals) > campaign.disagreement_share * rubric_max(campaign) + EPSILON


def refresh_score(session: Session, essay: Essay, campaign: EssayCampaign) -> None:
    """The essay's score (average of its grades), number of grades and disagreement flag, from its grades."""
    totals = [float(t) for t in session.exec(select(EssayGrade.total).where(EssayGrade.essay_id == essay.id)).all()]
    essay.grade_count = len(totals)
    essay.score = round(sum(totals) / len(totals), 2) if totals else None
    essay.disagreement = disagree(campaign, totals)
    session.add(essay)


def grade(
    *, session: Session, actor: Actor, essay_id: int, scores: dict[str, float], comment: str | None, now: datetime | None = None
) -> EssayGrade:
    now = now or utcnow()
    view = readable(session=session, actor=actor, essay_id=essay_id)
    if not actor.covers(view.unit, JUDGE):
        raise NotFound(N_("Không tìm thấy bài thu hoạch."))
    if not view.may_grade:
        raise Forbidden(N_("Giám khảo không chấm bài của chính mình."))
    essay, campaign = view.essay, view.campaign
    assert essay.id is not None
    if essay.status not in HANDED_IN:
        raise Conflict(N_("Bài đang được trả lại cho hội viên sửa; chưa chấm được."))
    points = check_scores(campaign, scores)
    text = clean_text(comment)
    if len(text) > COMMENT_MAX:
        raise Invalid(N_("Nhận xét dài quá {max} ký tự."), field="comment", max=COMMENT_MAX)
    mine = session.exec(select(EssayGrade).where(EssayGrade.essay_id == essay.id, EssayGrade.judge_id == actor.id)).first()
    if mine is None:
        if essay.grade_count >= campaign.graders_per_essay:
            raise Conflict(N_("Bài đã có đủ {n} giám khảo chấm."), n=campaign.graders_per_essay)
        mine = EssayGrade(essay_id=essay.id, judge_id=actor.id, graded_at=now)
    before = {"scores": dict(mine.scores), "total": mine.total} if mine.id else None
    mine.scores, mine.total, mine.comment, mine.updated_at = points, round(sum(points.values()), 2), text, now
    session.add(mine)
    session.flush()
    refresh_score(session, essay, campaign)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="essay.grade",
        entity="essay",
        entity_id=essay.id,
        ip=actor.ip,
        unit_id=essay.unit_id,
        detail={"campaign_id": campaign.id, "scores": points, "total": mine.total, "before": before, "essay_score": essay.score},
    )
    return mine


def grades_of(*, session: Session, essay_ids: list[int]) -> dict[int, list[tuple[EssayGrade, str]]]:
    """The grades of some essays with the judge's name, in the order they were first given."""
    out: dict[int, list[tuple[EssayGrade, str]]] = {i: [] for i in essay_ids}
    for start in range(0, len(essay_ids), 500):
        rows = session.exec(
            select(EssayGrade, Member.full_name)
            .join(Member, col(Member.id) == EssayGrade.judge_id)
            .where(col(EssayGrade.essay_id).in_(essay_ids[start : start + 500]))
            .order_by(col(EssayGrade.graded_at), col(EssayGrade.id))
        ).all()
        for g, name in rows:
            out[g.essay_id].append((g, name))
    return out


# --- the judges' queue -------------------------------------------------------------------------------------------
@dataclass
class QueueRow:
    essay: Essay
    member: Member
    unit: Unit
    mine: bool  # graded by this judge already


@dataclass
class Queue:
    reach: Reach
    rows: list[QueueRow]
    todo: int  # essays still needing a grade from someone (and not graded by this judge)
    flagged: int


QUEUE_LIMIT = 200


def queue(*, session: Session, actor: Actor, campaign_id: int, unit_code: str | None = None, show: str = "todo") -> Queue:
    """Essays handed in inside the judge's reach. show: "todo" (needing grades, not graded by me), "flagged"
    (judges disagree), "all"."""
    reached = reach(session=session, actor=actor, campaign_id=campaign_id, unit_code=unit_code, roles=JUDGE)
    campaign = reached.campaign
    graded_by_me = exists().where(col(EssayGrade.essay_id) == Essay.id, col(EssayGrade.judge_id) == actor.id)
    base: list[ColumnElement[bool]] = [
        col(Essay.campaign_id) == campaign.id,
        col(Essay.status).in_(HANDED_IN),
        col(Unit.path).startswith(reached.unit.path, autoescape=True),
        col(Essay.member_id) != actor.id,
    ]
    todo_where = [*base, col(Essay.grade_count) < campaign.graders_per_essay, ~graded_by_me]
    where = {"todo": todo_where, "flagged": [*base, col(Essay.disagreement).is_(True)]}.get(show, base)
    rows = session.exec(
        select(Essay, Member, Unit, graded_by_me)
        .join(Member, col(Member.id) == Essay.member_id)
        .join(Unit, col(Unit.id) == Essay.unit_id)
        .where(*where)
        .order_by(col(Essay.grade_count), col(Essay.submitted_at), col(Essay.id))
        .limit(QUEUE_LIMIT)
    ).all()

    def count(conditions: list[ColumnElement[bool]]) -> int:
        return int(session.exec(select(func.count()).select_from(Essay).join(Unit, col(Unit.id) == Essay.unit_id).where(*conditions)).one())

    return Queue(
        reach=reached,
        rows=[QueueRow(e, m, u, bool(g)) for e, m, u, g in rows],
        todo=count(todo_where),
        flagged=count([*base, col(Essay.disagreement).is_(True)]),
    )


# --- the link to a contest ---------------------------------------------------------------------------------------
def weighted_scores(*, session: Session, campaign: EssayCampaign) -> dict[int, float]:
    """Per member: the essay score times the campaign's weight, what the essay adds to the linked contest's total
    (graded essays only; nothing when the campaign is not linked to a contest)."""
    if campaign.contest_id is None or campaign.contest_weight <= 0:
        return {}
    rows = session.exec(
        select(Essay.member_id, Essay.score).where(
            Essay.campaign_id == campaign.id, col(Essay.score).is_not(None), col(Essay.status) != EssayStatus.draft
        )
    ).all()
    return {member_id: round(float(score) * campaign.contest_weight, 2) for member_id, score in rows if score is not None}


def contest_essay_points(*, session: Session, contest_id: int) -> dict[int, float]:
    """Per member, the weighted essay scores of every campaign linked to a contest, summed."""
    out: dict[int, float] = {}
    for campaign in session.exec(select(EssayCampaign).where(EssayCampaign.contest_id == contest_id)).all():
        for member_id, points in weighted_scores(session=session, campaign=campaign).items():
            out[member_id] = round(out.get(member_id, 0.0) + points, 2)
    return out
