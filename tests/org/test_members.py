from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditEntry, Member, MemberRole
from app.security import keyed_hash, verify_password
from app.services.org import members
from app.services.org.access import Actor
from app.services.org.schemas import MemberCreate, MemberUpdate, RoleGrantIn
from tests.databases import TEST_SECRET
from tests.factories import PASSWORD, Tree, actor, api_token, bearer, make_member, make_tree


@dataclass(frozen=True)
class Org(Tree):
    admin: Actor
    org_a: Actor
    org_b: Actor


@pytest.fixture
def org(session: Session) -> Org:
    t = make_tree(session)
    root, a, a1, a2, b, b1 = t.root, t.a, t.a1, t.a2, t.b, t.b1
    admin = make_member(session, root, full_name="Quản Trị Viên", roles=(("admin", root),))
    org_a = make_member(session, a, full_name="Tổ Chức A", roles=(("organiser", a),))
    org_b = make_member(session, b, full_name="Tổ Chức B", roles=(("organiser", b),))
    return Org(root, a, a1, a2, b, b1, actor(session, admin), actor(session, org_a), actor(session, org_b))


def data(**kw: object) -> MemberCreate:
    base: dict[str, object] = {
        "full_name": "Nguyễn Thị Đào",
        "phone": "0912345678",
        "member_code": "HV-001",
        "unit_code": "CB-A1",
        "password": "MatKhauMoi#1",
    }
    base.update(kw)
    return MemberCreate(**base)


def create(session: Session, who: Actor, **kw: object) -> Member:
    member = members.create(session=session, actor=who, data=data(**kw), secret=TEST_SECRET)
    session.commit()
    return member


def count_members(session: Session) -> int:
    session.expire_all()
    return len(session.exec(select(Member.id)).all())


# --- create and validation ------------------------------------------------------------------------


def test_create_stores_normalised_fields(session: Session, org: Org) -> None:
    m = create(
        session,
        org.org_a,
        full_name=unicodedata.normalize("NFD", "  Nguyễn  Thị Đào "),
        phone="+84 912 345 678",
        member_code=" hv-001 ",
        birth_date=date(1990, 5, 17),
    )
    session.expire_all()
    row = session.get(Member, m.id)
    assert row.full_name == "Nguyễn Thị Đào"
    assert unicodedata.is_normalized("NFC", row.full_name)
    assert row.phone == "0912345678"
    assert row.member_code == "HV-001"
    assert row.birth_date == date(1990, 5, 17)
    assert row.unit_id == org.a1.id
    assert row.name_folded == "nguyen thi dao"
    assert row.must_change_password is True
    assert verify_password("MatKhauMoi#1", row.password_hash)[0]
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "member.create", AuditEntry.entity_id == str(m.id))).all()
    assert len(entries) == 1 and entries[0].actor_id == org.org_a.id


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("(091) 234-5678", "0912345678"),
        ("912345678", "0912345678"),  # Excel ate the leading zero
    ],
)
def test_phone_normalisation(raw: str, normalised: str) -> None:
    assert members.normalise_phone(raw) == normalised


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"full_name": "   "}, "full_name"),
        ({"full_name": "x" * 121}, "full_name"),
        ({"phone": ""}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "0912 345 67a"}, "phone"),
        ({"phone": "091234567890"}, "phone"),
        ({"phone": "０９１２３４５６７８"}, "phone"),  # full-width digits are not a phone number
        ({"member_code": ""}, "member_code"),
        ({"member_code": "HV 001"}, "member_code"),
        ({"member_code": "Hội-01"}, "member_code"),
        ({"member_code": "X" * 33}, "member_code"),
        ({"birth_date": date.today() + timedelta(days=1)}, "birth_date"),
        ({"birth_date": date(1899, 12, 31)}, "birth_date"),
        ({"id_number": "12345678901"}, "id_number"),
        ({"id_number": "1234567890123"}, "id_number"),
        ({"id_number": "00120301234A"}, "id_number"),
        ({"id_number": "００１２０３０１２３４５"}, "id_number"),
        ({"password": "short"}, "password"),
        ({"password": "0912345678"}, "password"),  # same as the phone
    ],
)
def test_create_validation_names_the_field(session: Session, org: Org, kw: dict, field: str) -> None:
    with pytest.raises(Invalid) as ei:
        members.create(session=session, actor=org.org_a, data=data(**kw), secret=TEST_SECRET)
    assert ei.value.field == field
    session.rollback()
    assert count_members(session) == 3


