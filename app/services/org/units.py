"""The unit tree: create, edit, move, list, always inside the actor's subtree."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, Forbidden, Invalid, NotFound
from app.i18n import term_for_kind
from app.models import Member, Unit
from app.models.types import is_db_id
from app.services.kit import audit
from app.services.kit.text import clean
from app.services.org.access import MANAGE, Actor
from app.services.org.schemas import UnitCreate, UnitUpdate

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


def normalise_code(code: str | None) -> str:
    return clean(code).upper()


def get_by_code(*, session: Session, code: str) -> Unit:
    unit = session.exec(select(Unit).where(Unit.code == normalise_code(code))).first()
    if unit is None:
        raise NotFound(N_("Không có đơn vị mã {code}."), code=clean(code))
    return unit


def get(*, session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id) if is_db_id(unit_id) else None
    if unit is None:
        raise NotFound(N_("Không tìm thấy đơn vị."))
    return unit


def list_all(*, session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).order_by(Unit.path)).all())


def list_in_scope(*, session: Session, actor: Actor) -> list[Unit]:
    return list(session.exec(select(Unit).where(actor.unit_filter()).order_by(Unit.path)).all())


def tree_order(units: list[Unit]) -> list[Unit]:
    """Depth-first order with siblings by code, for tree pages (paths are ids, not names)."""
    children: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for u in units:
        parent = u.parent_id if u.parent_id in ids else None
        children.setdefault(parent, []).append(u)
    out: list[Unit] = []

    def walk(parent: int | None) -> None:
        for u in sorted(children.get(parent, []), key=lambda x: x.code):
            out.append(u)
            walk(u.id)

    walk(None)
    return out


# Far above any real organisation, far below the database's INTEGER limit (an overflow would be a 500).
MAX_HEADCOUNT = 100_000_000


def _check_fields(*, code: str | None = None, name: str | None = None, kind: str | None = None, headcount: int | None = None) -> None:
    if code is not None and not _CODE.match(code):
        raise Invalid(N_("Mã đơn vị chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới (tối đa 32 ký tự)."), field="code")
    if name is not None and not name:
        raise Invalid(N_("Tên đơn vị không được để trống."), field="name")
    if name is not None and len(name) > 200:
        raise Invalid(N_("Tên đơn vị dài quá 200 ký tự."), field="name")
    if kind is not None and len(kind) > 64:
        raise Invalid(N_("Loại đơn vị dài quá 64 ký tự."), field="kind")
    if headcount is not None and headcount < 0:
        raise Invalid(N_("Số đảng viên/đoàn viên không được âm."), field="headcount")
    if headcount is not None and headcount > MAX_HEADCOUNT:
        raise Invalid(N_("Số đảng viên/đoàn viên quá lớn."), field="headcount")


def create(*, session: Session, actor: Actor, data: UnitCreate) -> Unit:
    code, name, kind = normalise_code(data.code), clean(data.name), clean(data.kind)
    _check_fields(code=code, name=name, kind=kind, headcount=data.headcount)
    parent: Unit | None = None
    if data.parent_code:
        parent = get_by_code(session=session, code=data.parent_code)
        actor.require(parent)
    elif not actor.is_admin:
        raise Forbidden(N_("Chỉ quản trị viên được tạo đơn vị cấp cao nhất."))
    if session.exec(select(Unit.id).where(Unit.code == code)).first() is not None:
        raise Conflict(N_("Mã đơn vị {code} đã có."), code=code)
    unit = Unit(
        code=code,
        name=name,
        kind=kind,
        headcount=data.headcount,
        parent_id=parent.id if parent else None,
        depth=(parent.depth + 1) if parent else 0,
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    audit.record(
        session=session,
        actor_id=actor.id,
        action="unit.create",
        entity="unit",
        entity_id=unit.id,
        detail={"code": code, "name": name, "parent": parent.code if parent else None},
        ip=actor.ip,
    )
    session.flush()
    return unit


def update_unit(*, session: Session, actor: Actor, unit_id: int, data: UnitUpdate) -> Unit:
    unit = get(session=session, unit_id=unit_id)
    actor.require(unit)
    changes: dict[str, object] = {}
    if data.name is not None:
        name = clean(data.name)
        _check_fields(name=name)
        changes["name"] = name
    if data.kind is not None:
        kind = clean(data.kind)
        _check_fields(kind=kind)
        changes["kind"] = kind
    if data.headcount is not None:
        _check_fields(headcount=data.headcount)
        changes["headcount"] = data.headcount
    before = {k: getattr(unit, k) for k in changes}
    for key, value in changes.items():
        setattr(unit, key, value)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="unit.update",
        entity="unit",
        entity_id=unit.id,
        detail={"before": before, "after": changes},
        ip=actor.ip,
    )
    session.flush()
    return unit


def move(*, session: Session, actor: Actor, unit_id: int, new_parent_code: str) -> Unit:
    """Re-hang a unit (with its whole subtree) under another parent, in one UPDATE of the paths."""
    unit = get(session=session, unit_id=unit_id)
    new_parent = get_by_code(session=session, code=new_parent_code)
    actor.require(unit)
    actor.require(new_parent)
    if new_parent.path.startswith(unit.path):
        raise Invalid(N_("Không thể chuyển đơn vị vào chính nó hoặc đơn vị cấp dưới của nó."), field="parent_code")
    if unit.parent_id == new_parent.id:
        return unit
    old_prefix, new_prefix = unit.path, f"{new_parent.path}{unit.id}/"
    depth_shift = new_parent.depth + 1 - unit.depth
    old_parent_id = unit.parent_id
    session.flush()
    session.execute(
        update(Unit)
        .where(col(Unit.path).startswith(old_prefix, autoescape=True))
        .values(path=new_prefix + func.substr(Unit.path, len(old_prefix) + 1), depth=Unit.depth + depth_shift)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Unit).where(col(Unit.id) == unit.id).values(parent_id=new_parent.id).execution_options(synchronize_session=False)
    )
    audit.record(
        session=session,
        actor_id=actor.id,
        action="unit.move",
        entity="unit",
        entity_id=unit.id,
        detail={"from_parent_id": old_parent_id, "to": new_parent.code},
        ip=actor.ip,
    )
    session.flush()
    session.expire_all()
    return get(session=session, unit_id=unit_id)


def ancestor_ids(path: str) -> list[int]:
    """The ids on a unit's path ("/1/7/42/" → [1, 7, 42]): the unit itself and every unit above it."""
    return [int(x) for x in path.strip("/").split("/") if x]


