"""First-run set-up: the first administrator, created from the command line."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models import Member, MemberRole, Role, Unit
from app.security import hash_password
from app.services.kit import audit
from app.services.org.members import apply_derived, check_password, check_unique, clean_fields, raise_first
from app.services.org.units import get_by_code


def create_admin(
    *,
    session: Session,
    secret: str,
    phone: str,
    full_name: str,
    password: str,
    unit_code: str | None = None,
    member_code: str | None = None,
) -> Member:
    unit: Unit | None
    if unit_code:
        unit = get_by_code(session=session, code=unit_code)
    else:
        unit = session.exec(select(Unit).where(col(Unit.parent_id).is_(None)).order_by(col(Unit.id))).first()
        if unit is None:
            unit = Unit(code="ROOT", name="Tổ chức", kind="", headcount=0, depth=0)
            session.add(unit)
            session.flush()
            unit.path = f"/{unit.id}/"
    assert unit.id is not None
    fields, errors = clean_fields(
        full_name=full_name, phone=phone, member_code=member_code or f"ADMIN-{phone}", birth_date=None, id_number=None
    )
    raise_first(errors)
    check_password(password, phone=fields.phone)
    check_unique(session=session, phone=fields.phone, member_code=fields.member_code, id_hash=None)
    member = Member(
        full_name=fields.full_name,
        phone=fields.phone,
        member_code=fields.member_code,
        unit_id=unit.id,
        password_hash=hash_password(password),
    )
    apply_derived(member)
    session.add(member)
    session.flush()
    assert member.id is not None
    session.add(MemberRole(member_id=member.id, role=Role.admin, unit_id=unit.id))
    audit.record(
        session=session,
        actor_id=None,
        action="member.create_admin",
        entity="member",
        entity_id=member.id,
        detail={"unit": unit.code},
        ip="cli",
    )
    session.flush()
    return member