def test_cccd_is_stored_as_keyed_hash_and_last_digits_only(session: Session, org: Org) -> None:
    raw = "001203012345"
    m = create(session, org.org_a, id_number="0012 0301 2345")
    session.expire_all()
    row = session.get(Member, m.id)
    assert row.id_number_hash == keyed_hash(raw, secret=TEST_SECRET, purpose="id_number")
    assert row.id_number_last == "2345"
    assert members.mask_id_number(row.id_number_last) == "********2345"
    # the raw number is nowhere in the row, nor in the audit log
    db_row = session.execute(text("SELECT * FROM member WHERE id = :id"), {"id": m.id}).mappings().one()
    for column, value in db_row.items():
        assert raw not in str(value), column
    for entry in session.exec(select(AuditEntry)).all():
        assert raw not in str(entry.detail)
    assert members.to_public(session=session, member=row).id_number_masked == "********2345"
    assert raw not in members.to_public(session=session, member=row).model_dump_json()


def test_cccd_uniqueness(session: Session, org: Org) -> None:
    create(session, org.org_a, id_number="001203012345")
    with pytest.raises(Conflict) as ei:
        create(session, org.org_a, phone="0987654321", member_code="HV-002", id_number=" 001203012345 ")
    assert ei.value.extra == {"field": "id_number"}
    assert "001203012345" not in str(ei.value.params)


def test_phone_uniqueness_across_formats(session: Session, org: Org) -> None:
    create(session, org.org_a)
    with pytest.raises(Conflict) as ei:
        # same phone written differently, in another subtree, by another organiser
        create(session, org.org_b, phone="+84912345678", member_code="HV-002", unit_code="CB-B1")
    assert ei.value.extra == {"field": "phone"}


def test_member_code_uniqueness_ignores_case(session: Session, org: Org) -> None:
    create(session, org.org_a)
    with pytest.raises(Conflict) as ei:
        create(session, org.org_a, phone="0987654321", member_code="hv-001")
    assert ei.value.extra == {"field": "member_code"}
    session.rollback()
    assert count_members(session) == 4


def test_unit_outside_scope_is_forbidden(session: Session, org: Org) -> None:
    with pytest.raises(Forbidden):
        create(session, org.org_a, unit_code="CB-B1")
    with pytest.raises(NotFound):
        create(session, org.org_a, unit_code="KHONG-CO")
    session.rollback()
    assert count_members(session) == 3


def test_plain_member_cannot_create(session: Session, org: Org) -> None:
    plain = actor(session, make_member(session, org.a1))
    with pytest.raises(Forbidden):
        create(session, plain)


# --- roles ----------------------------------------------------------------------------------------


def grants(session: Session, member_id: int) -> set[tuple[str, str]]:
    session.expire_all()
    return {(g.role, u.code) for g, u in members.grants_of(session=session, member_id=member_id)}


def test_organiser_grants_organiser_and_judge_in_scope(session: Session, org: Org) -> None:
    m = create(
        session,
        org.org_a,
        roles=[
            RoleGrantIn(role="organiser", unit_code="CB-A1"),
            RoleGrantIn(role="Judge", unit_code="db-a"),
            RoleGrantIn(role="member", unit_code="CB-A1"),
        ],
    )
    assert grants(session, m.id) == {("organiser", "CB-A1"), ("judge", "DB-A")}
    public = members.to_public(session=session, member=m)
    assert public.roles[0].model_dump() == {"role": "member", "unit_code": "CB-A1"}
    assert {r.model_dump()["role"] for r in public.roles} == {"member", "organiser", "judge"}
    audited = session.exec(select(AuditEntry).where(AuditEntry.action == "member.grant", AuditEntry.entity_id == str(m.id))).all()
    assert {(e.detail["role"], e.detail["unit"]) for e in audited} == {("organiser", "CB-A1"), ("judge", "DB-A")}


