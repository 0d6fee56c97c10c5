"""Members: one account per person, validated the same way by forms, the API and imports."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, func, or_
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, Forbidden, Invalid, NotFound
from app.models import Member, MemberRole, Role, Unit
from app.models.types import is_db_id, utcnow
from app.security import hash_password
from app.services.kit import audit
from app.services.kit.text import clean, fold
from app.services.org import member_probes
from app.services.org.access import Actor
from app.services.org.member_fields import (
    COMMON_PASSWORDS as COMMON_PASSWORDS,
)
from app.services.org.member_fields import (
    MIN_PASSWORD as MIN_PASSWORD,
)
from app.services.org.member_fields import (
    CleanMember as CleanMember,
)
from app.services.org.member_fields import (
    FieldError as FieldError,
)
from app.services.org.member_fields import (  # re-exported: the member rules are reached through this module too
    apply_derived as apply_derived,
)
from app.services.org.member_fields import (
    check_password as check_password,
)
from app.services.org.member_fields import (
    clean_fields as clean_fields,
)
from app.services.org.member_fields import (
    id_number_hash as id_number_hash,
)
from app.services.org.member_fields import (
    normalise_phone as normalise_phone,
)
from app.services.org.member_fields import (
    raise_first as raise_first,
)
from app.services.org.roles import OUTRANKS, grant_all, grants_of, has_authority_over, roles_of
from app.services.org.schemas import MemberCreate, MemberPublic, MemberUpdate, RoleGrantOut, UnitRef


def check_unique(
    *,
    session: Session,
    phone: str | None,
    member_code: str | None,
    id_hash: str | None,
    exclude_id: int | None = None,
    actor: Actor | None = None,
) -> None:
    """`actor`: an organiser's request; a match outside their scope counts toward their hourly limit."""
    checks = [
        ("phone", Member.phone, phone, N_("Số điện thoại {value} đã được dùng cho tài khoản khác.")),
        ("member_code", Member.member_code, member_code, N_("Mã {value} đã được dùng cho tài khoản khác.")),
        ("id_number", Member.id_number_hash, id_hash, N_("Số CCCD này đã được dùng cho tài khoản khác.")),
    ]
    # a code written like another account's phone (or a phone that is another's code) would make a login
    # by that name ambiguous
    checks += [
        ("member_code", Member.phone, member_code, N_("Mã {value} trùng số điện thoại của tài khoản khác.")),
        ("phone", Member.member_code, phone, N_("Số điện thoại {value} trùng mã của tài khoản khác.")),
    ]
    for field, column, value, message in checks:
        if value is None:
            continue
        stmt = select(Member.unit_id).where(column == value)
        if exclude_id is not None:
            stmt = stmt.where(Member.id != exclude_id)
        unit_id = session.exec(stmt).first()
        if unit_id is not None:
            unit = session.get(Unit, unit_id)
            if actor is not None and unit is not None and not actor.covers(unit):
                member_probes.count(session=session, actor=actor, matches=1)
            shown = value if field != "id_number" else ""
            raise Conflict(message, extra={"field": field}, value=shown)


def get(*, session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id) if is_db_id(member_id) else None
    if member is None:
        raise NotFound(N_("Không tìm thấy hội viên."))
    return member


def get_in_scope(*, session: Session, actor: Actor, member_id: int) -> tuple[Member, Unit]:
    member = get(session=session, member_id=member_id)
    unit = session.get(Unit, member.unit_id)
    assert unit is not None
    if not actor.covers(unit):
        # Outside the subtree it does not exist, as far as this organiser can tell.
        raise NotFound(N_("Không tìm thấy hội viên."))
    return member, unit


def _require_authority_over(session: Session, actor: Actor, member: Member) -> None:
    assert member.id is not None
    if not has_authority_over(actor, grants_of(session=session, member_id=member.id)):
        raise Forbidden(OUTRANKS)


def _unit_for(session: Session, actor: Actor, unit_code: str) -> Unit:
    from app.services.org.units import get_by_code

    unit = get_by_code(session=session, code=unit_code)
    actor.require(unit)
    return unit


