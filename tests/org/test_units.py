from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditEntry, Member, Unit
from app.services.org import units
from app.services.org.access import Actor
from app.services.org.schemas import UnitCreate, UnitUpdate
from tests.factories import Tree, actor, make_member, make_tree, make_unit


@dataclass(frozen=True)
class Org(Tree):
    admin: Actor
    org_a: Actor
    org_b: Actor
    plain: Actor


@pytest.fixture
def org(session: Session) -> Org:
    t = make_tree(session, headcounts=(5, 3, 20, 7, 4, 30))
    root, a, a1, a2, b, b1 = t.root, t.a, t.a1, t.a2, t.b, t.b1
    admin = make_member(session, root, roles=(("admin", root),))
    org_a = make_member(session, a, roles=(("organiser", a),))
    org_b = make_member(session, b, roles=(("organiser", b),))
    plain = make_member(session, a1)
    return Org(root, a, a1, a2, b, b1, actor(session, admin), actor(session, org_a), actor(session, org_b), actor(session, plain))


def audit_of(session: Session, action: str, unit_id: int) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry).where(AuditEntry.action == action, AuditEntry.entity == "unit", AuditEntry.entity_id == str(unit_id))
        ).all()
    )


def reload(session: Session, unit: Unit) -> Unit:
    session.expire_all()
    fresh = session.get(Unit, unit.id)
    assert fresh is not None
    return fresh


# --- create ---------------------------------------------------------------------------------------


def test_admin_creates_under_root_with_path_and_depth(session: Session, org: Org) -> None:
    unit = units.create(
        session=session,
        actor=org.admin,
        data=UnitCreate(code="db-c", name="  Đảng bộ   phường C ", kind="Đảng bộ cơ sở", parent_code="root", headcount=12),
    )
    session.commit()
    fresh = reload(session, unit)
    assert fresh.code == "DB-C"  # upper case
    assert fresh.name == "Đảng bộ phường C"
    assert fresh.parent_id == org.root.id
    assert fresh.path == f"/{org.root.id}/{fresh.id}/"
    assert fresh.depth == 1
    assert fresh.headcount == 12


def test_organiser_creates_deep_under_own_subtree(session: Session, org: Org) -> None:
    unit = units.create(session=session, actor=org.org_a, data=UnitCreate(code="TO-A1-1", name="Tổ 1", parent_code="CB-A1"))
    session.commit()
    fresh = reload(session, unit)
    assert fresh.path == f"/{org.root.id}/{org.a.id}/{org.a1.id}/{fresh.id}/"
    assert fresh.depth == 3
    assert fresh.parent_id == org.a1.id


def test_create_writes_audit_entry(session: Session, org: Org) -> None:
    unit = units.create(session=session, actor=org.org_a, data=UnitCreate(code="CB-A3", name="Chi bộ A3", parent_code="DB-A"))
    session.commit()
    entries = audit_of(session, "unit.create", unit.id)
    assert len(entries) == 1
    assert entries[0].actor_id == org.org_a.id
    assert entries[0].detail == {"code": "CB-A3", "name": "Chi bộ A3", "parent": "DB-A"}
    assert entries[0].ip == "127.0.0.1"


def test_create_normalises_decomposed_name_to_nfc(session: Session, org: Org) -> None:
    import unicodedata

    name = unicodedata.normalize("NFD", "Chi bộ Phú Cường")
    unit = units.create(session=session, actor=org.org_a, data=UnitCreate(code="CB-PC", name=name, parent_code="DB-A"))
    session.commit()
    assert reload(session, unit).name == "Chi bộ Phú Cường"


def test_duplicate_code_is_conflict_whatever_the_case(session: Session, org: Org) -> None:
    with pytest.raises(Conflict):
        units.create(session=session, actor=org.org_a, data=UnitCreate(code=" cb-a1 ", name="Trùng", parent_code="DB-A"))
    # codes are unique across the whole tree, not just inside a subtree
    with pytest.raises(Conflict):
        units.create(session=session, actor=org.org_a, data=UnitCreate(code="CB-B1", name="Trùng", parent_code="DB-A"))