def test_organiser_cannot_grant_admin(session: Session, org: Org) -> None:
    with pytest.raises(Forbidden):
        create(session, org.org_a, roles=[RoleGrantIn(role="admin", unit_code="CB-A1")])
    session.rollback()
    assert count_members(session) == 3
    assert session.exec(select(MemberRole).where(MemberRole.role == "admin")).all().__len__() == 1


def test_organiser_cannot_grant_outside_scope(session: Session, org: Org) -> None:
    with pytest.raises(Forbidden):
        create(session, org.org_a, roles=[RoleGrantIn(role="organiser", unit_code="DB-B")])
    session.rollback()
    with pytest.raises(Forbidden):
        create(session, org.org_a, roles=[RoleGrantIn(role="judge", unit_code="ROOT")])
    session.rollback()
    assert count_members(session) == 3


def test_unknown_role_is_invalid(session: Session, org: Org) -> None:
    with pytest.raises(Invalid) as ei:
        create(session, org.org_a, roles=[RoleGrantIn(role="president", unit_code="CB-A1")])
    assert ei.value.field == "roles"


def test_admin_can_grant_admin(session: Session, org: Org) -> None:
    m = create(session, org.admin, roles=[RoleGrantIn(role="admin", unit_code="DB-B")])
    assert grants(session, m.id) == {("admin", "DB-B")}


def test_grant_and_revoke_role_on_existing_member(session: Session, org: Org) -> None:
    m = make_member(session, org.a1)
    members.grant_role(session=session, actor=org.org_a, member_id=m.id, role="judge", unit_code="CB-A2")
    session.commit()
    assert grants(session, m.id) == {("judge", "CB-A2")}
    with pytest.raises(Forbidden):
        members.grant_role(session=session, actor=org.org_a, member_id=m.id, role="judge", unit_code="CB-B1")
    session.rollback()
    with pytest.raises(NotFound):  # a member of B does not exist for A's organiser
        members.grant_role(session=session, actor=org.org_a, member_id=org.org_b.id, role="judge", unit_code="CB-A2")
    session.rollback()
    ((g, _u),) = members.grants_of(session=session, member_id=m.id)
    version = session.get(Member, m.id).token_version
    members.revoke_role(session=session, actor=org.org_a, member_id=m.id, role_id=g.id)
    session.commit()
    assert grants(session, m.id) == set()
    assert session.get(Member, m.id).token_version == version + 1


def test_organiser_cannot_take_over_an_account_with_wider_powers(session: Session, org: Org) -> None:
    # An admin (and the organiser of B) whose home unit lies inside A's subtree: A's organiser must
    # not be able to reset their password, lock them or change their phone.
    boss = make_member(session, org.a1, full_name="Chủ Tịch", roles=(("admin", org.root),))
    neighbour = make_member(session, org.a2, full_name="Láng Giềng", roles=(("organiser", org.b),))
    for target in (boss, neighbour):
        before = (target.password_hash, target.token_version, target.phone, target.active)
        with pytest.raises(Forbidden):
            members.reset_password(session=session, actor=org.org_a, member_id=target.id, new_password="ChiemQuyen#1")
        session.rollback()
        with pytest.raises(Forbidden):
            members.set_active(session=session, actor=org.org_a, member_id=target.id, active=False)
        session.rollback()
        with pytest.raises(Forbidden):
            members.update(session=session, actor=org.org_a, member_id=target.id, secret=TEST_SECRET, data=MemberUpdate(phone="0966666666"))
        session.rollback()
        session.expire_all()
        row = session.get(Member, target.id)
        assert (row.password_hash, row.token_version, row.phone, row.active) == before
    # the admin can
    members.reset_password(session=session, actor=org.admin, member_id=boss.id, new_password="DatLai#2025x")
    session.commit()
    # and an organiser still manages accounts whose roles lie inside the subtree
    helper = make_member(session, org.a1, roles=(("judge", org.a1), ("organiser", org.a2)))
    members.reset_password(session=session, actor=org.org_a, member_id=helper.id, new_password="DatLai#2025x")
    members.set_active(session=session, actor=org.org_a, member_id=helper.id, active=False)
    session.commit()
    session.expire_all()
    assert session.get(Member, helper.id).active is False