def create(*, session: Session, actor: Actor, data: MemberCreate, secret: str) -> Member:
    actor.require_any()
    if wait := member_probes.wait(session=session, actor=actor):
        raise member_probes.limit(wait)
    fields, errors = clean_fields(
        full_name=data.full_name, phone=data.phone, member_code=data.member_code, birth_date=data.birth_date, id_number=data.id_number
    )
    raise_first(errors)
    unit = _unit_for(session, actor, data.unit_code)
    assert unit.id is not None
    if data.password:
        check_password(data.password, phone=fields.phone)
    id_hash = id_number_hash(fields.id_number, secret=secret) if fields.id_number else None
    check_unique(session=session, phone=fields.phone, member_code=fields.member_code, id_hash=id_hash, actor=actor)
    member = Member(
        full_name=fields.full_name,
        phone=fields.phone,
        member_code=fields.member_code,
        birth_date=fields.birth_date,
        unit_id=unit.id,
        id_number_hash=id_hash,
        id_number_last=fields.id_number[-4:] if fields.id_number else None,
        password_hash=hash_password(data.password) if data.password else "",
        must_change_password=data.must_change_password,
    )
    apply_derived(member)
    session.add(member)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="member.create",
        entity="member",
        entity_id=member.id,
        detail={"member_code": member.member_code, "unit": unit.code},
        ip=actor.ip,
    )
    grant_all(session=session, actor=actor, member=member, roles=data.roles, audit_action="member.grant")
    session.flush()
    return member


def update(*, session: Session, actor: Actor, member_id: int, data: MemberUpdate, secret: str) -> Member:
    member, _unit = get_in_scope(session=session, actor=actor, member_id=member_id)
    _require_authority_over(session, actor, member)
    if wait := member_probes.wait(session=session, actor=actor):
        raise member_probes.limit(wait)
    fields, errors = clean_fields(
        full_name=data.full_name if data.full_name is not None else member.full_name,
        phone=data.phone if data.phone is not None else member.phone,
        member_code=data.member_code if data.member_code is not None else member.member_code,
        birth_date=data.birth_date if "birth_date" in data.model_fields_set else member.birth_date,
        id_number=data.id_number,
    )
    raise_first(errors)
    id_hash = id_number_hash(fields.id_number, secret=secret) if fields.id_number else None
    check_unique(session=session, phone=fields.phone, member_code=fields.member_code, id_hash=id_hash, exclude_id=member.id, actor=actor)
    new_unit_id = member.unit_id
    if data.unit_code:
        new_unit = _unit_for(session, actor, data.unit_code)
        assert new_unit.id is not None
        new_unit_id = new_unit.id
    before = {
        "full_name": member.full_name,
        "phone": member.phone,
        "member_code": member.member_code,
        "birth_date": str(member.birth_date) if member.birth_date else None,
        "unit_id": member.unit_id,
    }
    member.full_name, member.phone, member.member_code = fields.full_name, fields.phone, fields.member_code
    member.birth_date, member.unit_id = fields.birth_date, new_unit_id
    if fields.id_number:
        member.id_number_hash, member.id_number_last = id_hash, fields.id_number[-4:]
    apply_derived(member)
    member.updated_at = utcnow()
    after = {
        "full_name": member.full_name,
        "phone": member.phone,
        "member_code": member.member_code,
        "birth_date": str(member.birth_date) if member.birth_date else None,
        "unit_id": member.unit_id,
    }
    changed = {k: {"before": before[k], "after": after[k]} for k in before if before[k] != after[k]}
    if fields.id_number:
        changed["id_number"] = {"after": mask_id_number(member.id_number_last)}
    audit.record(
        session=session, actor_id=actor.id, action="member.update", entity="member", entity_id=member.id, detail=changed, ip=actor.ip
    )
    session.flush()
    return member


def set_active(*, session: Session, actor: Actor, member_id: int, active: bool) -> Member:
    member, _unit = get_in_scope(session=session, actor=actor, member_id=member_id)
    if member.id == actor.id and not active:
        raise Invalid(N_("Bạn không thể tự khoá tài khoản của mình."))
    _require_authority_over(session, actor, member)
    if member.active != active:
        member.active = active
        member.token_version += 1  # deactivation revokes every token at once
        member.updated_at = utcnow()
        audit.record(
            session=session,
            actor_id=actor.id,
            action="member.activate" if active else "member.deactivate",
            entity="member",
            entity_id=member.id,
            ip=actor.ip,
        )
    session.flush()
    return member


def reset_password(*, session: Session, actor: Actor, member_id: int, new_password: str) -> Member:
    member, _unit = get_in_scope(session=session, actor=actor, member_id=member_id)
    _require_authority_over(session, actor, member)
    check_password(new_password, phone=member.phone)
    member.password_hash = hash_password(new_password)
    member.must_change_password = True
    member.token_version += 1
    audit.record(session=session, actor_id=actor.id, action="member.reset_password", entity="member", entity_id=member.id, ip=actor.ip)
    session.flush()
    return member


def mask_id_number(last: str | None) -> str | None:
    return f"********{last}" if last else None


