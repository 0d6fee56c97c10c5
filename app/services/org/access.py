"""Who is acting, and over which unit subtrees. Every scope check in the product goes through here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, false, or_
from sqlmodel import Session, col, select

from app.errors import N_, Forbidden
from app.models import Member, MemberRole, Role, Unit

MANAGE = (Role.organiser, Role.admin)
JUDGE = (Role.judge, Role.admin)


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: int
    unit_code: str
    unit_path: str


@dataclass
class Actor:
    """The person making a request. `member` and `unit` may be detached snapshots shared between
    requests (app.services.org.principals): read them, never change them; a service that changes the acting
    member loads it in its own session."""

    member: Member
    grants: list[Grant] = field(default_factory=list)
    ip: str | None = None
    unit: Unit | None = None

    @property
    def id(self) -> int:
        assert self.member.id is not None
        return self.member.id

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.admin)

    def paths(self, roles: Iterable[str] = MANAGE) -> list[str]:
        wanted = set(roles)
        return [g.unit_path for g in self.grants if g.role in wanted]

    def covers(self, unit: Unit, roles: Iterable[str] = MANAGE) -> bool:
        return self.covers_path(unit.path, roles)

    def covers_path(self, path: str, roles: Iterable[str] = MANAGE) -> bool:
        return any(path.startswith(p) for p in self.paths(roles))

    def require(self, unit: Unit, roles: Iterable[str] = MANAGE) -> None:
        self.require_path(unit.path, unit.code, roles)

    def require_path(self, path: str, code: str, roles: Iterable[str] = MANAGE) -> None:
        """As require, for a unit known by its path and code (a cached one)."""
        if not self.covers_path(path, roles):
            raise Forbidden(N_("Đơn vị {code} nằm ngoài phạm vi bạn được giao."), code=code)

    def require_any(self, roles: Iterable[str] = MANAGE) -> None:
        if not self.has_role(*roles):
            raise Forbidden()

    def unit_filter(self, roles: Iterable[str] = MANAGE) -> ColumnElement[bool]:
        """A WHERE clause on Unit: the units inside this actor's subtrees."""
        paths = self.paths(roles)
        if not paths:
            return false()
        return or_(*[col(Unit.path).startswith(p, autoescape=True) for p in paths])


def load_grants(*, session: Session, member_id: int) -> list[Grant]:
    rows = session.exec(
        select(MemberRole.role, MemberRole.unit_id, Unit.code, Unit.path)
        .join(Unit, col(Unit.id) == MemberRole.unit_id)
        .where(MemberRole.member_id == member_id)
    ).all()
    return [Grant(role=r, unit_id=uid, unit_code=code, unit_path=path) for r, uid, code, path in rows]


def actor_for(*, session: Session, member: Member, ip: str | None = None) -> Actor:
    assert member.id is not None
    return Actor(member=member, grants=load_grants(session=session, member_id=member.id), ip=ip)