def test_ids_out_of_database_range_are_not_found(session: Session, org: Org) -> None:
    from app.services.org import units

    for ident in (2**31, 10**20, 0, -1):
        with pytest.raises(NotFound):
            members.get(session=session, member_id=ident)
        with pytest.raises(NotFound):
            units.get(session=session, unit_id=ident)
        with pytest.raises(NotFound):
            members.search(session=session, actor=org.admin, unit_id=ident)
        with pytest.raises(NotFound):
            members.revoke_role(session=session, actor=org.admin, member_id=org.org_a.id, role_id=ident)


# --- update ---------------------------------------------------------------------------------------


def test_update_keeps_own_phone_and_rejects_others(session: Session, org: Org) -> None:
    m1 = create(session, org.org_a)
    create(session, org.org_a, phone="0987654321", member_code="HV-002")
    members.update(
        session=session,
        actor=org.org_a,
        member_id=m1.id,
        secret=TEST_SECRET,
        data=MemberUpdate(full_name="Nguyễn Thị Đào Hoa", phone="0912345678"),
    )
    session.commit()
    assert session.get(Member, m1.id).name_folded == "nguyen thi dao hoa"
    with pytest.raises(Conflict):
        members.update(session=session, actor=org.org_a, member_id=m1.id, secret=TEST_SECRET, data=MemberUpdate(phone="0987 654 321"))
    session.rollback()
    with pytest.raises(Forbidden):
        members.update(session=session, actor=org.org_a, member_id=m1.id, secret=TEST_SECRET, data=MemberUpdate(unit_code="CB-B1"))
    session.rollback()
    session.expire_all()
    row = session.get(Member, m1.id)
    assert (row.phone, row.unit_id) == ("0912345678", org.a1.id)


def test_update_out_of_scope_member_is_not_found(session: Session, org: Org) -> None:
    other = make_member(session, org.b1, full_name="Người Bên B")
    with pytest.raises(NotFound):
        members.update(session=session, actor=org.org_a, member_id=other.id, secret=TEST_SECRET, data=MemberUpdate(full_name="Đổi Tên"))
    session.rollback()
    session.expire_all()
    assert session.get(Member, other.id).full_name == "Người Bên B"


# --- search ---------------------------------------------------------------------------------------


@pytest.fixture
def people(session: Session, org: Org) -> dict[str, Member]:
    spec = [
        ("Nguyễn Thị Đào", "0981000001", "DAO-1", org.a1),
        ("Lê Văn Đạo", "0981000002", "DAO-2", org.a2),
        ("Trần Văn An", "0982000003", "AN-3", org.a1),
        ("Phạm Thị Ánh", "0982000004", "ANH-4", org.a2),
        ("Nguyễn Văn Anh", "0983000005", "ANH-5", org.a1),
        ("Đỗ Thị Đào", "0984000006", "DAO-6", org.b1),
    ]
    return {name: make_member(session, unit, full_name=name, phone=phone, member_code=code) for name, phone, code, unit in spec}


def names(page: members.MemberPage) -> list[str]:
    return [m.full_name for m, _u in page.rows]


