"""What a member import will write (RowPlan, ImportPlan: member_import.preview makes one) and what it wrote
(ImportResult), and the writing of a plan that passed every check (member_import.commit)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from app.models import Member, Unit
from app.models.types import utcnow
from app.security import hash_password
from app.services.org.member_changes import Change
from app.services.org.member_file import RawRow
from app.services.org.member_rows import CHUNK, chunks
from app.services.org.members import apply_derived


@dataclass
class RowPlan:
    row: int
    full_name: str
    phone: str
    member_code: str
    birth_date: date | None
    unit: Unit
    id_number_hash: str | None
    id_number_last: str | None
    password: str | None = None  # creates only; updates never touch the password
    member: Member | None = None  # updates only
    changes: list[Change] = field(default_factory=list)  # updates only: what the row changes, field by field


@dataclass
class ImportPlan:
    filename: str
    rows: int = 0
    creates: list[RowPlan] = field(default_factory=list)
    updates: list[RowPlan] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # New accounts with neither a row password nor a shared initial password: they cannot log in until an
    # organiser sets one.
    without_password: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def detected_legacy(self) -> str | None:
        """The legacy code ("tcvn3", "vni") the file was refused for, when that was its only problem."""
        codes = {e.get("legacy") for e in self.errors}
        return codes.pop() if len(codes) == 1 and None not in codes else None

    @property
    def changes(self) -> list[Change]:
        return [c for p in self.updates for c in p.changes]

    @property
    def changes_digest(self) -> str:
        """What the organiser confirms: the exact changes shown (the database may move before the commit)."""
        text = "\n".join(f"{c.row}\t{c.member_code}\t{c.field}\t{c.old}\t{c.new}" for c in self.changes)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class ImportResult:
    created: int
    updated: int
    without_password: int = 0
    changes: list[Change] = field(default_factory=list)


# --- writing -------------------------------------------------------------------------------------------------


def password_hashes(raws: list[RawRow], initial_password: str | None) -> dict[str, str]:
    """Each distinct password of the file (and the shared one) hashed once, before the writing transaction."""
    passwords = {r.password.strip() for r in raws if r.password and r.password.strip()}
    if initial_password and initial_password.strip():
        passwords.add(initial_password)
    return {pw: hash_password(pw) for pw in passwords}


def write(session: Session, plan: ImportPlan, hashes: dict[str, str], progress: Callable[[int], None] | None) -> None:
    """The updates, then the creates, flushed a chunk at a time so that progress can be told."""
    done = 0
    now = utcnow()
    for chunk in chunks(plan.updates, CHUNK):
        for item in chunk:
            _update_member(item, now)
        session.flush()
        done += len(chunk)
        if progress:
            progress(done)
    for chunk in chunks(plan.creates, CHUNK):
        session.add_all([_new_member(item, hashes, now) for item in chunk])
        session.flush()
        done += len(chunk)
        if progress:
            progress(done)


def _update_member(item: RowPlan, now: datetime) -> None:
    member = item.member
    assert member is not None
    before = (member.full_name, member.phone, member.member_code, member.birth_date, member.unit_id, member.id_number_hash)
    member.full_name, member.phone, member.member_code = item.full_name, item.phone, item.member_code
    assert item.unit.id is not None  # a unit of the tree, read from the database
    member.birth_date, member.unit_id = item.birth_date, item.unit.id
    if item.id_number_hash:  # a blank CCCD cell keeps the number on file
        member.id_number_hash, member.id_number_last = item.id_number_hash, item.id_number_last
    # an unchanged row leaves the member (and its updated_at) as it was
    if before != (member.full_name, member.phone, member.member_code, member.birth_date, member.unit_id, member.id_number_hash):
        apply_derived(member)
        member.updated_at = now


def _new_member(item: RowPlan, hashes: dict[str, str], now: datetime) -> Member:
    assert item.unit.id is not None  # a unit of the tree, read from the database
    member = Member(
        full_name=item.full_name,
        phone=item.phone,
        member_code=item.member_code,
        birth_date=item.birth_date,
        unit_id=item.unit.id,
        id_number_hash=item.id_number_hash,
        id_number_last=item.id_number_last,
        password_hash=hashes[item.password] if item.password else "",
        must_change_password=True,
        created_at=now,
        updated_at=now,
    )
    apply_derived(member)
    return member
