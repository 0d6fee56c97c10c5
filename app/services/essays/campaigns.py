"""Essay campaigns (bài thu hoạch): create and edit them, the one check of their settings, and who reaches which.

A campaign belongs to a scope unit: members of its subtree write, organisers covering the scope set it up,
organisers of a unit inside it review that unit's essays, judges of a unit inside it grade that unit's essays.
Times are entered in the campaign's time zone (Asia/Ho_Chi_Minh) and stored in UTC.
"""

from __future__ import annotations

import math
import re
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
from app.services.contests.checks import to_utc
from app.services.essays.schemas import Criterion, CriterionIn, EssayCampaignCreate, EssayCampaignPublic, EssayCampaignUpdate
from app.services.kit import audit, offers
from app.services.kit.files import ascii_slug
from app.services.kit.text import clean, nfc
from app.services.org import units
from app.services.org.access import JUDGE, MANAGE, Actor
from app.services.quiz.rules import GRACE  # a submit just before the deadline counts, as a quiz tap does

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
MAX_PROMPT = 20_000
MAX_TOPICS, MAX_TOPIC = 30, 300
MAX_WORD_LIMIT = 20_000
MAX_CRITERIA, MAX_CRITERION_POINTS = 12, 1000
MAX_GRADERS = 5
MAX_WEIGHT = 100
_KEY = re.compile(r"^[a-z0-9_]{1,40}$")
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