@pytest.mark.parametrize("code", ["", "mã đơn vị", "CB A1", "-CB", "CB/1", "Đ1", "X" * 33])
def test_bad_code_is_invalid(session: Session, org: Org, code: str) -> None:
    with pytest.raises(Invalid) as ei:
        units.create(session=session, actor=org.org_a, data=UnitCreate(code=code, name="Tên", parent_code="DB-A"))
    assert ei.value.field == "code"


def test_missing_or_long_name_and_long_kind_are_invalid(session: Session, org: Org) -> None:
    with pytest.raises(Invalid) as ei:
        units.create(session=session, actor=org.org_a, data=UnitCreate(code="OK1", name="   ", parent_code="DB-A"))
    assert ei.value.field == "name"
    with pytest.raises(Invalid) as ei:
        units.create(session=session, actor=org.org_a, data=UnitCreate(code="OK1", name="x" * 201, parent_code="DB-A"))
    assert ei.value.field == "name"
    # kind is a VARCHAR(64): too long must be a field error, not a database error
    with pytest.raises(Invalid) as ei:
        units.create(session=session, actor=org.org_a, data=UnitCreate(code="OK1", name="Tên", kind="k" * 65, parent_code="DB-A"))
    assert ei.value.field == "kind"


def test_negative_headcount_on_create_is_invalid(session: Session, org: Org) -> None:
    with pytest.raises(Invalid) as ei:
        units.create(session=session, actor=org.org_a, data=UnitCreate(code="OK1", name="Tên", parent_code="DB-A", headcount=-1))
    assert ei.value.field == "headcount"


def test_top_level_unit_only_for_admin(session: Session, org: Org) -> None:
    with pytest.raises(Forbidden):
        units.create(session=session, actor=org.org_a, data=UnitCreate(code="TOP2", name="Hội khác"))
    session.rollback()
    unit = units.create(session=session, actor=org.admin, data=UnitCreate(code="TOP2", name="Hội khác"))
    session.commit()
    fresh = reload(session, unit)
    assert fresh.parent_id is None
    assert fresh.depth == 0
    assert fresh.path == f"/{fresh.id}/"


def test_parent_outside_organiser_subtree_is_forbidden(session: Session, org: Org) -> None:
    with pytest.raises(Forbidden):
        units.create(session=session, actor=org.org_a, data=UnitCreate(code="CB-B9", name="Ngoài phạm vi", parent_code="DB-B"))
    # the organiser's own parent is outside the subtree too
    with pytest.raises(Forbidden):
        units.create(session=session, actor=org.org_a, data=UnitCreate(code="DB-X", name="Ngang hàng", parent_code="ROOT"))
    with pytest.raises(Forbidden):
        units.create(session=session, actor=org.plain, data=UnitCreate(code="CB-X", name="Không quyền", parent_code="CB-A1"))
    session.rollback()
    assert session.exec(select(Unit).where(Unit.code.in_(["CB-B9", "DB-X", "CB-X"]))).all() == []


def test_unknown_parent_is_not_found(session: Session, org: Org) -> None:
    with pytest.raises(NotFound):
        units.create(session=session, actor=org.admin, data=UnitCreate(code="CB-Z", name="Z", parent_code="NOPE"))


# --- update ---------------------------------------------------------------------------------------


def test_update_changes_fields_and_is_audited(session: Session, org: Org) -> None:
    units.update_unit(
        session=session, actor=org.org_a, unit_id=org.a1.id, data=UnitUpdate(name=" Chi bộ  Khu phố 1 ", kind="Chi bộ", headcount=25)
    )
    session.commit()
    fresh = reload(session, org.a1)
    assert (fresh.name, fresh.headcount) == ("Chi bộ Khu phố 1", 25)
    entries = audit_of(session, "unit.update", org.a1.id)
    assert len(entries) == 1
    assert entries[0].actor_id == org.org_a.id
    assert entries[0].detail["before"]["headcount"] == 20
    assert entries[0].detail["after"]["headcount"] == 25
    assert entries[0].detail["after"]["name"] == "Chi bộ Khu phố 1"