def test_search_ignores_diacritics(session: Session, org: Org, people: dict[str, Member]) -> None:
    assert names(members.search(session=session, actor=org.org_a, q="nguyen thi dao")) == ["Nguyễn Thị Đào"]
    assert names(members.search(session=session, actor=org.org_a, q="NGUYỄN THỊ ĐÀO")) == ["Nguyễn Thị Đào"]
    nfd = unicodedata.normalize("NFD", "Đạo")
    assert names(members.search(session=session, actor=org.org_a, q=nfd)) == ["Lê Văn Đạo", "Nguyễn Thị Đào"]


def test_search_by_phone_prefix_and_member_code(session: Session, org: Org, people: dict[str, Member]) -> None:
    assert names(members.search(session=session, actor=org.org_a, q="0982")) == ["Trần Văn An", "Phạm Thị Ánh"]
    assert names(members.search(session=session, actor=org.org_a, q="+84 983")) == ["Nguyễn Văn Anh"]
    assert names(members.search(session=session, actor=org.org_a, q="anh-4")) == ["Phạm Thị Ánh"]
    assert names(members.search(session=session, actor=org.org_a, q="0999")) == []


def test_search_returns_vietnamese_name_order(session: Session, org: Org, people: dict[str, Member]) -> None:
    page = members.search(session=session, actor=org.org_a, q="")
    # given name first ("A" is a prefix of "An"), letters before tones (Anh = Ánh: Nguyễn < Phạm),
    # then family name (Đạo = Đào: Lê < Nguyễn)
    assert names(page) == ["Tổ Chức A", "Trần Văn An", "Nguyễn Văn Anh", "Phạm Thị Ánh", "Lê Văn Đạo", "Nguyễn Thị Đào"]
    assert page.total == 6


def test_search_is_limited_to_the_actors_subtree(session: Session, org: Org, people: dict[str, Member]) -> None:
    assert names(members.search(session=session, actor=org.org_a, q="do thi dao")) == []
    assert names(members.search(session=session, actor=org.org_b, q="dao")) == ["Đỗ Thị Đào"]
    assert names(members.search(session=session, actor=org.org_a, q="0984")) == []
    assert names(members.search(session=session, actor=org.org_a, q="DAO-6")) == []
    assert "Đỗ Thị Đào" in names(members.search(session=session, actor=org.admin, q="dao"))
    plain = actor(session, people["Trần Văn An"])
    assert members.search(session=session, actor=plain, q="").total == 0


def test_search_in_one_unit(session: Session, org: Org, people: dict[str, Member]) -> None:
    assert names(members.search(session=session, actor=org.org_a, unit_id=org.a2.id)) == ["Phạm Thị Ánh", "Lê Văn Đạo"]
    with pytest.raises(Forbidden):
        members.search(session=session, actor=org.org_a, unit_id=org.b1.id)


def test_search_pages(session: Session, org: Org, people: dict[str, Member]) -> None:
    everyone = names(members.search(session=session, actor=org.admin, q=""))
    assert len(everyone) == 9
    seen: list[str] = []
    for n in (1, 2, 3):
        page = members.search(session=session, actor=org.admin, q="", page=n, per_page=4)
        assert page.total == 9 and page.pages == 3 and page.page == n
        seen += names(page)
        assert len(page.rows) == {1: 4, 2: 4, 3: 1}[n]
    assert seen == everyone
    assert members.search(session=session, actor=org.admin, q="", page=0, per_page=4).page == 1
    # past the end: the last page; a page number too big for OFFSET is not a database error
    for n in (4, 10**20):
        last = members.search(session=session, actor=org.admin, q="", page=n, per_page=4)
        assert last.page == 3 and names(last) == everyone[8:]
    empty = members.search(session=session, actor=org.admin, q="không ai tên này", page=5)
    assert (empty.total, empty.page, empty.pages, empty.rows) == (0, 1, 1, [])


def test_search_excludes_inactive_on_request(session: Session, org: Org, people: dict[str, Member]) -> None:
    members.set_active(session=session, actor=org.org_a, member_id=people["Trần Văn An"].id, active=False)
    session.commit()
    assert "Trần Văn An" in names(members.search(session=session, actor=org.org_a, q="an"))
    assert "Trần Văn An" not in names(members.search(session=session, actor=org.org_a, q="an", include_inactive=False))


