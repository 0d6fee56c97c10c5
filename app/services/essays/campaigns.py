"""Essay campaigns (bài thu hoạch): create and edit them (their settings checked by essays.campaign_checks), and who
reaches which.

A campaign belongs to a scope unit: members of its subtree write, organisers covering the scope set it up,
organisers of a unit inside it review that unit's essays, judges of a unit inside it grade that unit's essays.
Times are entered in the campaign's time zone (Asia/Ho_Chi_Minh) and stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, or_
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, Invalid, NotFound
from app.models import Unit
from app.models.essays import Essay, EssayCampaign, EssayGrade
from app.models.types import is_db_id, utcnow
from app.services.essays import campaign_checks as checks
from app.services.essays.schemas import Criterion, EssayCampaignCreate, EssayCampaignPublic, EssayCampaignUpdate
from app.services.kit import audit, offers
from app.services.kit.text import clean
from app.services.org import units
from app.services.org.access import JUDGE, MANAGE, Actor
from app.services.quiz.rules import GRACE  # a submit just before the deadline counts, as a quiz tap does

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
DEFAULT_RUBRIC = [
    {"key": "noi_dung", "label": "Nội dung, nhận thức về Nghị quyết", "max_points": 50},
    {"key": "giai_phap", "label": "Giải pháp, đề xuất thực hiện", "max_points": 40},
    {"key": "trinh_bay", "label": "Hình thức trình bày", "max_points": 10},
]


def zone(campaign: EssayCampaign) -> ZoneInfo:
    return ZoneInfo(campaign.timezone or DEFAULT_TZ)


def when(value: datetime | None, campaign: EssayCampaign) -> str:
    """A time as people read it in messages: 17:00 30/11/2026, in the campaign's zone."""
    return value.astimezone(zone(campaign)).strftime("%d/%m/%Y %H:%M") if value else ""


def state(campaign: EssayCampaign, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < campaign.opens_at:
        return "upcoming"
    return "open" if now < campaign.closes_at else "closed"


def check_window(campaign: EssayCampaign, now: datetime, *, grace: bool = False) -> None:
    """Members write inside the window only: the one place that says so, with the times in the message."""
    if now < campaign.opens_at:
        raise Conflict(N_("Cuộc viết bài thu hoạch chưa mở: bắt đầu nhận bài lúc {at}."), at=when(campaign.opens_at, campaign))
    if now >= campaign.closes_at + (GRACE if grace else timedelta(0)):
        raise Conflict(N_("Đã hết hạn nộp bài thu hoạch (hạn chót {at})."), at=when(campaign.closes_at, campaign))


def rubric_max(campaign: EssayCampaign) -> float:
    return float(sum(c["max_points"] for c in campaign.rubric))


def _audit_detail(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items() if k != "prompt"}


def create(*, session: Session, actor: Actor, data: EssayCampaignCreate) -> EssayCampaign:
    actor.require_any()
    if not clean(data.scope_unit_code):
        raise Invalid(N_("Thiếu đơn vị phạm vi của cuộc viết (scope_unit_code)."), field="scope_unit_code")
    try:
        scope = units.get_by_code(session=session, code=data.scope_unit_code)
    except NotFound as exc:
        raise Invalid(exc.message, field="scope_unit_code", **exc.params) from None
    actor.require(scope)
    values = checks.check_whole(checks.check(session, actor, data.model_dump(exclude={"scope_unit_code"}), ZoneInfo(DEFAULT_TZ)))
    assert scope.id is not None
    campaign = EssayCampaign(**values, scope_unit_id=scope.id, timezone=DEFAULT_TZ, created_by_id=actor.id)
    session.add(campaign)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="essay_campaign.create",
        entity="essay_campaign",
        entity_id=campaign.id,
        ip=actor.ip,
        unit_id=scope.id,
        detail={"scope": scope.code, **_audit_detail(values)},
    )
    return campaign