def test_update_negative_headcount_is_invalid(session: Session, org: Org) -> None:
    with pytest.raises(Invalid) as ei:
        units.update_unit(session=session, actor=org.org_a, unit_id=org.a1.id, data=UnitUpdate(headcount=-5))
    assert ei.value.field == "headcount"
    session.rollback()
    assert reload(session, org.a1).headcount == 20


def test_huge_headcount_is_invalid_not_a_database_error(session: Session, org: Org) -> None:
    # 2**31 overflows PostgreSQL's INTEGER: it must be a field error
    with pytest.raises(Invalid) as ei:
        units.create(session=session, actor=org.org_a, data=UnitCreate(code="OK1", name="Tên", parent_code="DB-A", headcount=2**31))
    assert ei.value.field == "headcount"
    with pytest.raises(Invalid) as ei:
        units.update_unit(session=session, actor=org.org_a, unit_id=org.a1.id, data=UnitUpdate(headcount=2**31))
    assert ei.value.field == "headcount"
    with pytest.raises(Invalid) as ei:
        units.update_unit(session=session, actor=org.org_a, unit_id=org.a1.id, data=UnitUpdate(kind="k" * 65))
    assert ei.value.field == "kind"


def test_update_empty_name_is_invalid(session: Session, org: Org) -> None:
    with pytest.raises(Invalid) as ei:
        units.update_unit(session=session, actor=org.org_a, unit_id=org.a1.id, data=UnitUpdate(name=" "))
    assert ei.value.field == "name"


def test_update_outside_scope_is_forbidden(session: Session, org: Org) -> None:
    with pytest.raises(Forbidden):
        units.update_unit(session=session, actor=org.org_a, unit_id=org.b1.id, data=UnitUpdate(headcount=1))
    session.rollback()
    assert reload(session, org.b1).headcount == 30


# --- move -----------------------------------------------------------------------------------------


def _deep_subtree(session: Session, org: Org) -> tuple[Unit, Unit, Unit]:
    """A1 > T1 > G1 > X1: A1 with a subtree three levels deep."""
    t1 = make_unit(session, "T-1", parent=org.a1)
    g1 = make_unit(session, "G-1", parent=t1)
    x1 = make_unit(session, "X-1", parent=g1)
    return t1, g1, x1


def test_move_rehangs_whole_subtree(session: Session, org: Org) -> None:
    t1, g1, x1 = _deep_subtree(session, org)
    # Enough other units that ids share leading digits with the moved ones (/1/ vs /10/ …).
    for i in range(10):
        make_unit(session, f"PAD-{i}", parent=org.a2)
    before = {u.id: (u.path, u.depth) for u in session.exec(select(Unit)).all()}

    moved = units.move(session=session, actor=org.admin, unit_id=org.a1.id, new_parent_code="cb-b1")
    session.commit()
    assert moved.parent_id == org.b1.id
    b1_path = f"/{org.root.id}/{org.b.id}/{org.b1.id}/"
    expected = {
        org.a1.id: (f"{b1_path}{org.a1.id}/", 3),
        t1.id: (f"{b1_path}{org.a1.id}/{t1.id}/", 4),
        g1.id: (f"{b1_path}{org.a1.id}/{t1.id}/{g1.id}/", 5),
        x1.id: (f"{b1_path}{org.a1.id}/{t1.id}/{g1.id}/{x1.id}/", 6),
    }
    session.expire_all()
    after = {u.id: (u.path, u.depth) for u in session.exec(select(Unit)).all()}
    for uid, value in expected.items():
        assert after[uid] == value
    # nothing else moved
    for uid, value in before.items():
        if uid not in expected:
            assert after[uid] == value, uid
    # parents of the descendants did not change, the moved unit's did
    assert session.get(Unit, t1.id).parent_id == org.a1.id
    assert session.get(Unit, x1.id).parent_id == g1.id
    # the subtree is found under its new parent
    assert set(units.subtree_ids(session=session, unit=session.get(Unit, org.b1.id))) == {org.b1.id, org.a1.id, t1.id, g1.id, x1.id}


