"""Phones and member codes are unique across the whole system, so refusing a duplicate tells an organiser
that it exists in some other union. Such matches are audited and counted per organiser; past the hourly
limit every add, change or import by that organiser waits (docs/security.md)."""

from __future__ import annotations

import math
from datetime import UTC, timedelta

from sqlmodel import Session

from app.config import get_settings
from app.errors import N_, TooManyRequests
from app.models import LoginThrottle
from app.models.types import utcnow
from app.services.kit import audit, counters
from app.services.org.access import Actor

FOREIGN_WINDOW_S = 3600
FOREIGN_LIMIT = N_(
    "Bạn đã gặp quá nhiều số điện thoại hoặc mã thuộc hội viên ngoài phạm vi được giao trong một giờ. "
    "Vui lòng đợi {minutes} phút rồi thử lại, hoặc hỏi quản trị hệ thống."
)


def _foreign_key(actor: Actor) -> str:
    return f"foreign:m{actor.id}"


def wait(*, session: Session, actor: Actor) -> int:
    """Seconds this organiser must wait before adding or changing members again, 0 if none: past the hourly
    limit of matches outside their scope every such request waits, matching or not, so the refusal itself
    tells nothing."""
    row = session.get(LoginThrottle, _foreign_key(actor))
    if row is None or row.failures < get_settings().foreign_matches_per_hour:
        return 0
    start = row.window_start if row.window_start.tzinfo else row.window_start.replace(tzinfo=UTC)
    return max(0, math.ceil((start + timedelta(seconds=FOREIGN_WINDOW_S) - utcnow()).total_seconds()))


def limit(wait_s: int) -> TooManyRequests:
    return TooManyRequests(FOREIGN_LIMIT, headers={"Retry-After": str(wait_s)}, minutes=max(1, math.ceil(wait_s / 60)))


def count(*, session: Session, actor: Actor, matches: int) -> bool:
    """Record that an organiser learnt `matches` phones or codes are taken outside their scope: counted and
    audited in a transaction of its own, so the count outlives the refused request (which has written
    nothing yet: uniqueness is checked before any write). Returns whether the limit is now passed."""
    session.rollback()
    count, _start = counters.bump(session, _foreign_key(actor), utcnow(), window_s=FOREIGN_WINDOW_S, step=matches)
    audit.record(
        session=session, actor_id=actor.id, action="member.foreign_match", entity="member", detail={"matches": matches}, ip=actor.ip
    )
    session.commit()
    return count > get_settings().foreign_matches_per_hour


ROWS_HIDDEN = N_(
    "{n} dòng có số điện thoại hoặc mã thuộc hội viên ở đơn vị ngoài phạm vi bạn được giao. Bạn đã gặp "
    "quá nhiều trường hợp như vậy trong một giờ nên các dòng không được liệt kê; hãy hỏi quản trị "
    "hệ thống."
)