def test_search_terms_are_not_patterns(session: Session, org: Org, people: dict[str, Member]) -> None:
    assert members.search(session=session, actor=org.org_a, q="%").total == 0
    assert members.search(session=session, actor=org.org_a, q="_").total == 0


# --- duplicates -----------------------------------------------------------------------------------


def test_likely_duplicates(session: Session, org: Org) -> None:
    born = date(1990, 1, 2)
    m1 = make_member(session, org.a1, full_name="Nguyễn Thị Đào", birth_date=born)
    m2 = make_member(session, org.a2, full_name="NGUYEN  thi dao", birth_date=born)
    make_member(session, org.a2, full_name="Nguyễn Thị Đào", birth_date=date(1990, 1, 3))
    make_member(session, org.a2, full_name="Nguyễn Thị Đàon", birth_date=born)
    no_birth = make_member(session, org.a2, full_name="Nguyễn Thị Đào")
    assert [m.id for m in members.likely_duplicates(session=session, member=m1)] == [m2.id]
    assert [m.id for m in members.likely_duplicates(session=session, member=m2)] == [m1.id]
    assert members.likely_duplicates(session=session, member=no_birth) == []


def test_likely_duplicates_for_an_organiser_stay_in_scope(session: Session, org: Org) -> None:
    born = date(1990, 1, 2)
    m1 = make_member(session, org.a1, full_name="Nguyễn Thị Đào", birth_date=born)
    in_b = make_member(session, org.b1, full_name="Nguyễn Thị Đào", birth_date=born)
    assert [m.id for m in members.likely_duplicates(session=session, member=m1)] == [in_b.id]
    assert members.likely_duplicates(session=session, member=m1, actor=org.org_a) == []
    assert [m.id for m in members.likely_duplicates(session=session, member=m1, actor=org.admin)] == [in_b.id]


# --- activation and passwords ---------------------------------------------------------------------


def test_deactivation_revokes_tokens_and_blocks_login(client, session: Session, org: Org) -> None:
    m = make_member(session, org.a1, phone="0977000111")
    token = api_token(client, "0977000111")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    version = m.token_version

    members.set_active(session=session, actor=org.org_a, member_id=m.id, active=False)
    session.commit()
    session.expire_all()
    row = session.get(Member, m.id)
    assert row.active is False
    assert row.token_version == version + 1
    assert (
        session.exec(select(AuditEntry).where(AuditEntry.action == "member.deactivate", AuditEntry.entity_id == str(m.id))).one().actor_id
        == org.org_a.id
    )
    session.commit()  # end the read transaction: on SQLite a stale snapshot cannot write later

    r = client.post("/api/v1/auth/token", json={"username": "0977000111", "password": PASSWORD})
    assert r.status_code == 401
    assert r.json()["error"] == "Unauthorized"
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401

    members.set_active(session=session, actor=org.org_a, member_id=m.id, active=True)
    session.commit()
    assert client.post("/api/v1/auth/token", json={"username": "0977000111", "password": PASSWORD}).status_code == 200


def test_cannot_deactivate_self_or_out_of_scope(session: Session, org: Org) -> None:
    with pytest.raises(Invalid):
        members.set_active(session=session, actor=org.org_a, member_id=org.org_a.id, active=False)
    with pytest.raises(NotFound):
        members.set_active(session=session, actor=org.org_a, member_id=org.org_b.id, active=False)
    session.rollback()
    session.expire_all()
    assert session.get(Member, org.org_b.id).active is True


