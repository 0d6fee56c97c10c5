"""Prizes of a round: the tiers (name and count, in order), an optional cap as a share of the participants,
collective prizes for units; the allocation is shown first and stored only when a judge confirms it.

Allocation rules (docs/rules-as-built.md, judging), walking the stored standings in rank order:
- one prize per person per round: the standings hold one row per member;
- members who share a rank (equal on every key of the tie-break chain) get the same prize; a tied group that
  starts inside a tier gets that tier and uses up places of the following tiers;
- declared counts and the cap are maxima: a tied group that does not fit in the places left is not split,
  no further prizes are given, and the allocation says so, for the judges to settle;
- collective prizes go to the units directly under the contest's scope, by the contest's unit criterion.
A later change of the standings (disqualification, re-score) voids a confirmed allocation
(app.services.results.closing.void_prizes), so a confirmed list always matches the standings."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete
from sqlalchemy import select as sa_select  # sqlmodel's select() is typed for at most four columns
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, Invalid
from app.models import Member, Round, Standing, Unit, UnitStanding
from app.models.contests import RoundStatus
from app.models.results import Prize
from app.models.types import utcnow
from app.services.kit import audit
from app.services.kit.text import clean
from app.services.org.access import Actor
from app.services.results import closing
from app.services.results.judging import JudgedRound, judge_round

MAX_TIERS = 10


class TierIn(BaseModel):
    name: str
    count: int


class PrizeRulesIn(BaseModel):
    tiers: list[TierIn] = []
    cap_share: float | None = None  # e.g. 0.5: at most half of the participants get a prize
    unit_tiers: list[TierIn] = []


@dataclass
class Award:
    tier: int  # 1-based
    tier_name: str
    rank: int
    unit_id: int
    unit_code: str
    unit_name: str
    member_id: int | None = None
    full_name: str = ""
    member_code: str = ""
    score: int | None = None


@dataclass
class Allocation:
    awards: list[Award] = field(default_factory=list)
    unit_awards: list[Award] = field(default_factory=list)
    cap: int | None = None  # the most member prizes the cap allows
    participants: int = 0
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (message, params), for the judges


def _tiers(raw: Iterable[TierIn], field_name: str) -> list[dict[str, Any]]:
    tiers = []
    for i, tier in enumerate(raw, start=1):
        name = clean(tier.name)
        if not name or len(name) > 100:
            raise Invalid(N_("Tên giải thứ {n} cần từ 1 đến 100 ký tự."), field=field_name, n=i)
        if not 1 <= tier.count <= 100_000:
            raise Invalid(N_('Số lượng của giải "{name}" phải từ 1 đến 100000.'), field=field_name, name=name)
        tiers.append({"name": name, "count": tier.count})
    if len(tiers) > MAX_TIERS:
        raise Invalid(N_("Tối đa {max} hạng giải."), field=field_name, max=MAX_TIERS)
    if len({t["name"] for t in tiers}) != len(tiers):
        raise Invalid(N_("Mỗi hạng giải cần một tên riêng."), field=field_name)
    return tiers


def set_rules(*, session: Session, actor: Actor, round_id: int, data: PrizeRulesIn) -> Round:
    """Judges of the whole scope set the tiers; a confirmed allocation is voided, since it followed other rules."""
    judged = judge_round(session=session, actor=actor, round_id=round_id, whole=True)
    round_ = judged.round
    if round_.sealed_at is not None:
        raise Conflict(N_("Kết quả vòng thi đã được niêm phong; không thay đổi được."))
    if data.cap_share is not None and not 0 < data.cap_share <= 1:
        raise Invalid(N_("Tỉ lệ tối đa phải lớn hơn 0 và không quá 100%."), field="cap_share")
    round_.prize_tiers = _tiers(data.tiers, "tiers")
    round_.unit_prize_tiers = _tiers(data.unit_tiers, "unit_tiers")
    round_.prize_cap_share = data.cap_share
    closing.void_prizes(session=session, round_=round_)
    session.add(round_)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="round.prize_rules",
        entity="round",
        entity_id=round_.id,
        ip=actor.ip,
        unit_id=judged.scope.id,
        detail={"tiers": round_.prize_tiers, "cap_share": data.cap_share, "unit_tiers": round_.unit_prize_tiers},
    )
    session.flush()
    return round_


def _walk(
    groups: Iterable[list[Any]], tiers: list[dict[str, Any]], limit: int, make: Any, notes: list[tuple[str, dict[str, Any]]]
) -> list[Award]:
    """Give tiers to groups of equal rank, in order, never splitting a group and never past `limit`."""
    left = [t["count"] for t in tiers]
    t, given, awards = 0, 0, []
    for group in groups:
        while t < len(tiers) and left[t] == 0:
            t += 1
        if t >= len(tiers) or given >= limit:
            break
        if given + len(group) > limit:
            notes.append(
                (
                    N_("{n} người đồng hạng {rank} ở ranh giới giải; chưa trao để ban giám khảo xem xét."),
                    {"n": len(group), "rank": group[0].rank},
                )
            )
            break
        awards += [make(row, t + 1, tiers[t]["name"]) for row in group]
        given += len(group)
        take = len(group)
        while take and t < len(tiers):
            used = min(take, left[t])
            left[t] -= used
            take -= used
            if left[t] == 0:
                t += 1
    return awards


def _groups(rows: Iterable[Any]) -> Iterable[list[Any]]:
    group: list[Any] = []
    for row in rows:
        if group and row.rank != group[0].rank:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def _note_cap(out: Allocation, tiers: list[dict[str, Any]], share: float, total: int) -> None:
    """Say which tiers the cap cut, so nobody reads a missing consolation prize as an error."""
    given: dict[int, int] = {}
    for award in out.awards:
        given[award.tier] = given.get(award.tier, 0) + 1
    cut = [f"{t['name']} {given.get(i, 0)}/{t['count']}" for i, t in enumerate(tiers, start=1) if given.get(i, 0) < t["count"]]
    out.notes.append(
        (
            N_(
                "Giới hạn {share}% số người dự thi cho phép tối đa {cap} giải ({participants} người dự thi), "
                "ít hơn {total} giải của cơ cấu; số giải được trao: {cut}."
            ),
            {"share": f"{share * 100:g}", "cap": out.cap, "participants": out.participants, "total": total, "cut": ", ".join(cut)},
        )
    )


def allocate(*, session: Session, judged: JudgedRound) -> Allocation:
    """The allocation the rules give on the stored standings (nothing is written)."""
    round_ = judged.round
    out = Allocation(participants=int((round_.totals or {}).get("participants", 0)))
    total = sum(t["count"] for t in round_.prize_tiers)
    if round_.prize_cap_share is not None:
        out.cap = math.floor(round_.prize_cap_share * out.participants)
    if total:
        rows = session.execute(
            sa_select(
                col(Standing.rank),
                col(Standing.member_id),
                col(Standing.unit_id),
                col(Standing.score),
                col(Member.full_name),
                col(Member.member_code),
                col(Unit.code),
                col(Unit.name),
            )
            .join(Member, col(Member.id) == Standing.member_id)
            .join(Unit, col(Unit.id) == Standing.unit_id)
            .where(col(Standing.round_id) == round_.id, col(Standing.rank) <= total)
            .order_by(col(Standing.rank), col(Member.sort_key), col(Standing.member_id))
        ).all()
        limit = total if out.cap is None else min(total, out.cap)
        out.awards = _walk(
            _groups(rows),
            round_.prize_tiers,
            limit,
            lambda r, tier, name: Award(
                tier=tier,
                tier_name=name,
                rank=r.rank,
                unit_id=r.unit_id,
                unit_code=r.code,
                unit_name=r.name,
                member_id=r.member_id,
                full_name=r.full_name,
                member_code=r.member_code,
                score=r.score,
            ),
            out.notes,
        )
        if out.cap is not None and out.cap < total:
            _note_cap(out, round_.prize_tiers, round_.prize_cap_share or 0.0, total)
    unit_total = sum(t["count"] for t in round_.unit_prize_tiers)
    if unit_total:
        rows = session.execute(
            select(UnitStanding.rank, UnitStanding.unit_id, Unit.code, Unit.name)
            .join(Unit, col(Unit.id) == UnitStanding.unit_id)
            .where(
                UnitStanding.round_id == round_.id,
                UnitStanding.parent_id == judged.scope.id,
                UnitStanding.rank <= unit_total,
                UnitStanding.participants > 0,
            )
            .order_by(col(UnitStanding.rank), col(Unit.code))
        ).all()
        out.unit_awards = _walk(
            _groups(rows),
            round_.unit_prize_tiers,
            unit_total,
            lambda r, tier, name: Award(tier=tier, tier_name=name, rank=r.rank, unit_id=r.unit_id, unit_code=r.code, unit_name=r.name),
            out.notes,
        )
    return out


def preview(*, session: Session, actor: Actor, round_id: int) -> tuple[JudgedRound, Allocation]:
    judged = judge_round(session=session, actor=actor, round_id=round_id, whole=True)
    return judged, allocate(session=session, judged=judged)


def confirm(*, session: Session, actor: Actor, round_id: int, now: datetime | None = None) -> tuple[JudgedRound, Allocation]:
    """Store the allocation the judges were shown (recomputed here from the same standings)."""
    judged = judge_round(session=session, actor=actor, round_id=round_id, whole=True)
    round_ = judged.round
    if round_.status != RoundStatus.closed:
        raise Conflict(N_("Chỉ xét giải khi vòng thi đã đóng."))
    if round_.sealed_at is not None:
        raise Conflict(N_("Kết quả vòng thi đã được niêm phong; không thay đổi được."))
    if not round_.prize_tiers and not round_.unit_prize_tiers:
        raise Conflict(N_("Vòng thi chưa có cơ cấu giải."))
    allocation = allocate(session=session, judged=judged)
    session.execute(delete(Prize).where(col(Prize.round_id) == round_.id))
    now = now or utcnow()
    for award in [*allocation.awards, *allocation.unit_awards]:
        session.add(
            Prize(
                round_id=round_id,
                collective=award.member_id is None,
                tier=award.tier,
                tier_name=award.tier_name,
                member_id=award.member_id,
                unit_id=award.unit_id,
                rank=award.rank,
                confirmed_at=now,
                confirmed_by=actor.id,
            )
        )
    round_.prizes_confirmed_at = now
    session.add(round_)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="round.prizes_confirm",
        entity="round",
        entity_id=round_.id,
        ip=actor.ip,
        unit_id=judged.scope.id,
        detail={"members": len(allocation.awards), "units": len(allocation.unit_awards), "cap": allocation.cap},
    )
    session.flush()
    return judged, allocation


def confirmed(*, session: Session, round_id: int, collective: bool) -> list[Prize]:
    return list(
        session.exec(
            select(Prize)
            .where(Prize.round_id == round_id, Prize.collective == collective)
            .order_by(col(Prize.tier), col(Prize.rank), col(Prize.id))
        ).all()
    )
