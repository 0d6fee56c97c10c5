"""Roles held over unit subtrees: who holds what, granting, and who may act on whom."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.errors import N_, Forbidden, Invalid
from app.models import Member, MemberRole, Role, Unit
from app.services.kit import audit
from app.services.kit.text import clean
from app.services.org.access import MANAGE, Actor
from app.services.org.schemas import RoleGrantIn, RoleGrantOut
from app.services.org.units import get_by_code

GRANTABLE = (Role.organiser, Role.judge, Role.admin)

OUTRANKS = N_("Tài khoản này có quyền vượt ngoài phạm vi của bạn; chỉ cấp trên mới thay đổi được.")


def has_authority_over(actor: Actor, grants: list[tuple[MemberRole, Unit]]) -> bool:
    """An account whose own roles reach beyond the actor's subtrees is not the actor's to edit, lock or
    reset: otherwise an organiser could take over an account with wider powers (an admin, or the
    organiser of a parent unit, whose home unit lies in the organiser's subtree)."""
    return all(actor.covers(unit, (Role.admin,) if grant.role == Role.admin else MANAGE) for grant, unit in grants)


def grant_all(*, session: Session, actor: Actor, member: Member, roles: list[RoleGrantIn], audit_action: str) -> None:
    """Grant each {role, unit_code}: organiser/judge inside the actor's subtrees, admin only by an admin."""
    for grant in roles:
        role = clean(grant.role).lower()
        if role == Role.member:
            continue
        if role not in GRANTABLE:
            raise Invalid(N_("Vai trò {role} không có."), field="roles", role=role)
        unit = get_by_code(session=session, code=grant.unit_code)
        actor.require(unit)
        if role == Role.admin and not actor.covers(unit, (Role.admin,)):
            raise Forbidden(N_("Chỉ quản trị viên mới cấp được quyền quản trị."))
        assert member.id is not None and unit.id is not None
        exists = session.exec(
            select(MemberRole.id).where(MemberRole.member_id == member.id, MemberRole.role == role, MemberRole.unit_id == unit.id)
        ).first()
        if exists is None:
            session.add(MemberRole(member_id=member.id, role=role, unit_id=unit.id))
            audit.record(
                session=session,
                actor_id=actor.id,
                action=audit_action,
                entity="member",
                entity_id=member.id,
                detail={"role": role, "unit": unit.code},
                ip=actor.ip,
            )


def roles_of(*, session: Session, member_ids: list[int]) -> dict[int, list[RoleGrantOut]]:
    out: dict[int, list[RoleGrantOut]] = {i: [] for i in member_ids}
    if not member_ids:
        return out
    rows = session.exec(
        select(MemberRole.member_id, MemberRole.role, Unit.code)
        .join(Unit, col(Unit.id) == MemberRole.unit_id)
        .where(col(MemberRole.member_id).in_(member_ids))
        .order_by(col(MemberRole.id))
    ).all()
    for mid, role, code in rows:
        out[mid].append(RoleGrantOut(role=role, unit_code=code))
    return out


def grants_of(*, session: Session, member_id: int) -> list[tuple[MemberRole, Unit]]:
    return grants_of_many(session=session, member_ids=[member_id]).get(member_id, [])


def grants_of_many(*, session: Session, member_ids: list[int]) -> dict[int, list[tuple[MemberRole, Unit]]]:
    out: dict[int, list[tuple[MemberRole, Unit]]] = {}
    for start in range(0, len(member_ids), 500):
        rows = session.exec(
            select(MemberRole, Unit)
            .join(Unit, col(Unit.id) == MemberRole.unit_id)
            .where(col(MemberRole.member_id).in_(member_ids[start : start + 500]))
            .order_by(col(MemberRole.id))
        ).all()
        for grant, unit in rows:
            out.setdefault(grant.member_id, []).append((grant, unit))
    return out
