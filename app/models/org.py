"""The organisation: units (a tree), members and their scoped roles.

Login throttling lives in the database so that every worker and host sees the same counts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import TableModel
from app.models.types import UTCDateTime, utcnow


class Role(StrEnum):
    member = "member"
    organiser = "organiser"
    judge = "judge"
    admin = "admin"


class UnitBase(SQLModel):
    code: str = Field(max_length=32)
    name: str = Field(max_length=200)
    kind: str = Field(default="", max_length=64)
    headcount: int = Field(default=0, ge=0)


class Unit(UnitBase, TableModel, table=True):
    __table_args__ = (UniqueConstraint("code", name="uq_unit_code"), Index("ix_unit_path", "path"))

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    # Materialised path of ids, "/1/7/42/": a subtree is one indexed prefix match.
    path: str = Field(default="/", max_length=512)
    depth: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class MemberBase(SQLModel):
    full_name: str = Field(max_length=120)
    phone: str = Field(max_length=15)
    member_code: str = Field(max_length=32)
    birth_date: date | None = None


class Member(MemberBase, TableModel, table=True):
    __table_args__ = (
        UniqueConstraint("phone", name="uq_member_phone"),
        UniqueConstraint("member_code", name="uq_member_member_code"),
        UniqueConstraint("id_number_hash", name="uq_member_id_number_hash"),
        Index("ix_member_unit_sort", "unit_id", "sort_key"),
        Index("ix_member_name_birth", "name_folded", "birth_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    # CCCD: only a keyed hash (HMAC) for uniqueness, and the last digits to show it masked.
    id_number_hash: str | None = Field(default=None, max_length=64)
    id_number_last: str | None = Field(default=None, max_length=4)
    active: bool = True
    password_hash: str = Field(default="", max_length=255)
    must_change_password: bool = False
    # Bumped on logout, password change and deactivation; tokens carry it, so old tokens die.
    token_version: int = 0
    # Derived from full_name on write: diacritics-free lower-case text for search and duplicate
    # checks, and a key that sorts the Vietnamese way (given name first).
    name_folded: str = Field(default="", max_length=120)
    sort_key: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class MemberRole(TableModel, table=True):
    """A role held over a unit subtree. Every member is implicitly a plain member; rows here are the
    organiser, judge and admin grants."""

    __tablename__ = "member_role"
    __table_args__ = (UniqueConstraint("member_id", "role", "unit_id", name="uq_member_role"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    unit_id: int = Field(foreign_key="unit.id")


class LoginThrottle(TableModel, table=True):
    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=160)  # "ip:203.0.113.7" or "acct:0912345678"
    window_start: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    failures: int = 0


class MemberChange(TableModel, table=True):
    """A change to what a member's login snapshot holds (active, token version, roles, units), written in the
    same transaction as the change (app.services.org.principals): every worker reads the new ones every few
    seconds and drops those snapshots, so the snapshots can otherwise be kept for minutes. member_id None:
    every member (a unit renamed or moved, a bulk update)."""

    __tablename__ = "member_change"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = None
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class PushSubscription(TableModel, table=True):
    """A member's phone or browser that allowed notifications (Web Push): where to post and the keys to
    encrypt for. Deleted when the member turns reminders off, or when the push service says it is gone."""

    __tablename__ = "push_subscription"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    endpoint: str = Field(max_length=1000, unique=True)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
