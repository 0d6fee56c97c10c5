"""Factory functions for tests: real rows through the real services where it matters."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.models import Member, MemberRole, Unit
from app.security import hash_password
from app.services.org.access import Actor, actor_for
from app.services.org.members import apply_derived
from app.services.org.principals import actor_of, load

PASSWORD = "MatKhau#2025"
_seq = itertools.count(1)
_hash_cache: dict[str, str] = {}


def make_unit(
    session: Session, code: str, *, parent: Unit | None = None, name: str | None = None, kind: str = "Chi bộ", headcount: int = 10
) -> Unit:
    unit = Unit(
        code=code.upper(),
        name=name or f"Đơn vị {code}",
        kind=kind,
        headcount=headcount,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.commit()
    return unit


def make_member(
    session: Session,
    unit: Unit,
    *,
    full_name: str | None = None,
    phone: str | None = None,
    member_code: str | None = None,
    password: str = PASSWORD,
    roles: tuple = (),
    must_change_password: bool = False,
    birth_date: date | None = None,
    active: bool = True,
) -> Member:
    n = next(_seq)
    if password not in _hash_cache:  # one argon2 hash per password keeps the suite quick
        _hash_cache[password] = hash_password(password)
    member = Member(
        full_name=full_name or f"Nguyễn Văn Thử {n}",
        phone=phone or f"09{n:08d}",
        member_code=member_code or f"HV{n:05d}",
        unit_id=unit.id,
        birth_date=birth_date,
        password_hash=_hash_cache[password],
        must_change_password=must_change_password,
        active=active,
    )
    apply_derived(member)
    session.add(member)
    session.flush()
    for role, scope in roles:
        session.add(MemberRole(member_id=member.id, role=role, unit_id=scope.id))
    session.commit()
    return member


def actor(session: Session, member: Member) -> Actor:
    return actor_for(session=session, member=member, ip="127.0.0.1")


def member_actor(session: Session, member: Member) -> Actor:
    """The member as a request of theirs sees them: loaded the way a token's member is (app.services.org.principals)."""
    return actor_of(load(session=session, member_id=member.id), "127.0.0.1")


def api_token(client, username: str, password: str = PASSWORD) -> str:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def local_time(days: int, hour: int) -> str:
    """A wall-clock time in Vietnam `days` from today at `hour`:00, as a form or the API takes it
    ("2026-12-01T07:00"): tests that need a future window must not carry a date that passes."""
    day = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


@dataclass(frozen=True)
class Tree:
    """root ─┬─ a ─┬─ a1
    │     └─ a2
    └─ b ─── b1        (two branches, for scope tests)"""

    root: Unit
    a: Unit
    a1: Unit
    a2: Unit
    b: Unit
    b1: Unit


def make_tree(
    session: Session,
    *,
    codes: tuple[str, str, str, str, str] = ("DB-A", "CB-A1", "CB-A2", "DB-B", "CB-B1"),
    names: tuple[str | None, ...] = (None,) * 5,
    headcounts: tuple[int, ...] = (10,) * 6,
) -> Tree:
    root = make_unit(session, "ROOT", kind="Đảng bộ", headcount=headcounts[0])
    a = make_unit(session, codes[0], parent=root, name=names[0], kind="Đảng bộ cơ sở", headcount=headcounts[1])
    a1 = make_unit(session, codes[1], parent=a, name=names[1], headcount=headcounts[2])
    a2 = make_unit(session, codes[2], parent=a, name=names[2], headcount=headcounts[3])
    b = make_unit(session, codes[3], parent=root, name=names[3], kind="Đảng bộ cơ sở", headcount=headcounts[4])
    b1 = make_unit(session, codes[4], parent=b, name=names[4], headcount=headcounts[5])
    return Tree(root, a, a1, a2, b, b1)


def in_parallel(fn, n: int) -> list[BaseException]:
    """Run fn(i) for i in range(n) on n threads at once; what they raised (empty when all went well)."""
    import threading

    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            fn(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