def update(*, session: Session, actor: Actor, campaign_id: int, data: EssayCampaignUpdate) -> EssayCampaign:
    campaign, scope = get_managed(session=session, actor=actor, campaign_id=campaign_id)
    sent = data.model_dump(exclude_unset=True)
    sent = {k: v for k, v in sent.items() if v is not None or k == "contest_id"}
    values = checks.check(session, actor, sent, zone(campaign))
    values = {**values, **checks.check_whole({k: values.get(k, getattr(campaign, k)) for k in checks.WHOLE})}
    changes = {k: v for k, v in values.items() if getattr(campaign, k) != v}
    if (
        "rubric" in changes
        and session.exec(
            select(EssayGrade.id).join(Essay, col(Essay.id) == EssayGrade.essay_id).where(Essay.campaign_id == campaign.id).limit(1)
        ).first()
        is not None
    ):
        raise Conflict(N_("Đã có bài được chấm: không đổi được thang điểm nữa."), extra={"field": "rubric"})
    if not changes:
        return campaign
    before = {k: getattr(campaign, k) for k in changes}
    for key, value in changes.items():
        setattr(campaign, key, value)
    campaign.updated_at = utcnow()
    session.add(campaign)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="essay_campaign.update",
        entity="essay_campaign",
        entity_id=campaign.id,
        ip=actor.ip,
        unit_id=scope.id,
        detail={"before": _audit_detail(before), "after": _audit_detail(changes)},
    )
    return campaign


# --- who reaches what ------------------------------------------------------------------------------------------
def _load(session: Session, campaign_id: int) -> tuple[EssayCampaign, Unit]:
    campaign = session.get(EssayCampaign, campaign_id) if is_db_id(campaign_id) else None
    scope = session.get(Unit, campaign.scope_unit_id) if campaign else None
    if campaign is None or scope is None:
        raise NotFound(N_("Không tìm thấy cuộc viết bài thu hoạch."))
    return campaign, scope


def home_unit(session: Session, actor: Actor) -> Unit:
    unit = actor.unit or session.get(Unit, actor.member.unit_id)
    assert unit is not None
    return unit


def get_managed(*, session: Session, actor: Actor, campaign_id: int) -> tuple[EssayCampaign, Unit]:
    """A campaign whose settings the actor may change: an organiser covering its scope."""
    campaign, scope = _load(session, campaign_id)
    if not actor.covers(scope):
        raise NotFound(N_("Không tìm thấy cuộc viết bài thu hoạch."))
    return campaign, scope


def get_for_member(*, session: Session, actor: Actor, campaign_id: int) -> EssayCampaign:
    """A campaign the member writes in: their unit lies in its scope."""
    campaign, scope = _load(session, campaign_id)
    if not home_unit(session, actor).path.startswith(scope.path):
        raise NotFound(N_("Không tìm thấy cuộc viết bài thu hoạch."))
    return campaign


@dataclass
class Reach:
    campaign: EssayCampaign
    scope: Unit
    unit: Unit  # the unit asked for: the scope, or a unit inside it the actor covers

    @property
    def whole(self) -> bool:
        return self.unit.id == self.scope.id


def reach(*, session: Session, actor: Actor, campaign_id: int, unit_code: str | None = None, roles: tuple[str, ...] = MANAGE) -> Reach:
    """A campaign seen by an organiser (or judge, with roles=JUDGE) for one unit inside its scope: the unit asked
    for, else the scope when they cover it, else their own narrowest subtree inside it."""
    campaign, scope = _load(session, campaign_id)
    unit = units.reached_unit(
        session=session,
        actor=actor,
        scope=scope,
        unit_code=unit_code,
        roles=roles,
        missing=N_("Không tìm thấy cuộc viết bài thu hoạch."),
        outside=N_("Đơn vị {code} không thuộc phạm vi cuộc viết."),
    )
    return Reach(campaign=campaign, scope=scope, unit=unit)


