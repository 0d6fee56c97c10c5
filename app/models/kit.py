"""Tables of the shared plumbing: the audit log (who changed what, when, from where) and the uploads kept
between an import's preview and its commit, so the two steps may hit different workers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary
from sqlmodel import Field

from app.models.base import TableModel
from app.models.types import UTCDateTime, utcnow


class AuditEntry(TableModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"), Index("ix_audit_entry_unit_at", "unit_id", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    action: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_id: str = Field(default="", max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ip: str | None = Field(default=None, max_length=64)
    # Where it happened, for who may read it: organisers and judges whose subtree holds this unit (the
    # contest's scope for a round's acts, the acting member's unit otherwise).
    unit_id: int | None = Field(default=None, foreign_key="unit.id")


class Upload(TableModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # "members", later "questions"
    filename: str = Field(max_length=255)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_by_id: int = Field(foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    committed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
