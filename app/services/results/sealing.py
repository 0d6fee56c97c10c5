"""Sealing a round: its ranked list and prizes are frozen and a SHA-256 digest of the list is recorded, so
anyone holding the CSV export can check that it is the list the judges sealed.

The canonical serialisation (README, "Checking a sealed list") is the ranked list of the whole scope, in its
fixed order, each cell exactly as the CSV export prints it, cells joined by a tab and rows by a line feed,
encoded as UTF-8 (no BOM, no header row, no final line feed). After sealing nothing that would change the
list is allowed: disqualification, re-scoring, prize rules and confirmation refuse a sealed round."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.errors import N_, Conflict
from app.models import Round
from app.models.contests import RoundStatus
from app.models.types import utcnow
from app.services.contests import contests
from app.services.kit import audit
from app.services.kit.sheets import format_cell
from app.services.org.access import Actor
from app.services.results.judging import judge_round
from app.services.results.results import ranking_columns, ranking_rows


def digest_of(*, session: Session, round_: Round, scope_path: str, tz: ZoneInfo) -> str:
    """SHA-256 (hex) of the canonical serialisation of the round's ranked list, computed batch by batch."""
    assert round_.id is not None
    columns = ranking_columns()
    sha = hashlib.sha256()
    first = True
    for row in ranking_rows(session, round_.id, scope_path):
        line = "\t".join(format_cell(value, column, tz) for value, column in zip(row, columns, strict=True))
        sha.update((line if first else "\n" + line).encode("utf-8"))
        first = False
    return sha.hexdigest()


def seal(*, session: Session, actor: Actor, round_id: int, now: datetime | None = None) -> Round:
    """A judge of the whole scope seals a closed round whose prizes (if it has any) are confirmed."""
    judged = judge_round(session=session, actor=actor, round_id=round_id, whole=True)
    round_ = judged.round
    if round_.sealed_at is not None:
        raise Conflict(
            N_("Vòng thi đã được niêm phong lúc {at}."),
            at=round_.sealed_at.astimezone(contests.zone(judged.contest)).strftime("%d/%m/%Y %H:%M"),
        )
    if round_.status != RoundStatus.closed:
        raise Conflict(N_("Chỉ niêm phong được vòng thi đã đóng."))
    if (round_.prize_tiers or round_.unit_prize_tiers) and round_.prizes_confirmed_at is None:
        raise Conflict(N_("Cần xác nhận danh sách giải trước khi niêm phong."))
    round_.seal_digest = digest_of(session=session, round_=round_, scope_path=judged.scope.path, tz=contests.zone(judged.contest))
    round_.sealed_at = now or utcnow()
    round_.sealed_by = actor.id
    session.add(round_)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="round.seal",
        entity="round",
        entity_id=round_.id,
        ip=actor.ip,
        unit_id=judged.scope.id,
        detail={"digest": round_.seal_digest, "ranked": (round_.totals or {}).get("participants")},
    )
    session.flush()
    return round_