def test_reset_password_forces_change(session: Session, org: Org) -> None:
    m = make_member(session, org.a1)
    version = m.token_version
    members.reset_password(session=session, actor=org.org_a, member_id=m.id, new_password="MoiDatLai#9")
    session.commit()
    session.expire_all()
    row = session.get(Member, m.id)
    assert row.must_change_password is True
    assert row.token_version == version + 1
    assert verify_password("MoiDatLai#9", row.password_hash)[0]
    assert not verify_password(PASSWORD, row.password_hash)[0]
    with pytest.raises(Invalid) as ei:
        members.reset_password(session=session, actor=org.org_a, member_id=m.id, new_password="ngan")
    assert ei.value.field == "password"
    with pytest.raises(NotFound):
        members.reset_password(session=session, actor=org.org_a, member_id=org.org_b.id, new_password="MoiDatLai#9")


def test_invisible_characters_never_enter_a_name(session: Session, org: Org) -> None:
    """The probe stored names with U+202E (right-to-left override) and zero-width characters: they display
    reversed or hide a duplicate ("Nguyễn\\u200bThị" is not "Nguyễn Thị" to a comparison)."""
    m = create(session, org.org_a, full_name="Nguyễn\u200b Thị\u202e Đào\ufeff\u0001", phone="0912000001", member_code="HV-INV")
    assert session.get(Member, m.id).full_name == "Nguyễn Thị Đào"


def test_a_code_may_not_be_another_accounts_phone(session: Session, org: Org) -> None:
    """A login by "0912345678" would not know which account is meant."""
    create(session, org.org_a, phone="0912345678", member_code="HV-001")
    with pytest.raises(Conflict) as ei:
        create(session, org.org_a, phone="0912999999", member_code="0912345678")
    assert ei.value.extra["field"] == "member_code"
    session.rollback()
    create(session, org.org_a, phone="0912888888", member_code="0912888888")  # its own phone: one account
    with pytest.raises(Conflict):
        create(session, org.org_a, phone="0912777777", member_code="0912888888")


def test_an_organiser_probing_phones_outside_their_scope_is_counted_then_stopped(session, org, monkeypatch):
    """Phones are unique system-wide, so a refusal tells that a phone exists in another union: each such
    match is counted and audited even though its request fails, and past the hourly limit every add or
    change by that organiser waits (matching or not, so the refusal itself tells nothing)."""
    from app.config import get_settings
    from app.errors import TooManyRequests
    from app.models import LoginThrottle

    monkeypatch.setattr(get_settings(), "foreign_matches_per_hour", 2)
    for i in range(3):
        make_member(session, org.b1, phone=f"091700000{i}")
    inside = make_member(session, org.a1, phone="0917000009")
    session.commit()
    with pytest.raises(Conflict):  # inside their own scope: an ordinary duplicate, not counted
        members.create(session=session, actor=org.org_a, data=data(phone=inside.phone), secret=TEST_SECRET)
    session.rollback()
    assert session.get(LoginThrottle, f"foreign:m{org.org_a.id}") is None
    for i in range(2):
        with pytest.raises(Conflict):
            members.create(session=session, actor=org.org_a, data=data(phone=f"091700000{i}", member_code=f"P{i}"), secret=TEST_SECRET)
        session.rollback()  # as the request would: the count was committed on its own
    assert session.get(LoginThrottle, f"foreign:m{org.org_a.id}").failures == 2
    probes = session.exec(select(AuditEntry).where(AuditEntry.action == "member.foreign_match")).all()
    assert len(probes) == 2 and all(p.actor_id == org.org_a.id for p in probes)
    from app.services.kit.audit_text import say

    assert "ngoài phạm vi" in say(probes[0], "Tổ Chức A", "vi").sentence
    for phone in ("0917000002", "0917999999"):  # a third match waits, and so does a fresh phone
        with pytest.raises(TooManyRequests) as info:
            members.create(session=session, actor=org.org_a, data=data(phone=phone, member_code="NEW"), secret=TEST_SECRET)
        assert int(info.value.headers["Retry-After"]) > 0
    members.create(
        session=session, actor=org.org_b, data=data(phone="0917999999", member_code="NEW", unit_code="CB-B1"), secret=TEST_SECRET
    )