def _ancestor_paths(path: str) -> list[str]:
    ids = [x for x in path.strip("/").split("/") if x]
    return ["/" + "/".join(ids[:n]) + "/" for n in range(1, len(ids) + 1)]


def list_visible(*, session: Session, actor: Actor, roles: tuple[str, ...] | None = None) -> list[tuple[EssayCampaign, Unit]]:
    """Campaigns the actor can see, newest first: those their unit writes in, and those overlapping the subtrees
    of their roles (`roles` narrows it to those roles, e.g. JUDGE for the grading queue)."""
    grant_paths = actor.paths(roles if roles is not None else (*MANAGE, *JUDGE))
    above = {p for g in grant_paths for p in _ancestor_paths(g)}
    if roles is None:
        above.update(_ancestor_paths(home_unit(session, actor).path))
    where: list[ColumnElement[bool]] = [col(Unit.path).in_(sorted(above))] if above else []
    where += [col(Unit.path).startswith(p, autoescape=True) for p in grant_paths]
    if not where:
        return []
    rows = session.exec(
        select(EssayCampaign, Unit)
        .join(Unit, col(Unit.id) == EssayCampaign.scope_unit_id)
        .where(or_(*where))
        .order_by(col(EssayCampaign.closes_at).desc(), col(EssayCampaign.id).desc())
    ).all()
    return [(c, u) for c, u in rows]


def list_managed(*, session: Session, actor: Actor) -> list[tuple[EssayCampaign, Unit]]:
    """Campaigns an organiser can set up or review in (their subtree overlaps the scope)."""
    return list_visible(session=session, actor=actor, roles=MANAGE)


def open_for_member(
    *, session: Session, actor: Actor, now: datetime | None = None, cache: offers.Cache | None = None
) -> list[EssayCampaign]:
    """Campaigns open right now whose scope holds the member's unit, nearest deadline first (home keeps every
    unit's open campaigns, a few, a few seconds: kit.offers; what closed since is left out)."""
    now = now or utcnow()
    ancestors = set(units.ancestor_ids(home_unit(session, actor).path))

    def make(db: Session) -> list[EssayCampaign]:
        stmt = (
            select(EssayCampaign).where(EssayCampaign.opens_at <= now, EssayCampaign.closes_at > now).order_by(col(EssayCampaign.closes_at))
        )
        return offers.detached(db, db.exec(stmt).all())

    return [c for c in offers.shared(cache, ("essays-open",), session, make) if c.scope_unit_id in ancestors and c.closes_at > now]


def has_essays(*, session: Session, campaign_id: int) -> bool:
    return bool(session.exec(select(exists().where(col(Essay.campaign_id) == campaign_id))).one())


def public(campaign: EssayCampaign, scope: Unit, now: datetime | None = None) -> EssayCampaignPublic:
    assert campaign.id is not None
    tz = zone(campaign)
    return EssayCampaignPublic(
        id=campaign.id,
        title=campaign.title,
        prompt=campaign.prompt,
        topics=list(campaign.topics),
        scope_unit_code=scope.code,
        opens_at=campaign.opens_at.astimezone(tz),
        closes_at=campaign.closes_at.astimezone(tz),
        timezone=campaign.timezone,
        state=state(campaign, now),
        min_words=campaign.min_words,
        max_words=campaign.max_words,
        allow_edit_after_submit=campaign.allow_edit_after_submit,
        rubric=[Criterion(**c) for c in campaign.rubric],
        rubric_max=rubric_max(campaign),
        graders_per_essay=campaign.graders_per_essay,
        disagreement_share=campaign.disagreement_share,
        contest_id=campaign.contest_id,
        contest_weight=campaign.contest_weight,
    )


def public_of(*, session: Session, campaign: EssayCampaign) -> EssayCampaignPublic:
    scope = session.get(Unit, campaign.scope_unit_id)
    assert scope is not None
    return public(campaign, scope)