def subtree_totals(rows: Iterable[tuple[str, int]]) -> dict[int, int]:
    """Sum a per-unit figure over each unit's subtree: `rows` are (path, own value) for every unit of a
    subtree (paths like "/1/7/42/"); the answer maps each unit id to its own value plus all its descendants'.
    Units above the given ones are left out."""
    rows = list(rows)
    known = {int(path.strip("/").split("/")[-1]) for path, _ in rows}
    totals = dict.fromkeys(known, 0)
    for path, value in rows:
        for ancestor in (int(x) for x in path.strip("/").split("/")):
            if ancestor in known:
                totals[ancestor] += value
    return totals


def member_term_key(*, session: Session) -> str:
    """What the top unit's kind calls its members (i18n.MEMBER_TERMS): Đảng bộ → đảng viên, and so on."""
    top = session.exec(select(Unit).where(col(Unit.parent_id).is_(None)).order_by(col(Unit.id))).first()
    return term_for_kind(top.kind if top else "")


def in_subtree(*, session: Session, unit: Unit) -> list[Unit]:
    """The unit and every unit under it, depth first (for pickers)."""
    return tree_order(list(session.exec(select(Unit).where(col(Unit.path).startswith(unit.path, autoescape=True))).all()))


def subtree_ids(*, session: Session, unit: Unit) -> list[int]:
    ids = session.exec(select(Unit.id).where(col(Unit.path).startswith(unit.path, autoescape=True))).all()
    return [uid for uid in ids if uid is not None]


@dataclass
class SubtreeSummary:
    unit: Unit
    units: int
    headcount: int
    accounts: int


def summaries(*, session: Session, actor: Actor) -> list[SubtreeSummary]:
    """Per organiser scope: units, declared headcount (a unit declares its own members; a subtree's
    headcount is the sum over it) and member accounts."""
    out: list[SubtreeSummary] = []
    seen: set[int] = set()
    for grant in actor.grants:
        if grant.role not in MANAGE or grant.unit_id in seen:
            continue
        seen.add(grant.unit_id)
        inside = col(Unit.path).startswith(grant.unit_path, autoescape=True)
        n_units, headcount = session.exec(select(func.count(), func.coalesce(func.sum(Unit.headcount), 0)).where(inside)).one()
        accounts = session.exec(
            select(func.count()).select_from(Member).join(Unit, col(Unit.id) == Member.unit_id).where(inside, col(Member.active).is_(True))
        ).one()
        out.append(
            SubtreeSummary(unit=get(session=session, unit_id=grant.unit_id), units=n_units, headcount=int(headcount), accounts=accounts)
        )
    return out


def reached_unit(
    *, session: Session, actor: Actor, scope: Unit, unit_code: str | None, roles: Iterable[str], missing: str, outside: str
) -> Unit:
    """The unit an organiser or judge asks for inside a scope (a contest's, a campaign's): the unit named, if it
    lies in the scope and their reach (`outside` when not in the scope); else the scope when they cover it; else
    their widest unit inside it. When none of their units meets the scope, the thing does not exist for them
    (`missing`)."""
    roles = tuple(roles)
    inside = [p for p in actor.paths(roles) if p.startswith(scope.path) or scope.path.startswith(p)]
    if not inside:
        raise NotFound(missing)
    if unit_code:
        unit = get_by_code(session=session, code=unit_code)
        if not unit.path.startswith(scope.path):
            raise NotFound(outside, code=unit.code)
        actor.require(unit, roles)
        return unit
    if actor.covers(scope, roles):
        return scope
    return session.exec(select(Unit).where(col(Unit.path) == min(inside, key=len))).one()
