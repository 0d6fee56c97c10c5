"""A member import's changes to the members it updates: each field old and new, for the organiser to confirm
(a rename is never silent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.models import Member, Unit


@dataclass(frozen=True)
class Change:
    """One field of an existing member a row changes, as the organiser must see it before confirming."""

    row: int
    member_code: str  # the member's code before the change (how the organiser knows who it is)
    field: str  # a COLUMNS field: full_name, phone, member_code, birth_date, unit_code, id_number
    old: str
    new: str


def changes_of(
    row: int,
    member: Member,
    *,
    full_name: str,
    phone: str,
    member_code: str,
    birth_date: date | None,
    id_number: str | None,
    unit: Unit,
    id_hash: str | None,
    units: dict[int, Unit],
) -> list[Change]:
    """Every field a file's row changes of the existing member it matches, old and new as people read them."""
    old_unit = units.get(member.unit_id)
    pairs = [
        ("full_name", member.full_name, full_name),
        ("phone", member.phone, phone),
        ("member_code", member.member_code, member_code),
        ("birth_date", _day(member.birth_date), _day(birth_date)),
        ("unit_code", old_unit.code if old_unit else "", unit.code),
    ]
    out = [Change(row, member.member_code, f, old, new) for f, old, new in pairs if old != new]
    if id_hash and id_hash != member.id_number_hash:  # shown masked, like everywhere else
        out.append(
            Change(
                row,
                member.member_code,
                "id_number",
                f"…{member.id_number_last}" if member.id_number_last else "",
                f"…{id_number[-4:]}" if id_number else "",
            )
        )
    return out


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""