def test_move_up_reduces_depth(session: Session, org: Org) -> None:
    t1, g1, x1 = _deep_subtree(session, org)
    units.move(session=session, actor=org.org_a, unit_id=g1.id, new_parent_code="DB-A")
    session.commit()
    session.expire_all()
    assert session.get(Unit, g1.id).depth == 2
    assert session.get(Unit, x1.id).depth == 3
    assert session.get(Unit, x1.id).path == f"/{org.root.id}/{org.a.id}/{g1.id}/{x1.id}/"


def test_move_is_audited(session: Session, org: Org) -> None:
    units.move(session=session, actor=org.admin, unit_id=org.a2.id, new_parent_code="DB-B")
    session.commit()
    entries = audit_of(session, "unit.move", org.a2.id)
    assert len(entries) == 1
    assert entries[0].detail == {"from_parent_id": org.a.id, "to": "DB-B"}
    assert entries[0].actor_id == org.admin.id


def test_move_under_itself_or_descendant_is_invalid(session: Session, org: Org) -> None:
    t1, g1, x1 = _deep_subtree(session, org)
    for target in ("CB-A1", "T-1", "X-1"):
        with pytest.raises(Invalid) as ei:
            units.move(session=session, actor=org.admin, unit_id=org.a1.id, new_parent_code=target)
        assert ei.value.field == "parent_code"
    session.rollback()
    assert reload(session, org.a1).path == f"/{org.root.id}/{org.a.id}/{org.a1.id}/"


def test_move_by_organiser_not_covering_target_is_forbidden(session: Session, org: Org) -> None:
    with pytest.raises(Forbidden):
        units.move(session=session, actor=org.org_a, unit_id=org.a1.id, new_parent_code="DB-B")
    # nor the unit
    with pytest.raises(Forbidden):
        units.move(session=session, actor=org.org_a, unit_id=org.b1.id, new_parent_code="DB-A")
    session.rollback()
    assert reload(session, org.a1).parent_id == org.a.id
    assert reload(session, org.b1).parent_id == org.b.id
    assert audit_of(session, "unit.move", org.a1.id) == []


def test_move_to_same_parent_changes_nothing(session: Session, org: Org) -> None:
    units.move(session=session, actor=org.org_a, unit_id=org.a1.id, new_parent_code="DB-A")
    session.commit()
    assert reload(session, org.a1).path == f"/{org.root.id}/{org.a.id}/{org.a1.id}/"
    assert audit_of(session, "unit.move", org.a1.id) == []


# --- listing and summaries ------------------------------------------------------------------------


def test_list_in_scope_and_tree_order(session: Session, org: Org) -> None:
    in_a = units.list_in_scope(session=session, actor=org.org_a)
    assert {u.code for u in in_a} == {"DB-A", "CB-A1", "CB-A2"}
    assert units.list_in_scope(session=session, actor=org.plain) == []
    tree = units.tree_order(units.list_in_scope(session=session, actor=org.admin))
    assert [u.code for u in tree] == ["ROOT", "DB-A", "CB-A1", "CB-A2", "DB-B", "CB-B1"]


def test_summaries_sum_headcount_over_subtree(session: Session, org: Org) -> None:
    make_member(session, org.a1)
    make_member(session, org.a2, active=False)
    make_member(session, org.b1)
    (s,) = units.summaries(session=session, actor=org.org_a)
    assert s.unit.id == org.a.id
    assert s.units == 3
    assert s.headcount == 3 + 20 + 7
    # org_a and the plain member (fixture) and the new active one in A1; the inactive one does not count
    assert s.accounts == 3
    (r,) = units.summaries(session=session, actor=org.admin)
    assert r.units == 6
    assert r.headcount == 5 + 3 + 20 + 7 + 4 + 30
    assert r.accounts == session.exec(select(Member).where(Member.active.is_(True))).all().__len__()
    assert units.summaries(session=session, actor=org.plain) == []