# --- the check of the settings ---------------------------------------------------------------------------------
def _topics(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        topic = clean(value)
        if not topic or topic in out:
            continue
        if len(topic) > MAX_TOPIC:
            raise Invalid(N_("Mỗi chủ đề dài tối đa {max} ký tự."), field="topics", max=MAX_TOPIC)
        out.append(topic)
    if len(out) > MAX_TOPICS:
        raise Invalid(N_("Tối đa {max} chủ đề để chọn."), field="topics", max=MAX_TOPICS)
    return out


def _rubric(criteria: list[Any]) -> list[dict[str, Any]]:
    if not criteria:
        raise Invalid(N_("Cần ít nhất một tiêu chí chấm điểm."), field="rubric")
    if len(criteria) > MAX_CRITERIA:
        raise Invalid(N_("Tối đa {max} tiêu chí chấm điểm."), field="rubric", max=MAX_CRITERIA)
    out: list[dict[str, Any]] = []
    for n, item in enumerate(criteria, start=1):
        c = item if isinstance(item, CriterionIn) else CriterionIn.model_validate(item)
        label = clean(c.label)
        if not label or len(label) > 200:
            raise Invalid(N_("Tiêu chí {n}: cần tên tiêu chí (tối đa 200 ký tự)."), field="rubric", n=n)
        key = clean(c.key).lower() or ascii_slug(label, fallback=f"tieu_chi_{n}").replace("-", "_")[:40]
        if not _KEY.match(key):
            raise Invalid(N_("Tiêu chí {n}: mã «{key}» chỉ gồm chữ thường không dấu, số và dấu gạch dưới."), field="rubric", n=n, key=key)
        if any(o["key"] == key for o in out):
            raise Invalid(N_("Tiêu chí {n}: mã «{key}» bị trùng."), field="rubric", n=n, key=key)
        points = c.max_points
        if not isinstance(points, int | float) or not math.isfinite(points) or not 0 < points <= MAX_CRITERION_POINTS:
            raise Invalid(N_("Tiêu chí {n}: điểm tối đa phải lớn hơn 0 và không quá {max}."), field="rubric", n=n, max=MAX_CRITERION_POINTS)
        out.append({"key": key, "label": label, "max_points": int(points) if float(points).is_integer() else float(points)})
    return out


def _check(session: Session, actor: Actor, values: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """Clean and check every setting given (a create passes them all, an update those sent)."""
    # The first problem raises, so the groups keep the order of the settings; `out` keeps that order too.
    out: dict[str, Any] = {}
    out.update(_check_texts(values))
    out.update(_check_times(values, tz))
    out.update(_check_word_limits(values))
    if "rubric" in values:
        out["rubric"] = _rubric(values["rubric"])
    out.update(_check_grading(values))
    if "allow_edit_after_submit" in values:
        out["allow_edit_after_submit"] = bool(values["allow_edit_after_submit"])
    out.update(_check_contest(session, actor, values))
    return out


def _check_texts(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in values:
        out["title"] = clean(values["title"])
        if not out["title"] or len(out["title"]) > 300:
            raise Invalid(N_("Cần tên cuộc viết (tối đa 300 ký tự)."), field="title")
    if "prompt" in values:
        out["prompt"] = nfc(values["prompt"] or "").replace("\r\n", "\n").strip()
        if len(out["prompt"]) > MAX_PROMPT:
            raise Invalid(N_("Đề bài dài quá {max} ký tự."), field="prompt", max=MAX_PROMPT)
    if "topics" in values:
        out["topics"] = _topics(values["topics"] or [])
    return out


def _check_times(values: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """Both times are required once sent; naive times are in the campaign's time zone."""
    out: dict[str, Any] = {}
    for key in ("opens_at", "closes_at"):
        if key in values:
            if values[key] is None:
                raise Invalid(N_("Cần thời gian bắt đầu và hạn chót nhận bài."), field=key)
            out[key] = to_utc(values[key], tz)
    return out


def _check_word_limits(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("min_words", "max_words"):
        if key in values and not 0 <= values[key] <= MAX_WORD_LIMIT:
            raise Invalid(N_("Số chữ phải từ 0 đến {max}."), field=key, max=MAX_WORD_LIMIT)
        if key in values:
            out[key] = values[key]
    if "max_words" in out and out["max_words"] < 1:
        raise Invalid(N_("Số chữ tối đa phải lớn hơn 0."), field="max_words")
    return out


def _check_grading(values: dict[str, Any]) -> dict[str, Any]:
    """How many judges grade each essay, and how far apart their grades may be before a review."""
    out: dict[str, Any] = {}
    if "graders_per_essay" in values:
        if not 1 <= values["graders_per_essay"] <= MAX_GRADERS:
            raise Invalid(N_("Số giám khảo chấm mỗi bài phải từ 1 đến {max}."), field="graders_per_essay", max=MAX_GRADERS)
        out["graders_per_essay"] = values["graders_per_essay"]
    if "disagreement_share" in values:
        share = values["disagreement_share"]
        if not math.isfinite(share) or not 0 < share <= 1:
            raise Invalid(N_("Mức chênh lệch cần xem lại phải lớn hơn 0% và không quá 100%."), field="disagreement_share")
        out["disagreement_share"] = share
    return out


def _check_contest(session: Session, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """The contest the grades add to, and with what weight."""
    out: dict[str, Any] = {}
    if "contest_id" in values:
        out["contest_id"] = _contest_link(session, actor, values["contest_id"])
    if "contest_weight" in values:
        weight = values["contest_weight"]
        if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
            raise Invalid(N_("Hệ số cộng vào cuộc thi phải từ 0 đến {max}."), field="contest_weight", max=MAX_WEIGHT)
        out["contest_weight"] = weight
    return out


def _contest_link(session: Session, actor: Actor, contest_id: int | None) -> int | None:
    from app.services.contests import contests

    if contest_id is None:
        return None
    try:
        return contests.get_contest(session=session, actor=actor, contest_id=contest_id).id
    except NotFound:
        raise Invalid(N_("Không tìm thấy cuộc thi để liên kết."), field="contest_id") from None


WHOLE = ("opens_at", "closes_at", "min_words", "max_words", "contest_id", "contest_weight")


def _check_whole(values: dict[str, Any]) -> dict[str, Any]:
    """Rules between fields, checked on the settings as they would be after a create or an update (nothing is
    applied before they pass). Returns them with the weight cleared when there is no contest link."""
    if values["closes_at"] <= values["opens_at"]:
        raise Invalid(N_("Hạn chót nhận bài phải sau thời gian bắt đầu."), field="closes_at")
    if values["min_words"] > values["max_words"]:
        raise Invalid(N_("Số chữ tối thiểu không được lớn hơn số chữ tối đa."), field="min_words")
    if values["contest_id"] is None:
        return {**values, "contest_weight": 0.0}
    if values["contest_weight"] <= 0:
        raise Invalid(N_("Có liên kết cuộc thi thì cần hệ số cộng điểm lớn hơn 0."), field="contest_weight")
    return values


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
    values = _check_whole(_check(session, actor, data.model_dump(exclude={"scope_unit_code"}), ZoneInfo(DEFAULT_TZ)))
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
    values = _check(session, actor, sent, zone(campaign))
    values = {**values, **_check_whole({k: values.get(k, getattr(campaign, k)) for k in WHOLE})}
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
