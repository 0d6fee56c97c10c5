"""The audit log: one call records who did what to which entity."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.models import AuditEntry


def record(*, session: Session, actor_id: int | None, action: str, entity: str, entity_id: object = "",
           detail: dict[str, Any] | None = None, ip: str | None = None) -> AuditEntry:
    entry = AuditEntry(actor_id=actor_id, action=action, entity=entity, entity_id=str(entity_id),
                       detail=detail or {}, ip=ip)
    session.add(entry)
    return entry