def _public(member: Member, unit: Unit, roles: list[RoleGrantOut]) -> MemberPublic:
    assert member.id is not None and unit.id is not None
    # Every member holds the plain member role in their own unit.
    return MemberPublic(
        id=member.id,
        full_name=member.full_name,
        phone=member.phone,
        member_code=member.member_code,
        birth_date=member.birth_date,
        id_number_masked=mask_id_number(member.id_number_last),
        active=member.active,
        unit=UnitRef(id=unit.id, code=unit.code, name=unit.name),
        roles=[RoleGrantOut(role=Role.member, unit_code=unit.code), *roles],
    )


def to_public(*, session: Session, member: Member, unit: Unit | None = None) -> MemberPublic:
    unit = unit or session.get(Unit, member.unit_id)
    assert unit is not None and member.id is not None
    return _public(member, unit, roles_of(session=session, member_ids=[member.id])[member.id])


def actor_public(actor: Actor) -> MemberPublic:
    """The acting member as the API shows it, from what authentication already loaded."""
    assert actor.unit is not None
    return _public(actor.member, actor.unit, [RoleGrantOut(role=g.role, unit_code=g.unit_code) for g in actor.grants])


@dataclass
class MemberPage:
    rows: list[tuple[Member, Unit]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(
    *,
    session: Session,
    actor: Actor,
    q: str = "",
    unit_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    include_inactive: bool = True,
) -> MemberPage:
    """Members in the actor's subtrees (or in one unit's subtree), Vietnamese name order, diacritics
    ignored in the query ("nguyen thi dao" finds "Nguyễn Thị Đào")."""
    stmt = select(Member, Unit).join(Unit, col(Unit.id) == Member.unit_id).where(actor.unit_filter())
    if unit_id is not None:
        unit = session.get(Unit, unit_id) if is_db_id(unit_id) else None
        if unit is None:
            raise NotFound(N_("Không tìm thấy đơn vị."))
        actor.require(unit)
        stmt = stmt.where(col(Unit.path).startswith(unit.path, autoescape=True))
    if not include_inactive:
        stmt = stmt.where(col(Member.active).is_(True))
    term = fold(q)
    if term:
        digits = normalise_phone(q)
        stmt = stmt.where(
            or_(
                col(Member.name_folded).contains(term, autoescape=True),
                col(Member.member_code) == clean(q).upper(),
                col(Member.phone).startswith(digits, autoescape=True) if digits.isdigit() else false(),
            )
        )
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    # A page past the end shows the last one (and a page number from a URL cannot overflow OFFSET).
    page = max(1, min(page, -(-total // per_page)))
    rows = session.exec(stmt.order_by(col(Member.sort_key), col(Member.id)).offset((page - 1) * per_page).limit(per_page)).all()
    return MemberPage(rows=[(m, u) for m, u in rows], total=total, page=page, per_page=per_page)


def likely_duplicates(*, session: Session, member: Member, actor: Actor | None = None) -> list[Member]:
    """Other accounts with the same name (diacritics ignored) and birth date: maybe the same person.
    With an actor, only those inside the actor's subtrees: an organiser sees nothing outside them."""
    if member.birth_date is None:
        return []
    stmt = select(Member).where(Member.name_folded == member.name_folded, Member.birth_date == member.birth_date, Member.id != member.id)
    if actor is not None:
        stmt = stmt.join(Unit, col(Unit.id) == Member.unit_id).where(actor.unit_filter())
    return list(session.exec(stmt.order_by(col(Member.id))).all())


def grant_role(*, session: Session, actor: Actor, member_id: int, role: str, unit_code: str) -> None:
    from app.services.org.schemas import RoleGrantIn

    member, _unit = get_in_scope(session=session, actor=actor, member_id=member_id)
    grant_all(session=session, actor=actor, member=member, roles=[RoleGrantIn(role=role, unit_code=unit_code)], audit_action="member.grant")
    session.flush()


def revoke_role(*, session: Session, actor: Actor, member_id: int, role_id: int) -> None:
    member, _unit = get_in_scope(session=session, actor=actor, member_id=member_id)
    grant = session.get(MemberRole, role_id) if is_db_id(role_id) else None
    if grant is None or grant.member_id != member.id:
        raise NotFound(N_("Không tìm thấy vai trò."))
    scope = session.get(Unit, grant.unit_id)
    assert scope is not None
    actor.require(scope)
    if grant.role == Role.admin and not actor.covers(scope, (Role.admin,)):
        raise Forbidden(N_("Chỉ quản trị viên mới thu hồi được quyền quản trị."))
    if member.id == actor.id:
        raise Invalid(N_("Bạn không thể tự thu hồi quyền của mình."))
    session.delete(grant)
    member.token_version += 1  # a revoked right must not live on in old tokens
    audit.record(
        session=session,
        actor_id=actor.id,
        action="member.revoke",
        entity="member",
        entity_id=member.id,
        detail={"role": grant.role, "unit": scope.code},
        ip=actor.ip,
    )
    session.flush()
