"""Login throttling lives in the database so that every worker and host sees the same counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.models.types import UTCDateTime


class LoginThrottle(SQLModel, table=True):
    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=160)  # "ip:203.0.113.7" or "acct:0912345678"
    window_start: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    failures: int = 0


class MemberChange(SQLModel, table=True):
    """A change to what a member's login snapshot holds (active, token version, roles, units), written in the
    same transaction as the change (app.services.org.principals): every worker reads the new ones every few
    seconds and drops those snapshots, so the snapshots can otherwise be kept for minutes. member_id None:
    every member (a unit renamed or moved, a bulk update)."""

    __tablename__ = "member_change"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = None
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
