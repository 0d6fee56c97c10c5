"""The cell's view of an essay campaign: who has handed in (with search, in the Vietnamese name order) and who
has not (with phone numbers, to remind them), for the organisers and judges of a unit inside its scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from app.models import Member, Unit
from app.models.essays import Essay, EssayStatus
from app.services.essays.campaigns import Reach, reach
from app.services.kit.text import fold
from app.services.org.access import Actor


@dataclass
class Missing:
    member: Member
    unit: Unit
    drafting: bool  # has a working copy, never handed in


@dataclass
class Overview:
    reach: Reach
    essays: list[tuple[Essay, Member, Unit]]  # handed in (any status since), search applied
    missing: list[Missing]
    missing_total: int
    counts: dict[str, int] = field(default_factory=dict)


MISSING_SHOWN = 500


def _inside(unit: Unit) -> ColumnElement[bool]:
    return col(Unit.path).startswith(unit.path, autoescape=True)


def submitted_essays(*, session: Session, reached: Reach, q: str = "", status: str | None = None) -> list[tuple[Essay, Member, Unit]]:
    """Essays handed in inside the unit, in the Vietnamese name order; `q` ignores diacritics and looks in the topic,
    the text and the member's name ("nghi quyet" finds "Nghị quyết")."""
    stmt = (
        select(Essay, Member, Unit)
        .join(Member, col(Member.id) == Essay.member_id)
        .join(Unit, col(Unit.id) == Essay.unit_id)
        .where(Essay.campaign_id == reached.campaign.id, col(Essay.submitted_at).is_not(None), _inside(reached.unit))
    )
    term = fold(q)
    if term:
        stmt = stmt.where(
            or_(col(Essay.text_folded).contains(term, autoescape=True), col(Member.name_folded).contains(term, autoescape=True))
        )
    if status:
        stmt = stmt.where(Essay.status == status)
    return [(e, m, u) for e, m, u in session.exec(stmt.order_by(col(Member.sort_key), col(Member.id))).all()]


def handed_in_counts(*, session: Session, reached: Reach) -> tuple[dict[str, int], int]:
    """The essays handed in inside the unit, by their status now, and how many of them are graded."""
    by_status = session.exec(
        select(Essay.status, func.count())
        .join(Unit, col(Unit.id) == Essay.unit_id)
        .where(Essay.campaign_id == reached.campaign.id, col(Essay.submitted_at).is_not(None), _inside(reached.unit))
        .group_by(Essay.status)
    ).all()
    graded = session.exec(
        select(func.count())
        .select_from(Essay)
        .join(Unit, col(Unit.id) == Essay.unit_id)
        .where(Essay.campaign_id == reached.campaign.id, Essay.grade_count > 0, _inside(reached.unit))
    ).one()
    return {status: int(n) for status, n in by_status}, int(graded)


def overview(
    *, session: Session, actor: Actor, campaign_id: int, unit_code: str | None = None, q: str = "", status: str | None = None
) -> Overview:
    """The cell's page: who has handed in (with search), who has not (with phone numbers, to remind them)."""
    reached = reach(session=session, actor=actor, campaign_id=campaign_id, unit_code=unit_code)
    essays = submitted_essays(session=session, reached=reached, q=q, status=status)
    not_in = (
        select(Member, Unit, Essay.id)
        .join(Unit, col(Unit.id) == Member.unit_id)
        .outerjoin(Essay, (col(Essay.member_id) == Member.id) & (col(Essay.campaign_id) == reached.campaign.id))
        .where(_inside(reached.unit), col(Member.active).is_(True), col(Essay.submitted_at).is_(None))
    )
    total = session.exec(select(func.count()).select_from(not_in.subquery())).one()
    rows = session.exec(not_in.order_by(col(Unit.path), col(Member.sort_key), col(Member.id)).limit(MISSING_SHOWN)).all()
    by_status, graded = handed_in_counts(session=session, reached=reached)
    counts = {
        "submitted": sum(by_status.values()),
        "reviewed": by_status.get(EssayStatus.reviewed, 0),
        "returned": by_status.get(EssayStatus.returned, 0),
        "waiting": by_status.get(EssayStatus.submitted, 0),
        "graded": graded,
        "missing": int(total),
    }
    return Overview(
        reach=reached,
        essays=essays,
        missing=[Missing(m, u, eid is not None) for m, u, eid in rows],
        missing_total=int(total),
        counts=counts,
    )
