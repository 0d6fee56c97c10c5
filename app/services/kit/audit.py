"""The audit log: one call records who did what to which entity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select  # sqlmodel's select() is typed for at most four columns
from sqlmodel import Session, col, select

from app.models import AuditEntry, Member, Unit
from app.services.org.access import JUDGE, MANAGE, Actor


def record(
    *,
    session: Session,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: object = "",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    unit_id: int | None = None,
) -> AuditEntry:
    """`unit_id` says where it happened (who may read the entry); by default the acting member's unit."""
    if unit_id is None and actor_id is not None:
        member = session.get(Member, actor_id)
        unit_id = member.unit_id if member else None
    entry = AuditEntry(
        actor_id=actor_id, action=action, entity=entity, entity_id=str(entity_id), detail=detail or {}, ip=ip, unit_id=unit_id
    )
    session.add(entry)
    return entry


ACTIONS = (
    "auth.login",
    "auth.logout",
    "auth.change_password",
    "member.create",
    "member.update",
    "member.import",
    "member.activate",
    "member.deactivate",
    "member.reset_password",
    "member.revoke",
    "unit.create",
    "unit.update",
    "unit.move",
    "topic.create",
    "question.create",
    "question.update",
    "question.import",
    "question.rescore",
    "contest.create",
    "contest.update",
    "contest.publish",
    "contest.close",
    "round.update",
    "round.close",
    "round.flags",
    "round.prize_rules",
    "round.prizes_confirm",
    "round.seal",
    "attempt.disqualify",
    "attempt.reinstate",
    "member.disqualify",
    "member.reinstate",
    "essay_campaign.create",
    "essay_campaign.update",
    "essay.review",
    "essay.return",
    "essay.grade",
)


@dataclass
class LogFilter:
    action: str | None = None  # an action, or a prefix such as "round." or "attempt."
    who: str | None = None  # the acting member's code or phone
    entity: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _where(actor: Actor, f: LogFilter) -> list[Any]:
    where: list[Any] = [actor.unit_filter((*MANAGE, *JUDGE))]
    if f.action:
        where.append(
            col(AuditEntry.action).startswith(f.action, autoescape=True) if f.action.endswith(".") else AuditEntry.action == f.action
        )
    if f.entity:
        where.append(AuditEntry.entity == f.entity)
    if f.entity_id:
        where.append(AuditEntry.entity_id == f.entity_id)
    if f.since:
        where.append(AuditEntry.at >= f.since)
    if f.until:
        where.append(AuditEntry.at < f.until)
    if f.who:
        who = select(Member.id).where(or_(col(Member.member_code) == f.who, col(Member.phone) == f.who))
        where.append(col(AuditEntry.actor_id).in_(who))
    return where


def search(
    *,
    session: Session,
    actor: Actor,
    log_filter: LogFilter,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[tuple[AuditEntry, str | None, str | None]]]:
    """Entries that happened inside the organiser's or judge's subtrees, newest first, with the acting
    member's name and the unit's name. Admins see everything under their grants, as everyone."""
    actor.require_any((*MANAGE, *JUDGE))
    where = _where(actor, log_filter)
    base = select(AuditEntry).join(Unit, col(Unit.id) == AuditEntry.unit_id).where(*where)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = session.execute(
        select(AuditEntry, Member.full_name, Unit.name)
        .join(Unit, col(Unit.id) == AuditEntry.unit_id)
        .outerjoin(Member, col(Member.id) == AuditEntry.actor_id)
        .where(*where)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return int(total), [(e, name, unit) for e, name, unit in rows]


def iter_entries(*, session: Session, actor: Actor, log_filter: LogFilter) -> Iterator[tuple[Any, ...]]:
    """Every matching entry, for the export: read in batches, newest first."""
    actor.require_any((*MANAGE, *JUDGE))
    stmt = (
        sa_select(
            col(AuditEntry.at),
            col(AuditEntry.action),
            col(AuditEntry.entity),
            col(AuditEntry.entity_id),
            col(Member.member_code),
            col(Member.full_name),
            col(Unit.code),
            col(AuditEntry.ip),
            col(AuditEntry.detail),
        )
        .join(Unit, col(Unit.id) == AuditEntry.unit_id)
        .outerjoin(Member, col(Member.id) == AuditEntry.actor_id)
        .where(*_where(actor, log_filter))
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .execution_options(yield_per=2000)
    )
    for row in session.execute(stmt):
        yield (*row[:8], json.dumps(row[8], ensure_ascii=False, sort_keys=True))
