from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Member, MemberRole, Unit
from tests.factories import api_token, bearer, make_member, make_unit

UNIT_KEYS = {"id", "code", "name", "kind", "parent_id", "headcount"}


@dataclass(frozen=True)
class Org:
    root: Unit
    a: Unit
    a1: Unit
    b: Unit
    b1: Unit
    admin: dict[str, str]
    org_a: dict[str, str]
    org_b: dict[str, str]
    plain: dict[str, str]


@pytest.fixture
def org(client: TestClient, session: Session) -> Org:
    root = make_unit(session, "ROOT", kind="Đảng bộ", headcount=9)
    a = make_unit(session, "DB-A", parent=root, kind="Đảng bộ cơ sở")
    a1 = make_unit(session, "CB-A1", parent=a)
    b = make_unit(session, "DB-B", parent=root)
    b1 = make_unit(session, "CB-B1", parent=b)
    make_member(session, root, phone="0900000001", roles=(("admin", root),))
    make_member(session, a, phone="0900000002", roles=(("organiser", a),))
    make_member(session, b, phone="0900000003", roles=(("organiser", b),))
    make_member(session, a1, phone="0900000004")
    return Org(
        root,
        a,
        a1,
        b,
        b1,
        bearer(api_token(client, "0900000001")),
        bearer(api_token(client, "0900000002")),
        bearer(api_token(client, "0900000003")),
        bearer(api_token(client, "0900000004")),
    )


def unit_codes(session: Session) -> set[str]:
    session.rollback()  # a fresh snapshot: on SQLite an open read transaction would not see the app's writes
    return set(session.exec(select(Unit.code)).all())


def member_count(session: Session) -> int:
    session.rollback()
    return len(session.exec(select(Member.id)).all())


def assert_error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# --- GET /units -----------------------------------------------------------------------------------


def test_any_member_lists_every_unit(client: TestClient, org: Org) -> None:
    r = client.get("/api/v1/units", headers=org.plain)
    assert r.status_code == 200, r.text
    rows = r.json()
    assert {u["code"] for u in rows} == {"ROOT", "DB-A", "CB-A1", "DB-B", "CB-B1"}
    for row in rows:
        assert set(row) == UNIT_KEYS
    by_code = {u["code"]: u for u in rows}
    assert by_code["ROOT"] == {
        "id": org.root.id,
        "code": "ROOT",
        "name": org.root.name,
        "kind": "Đảng bộ",
        "parent_id": None,
        "headcount": 9,
    }
    assert by_code["CB-B1"]["parent_id"] == org.b.id


def test_units_need_a_token(client: TestClient, org: Org) -> None:
    assert_error(client.get("/api/v1/units"), 401, "Unauthorized")
    assert_error(client.get("/api/v1/units", headers=bearer("not-a-token")), 401, "Unauthorized")
    assert_error(client.post("/api/v1/units", json={"code": "X", "name": "X", "parent_code": "DB-A"}), 401, "Unauthorized")


# --- POST /units ----------------------------------------------------------------------------------


def test_organiser_creates_unit(client: TestClient, session: Session, org: Org) -> None:
    r = client.post(
        "/api/v1/units",
        headers=org.org_a,
        json={"code": "cb-a2", "name": "Chi bộ A2", "kind": "Chi bộ", "parent_code": "DB-A", "headcount": 17},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == UNIT_KEYS
    assert body["code"] == "CB-A2"
    assert (body["name"], body["kind"], body["parent_id"], body["headcount"]) == ("Chi bộ A2", "Chi bộ", org.a.id, 17)
    session.rollback()
    row = session.get(Unit, body["id"])
    assert row.path == f"/{org.root.id}/{org.a.id}/{row.id}/"
    listed = client.get("/api/v1/units", headers=org.plain).json()
    assert any(u["id"] == body["id"] for u in listed)


def test_plain_member_cannot_create_unit(client: TestClient, session: Session, org: Org) -> None:
    r = client.post("/api/v1/units", headers=org.plain, json={"code": "CB-X", "name": "X", "parent_code": "CB-A1"})
    assert_error(r, 403, "Forbidden")
    assert "CB-X" not in unit_codes(session)


def test_organiser_cannot_create_outside_subtree_or_top_level(client: TestClient, session: Session, org: Org) -> None:
    assert_error(
        client.post("/api/v1/units", headers=org.org_a, json={"code": "CB-X", "name": "X", "parent_code": "DB-B"}), 403, "Forbidden"
    )
    assert_error(client.post("/api/v1/units", headers=org.org_a, json={"code": "TOP", "name": "X"}), 403, "Forbidden")
    assert unit_codes(session) == {"ROOT", "DB-A", "CB-A1", "DB-B", "CB-B1"}
    r = client.post("/api/v1/units", headers=org.admin, json={"code": "TOP", "name": "Hội khác"})
    assert r.status_code == 201 and r.json()["parent_id"] is None


def test_duplicate_unit_code_is_409(client: TestClient, org: Org) -> None:
    r = client.post("/api/v1/units", headers=org.org_a, json={"code": "cb-b1", "name": "X", "parent_code": "DB-A"})
    assert_error(r, 409, "Conflict")


def test_unknown_parent_is_404(client: TestClient, org: Org) -> None:
    r = client.post("/api/v1/units", headers=org.admin, json={"code": "CB-Z", "name": "Z", "parent_code": "NOPE"})
    assert_error(r, 404, "NotFound")


@pytest.mark.parametrize(
    "body",
    [
        {"code": "CB-X", "name": "X", "parent_code": "DB-A", "headcount": "nhiều"},
        {"code": 123, "name": "X", "parent_code": "DB-A"},
        {"code": "CB-X", "parent_code": "DB-A"},
        {"code": "CB-X", "name": None, "parent_code": "DB-A"},
        {"code": "CB-X", "name": "X", "parent_code": ["DB-A"]},
        {"code": "CB-X", "name": "X", "parent_code": "DB-A", "headcount": 1.5},
        ["CB-X", "X"],
    ],
)
def test_malformed_unit_body_is_422(client: TestClient, session: Session, org: Org, body: object) -> None:
    r = client.post("/api/v1/units", headers=org.org_a, json=body)
    assert_error(r, 422, "ValidationError")
    assert "CB-X" not in unit_codes(session)


def test_unparseable_json_is_422(client: TestClient, org: Org) -> None:
    r = client.post("/api/v1/units", headers={**org.org_a, "content-type": "application/json"}, content=b"{code:")
    assert_error(r, 422, "ValidationError")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "mã sai", "name": "X", "parent_code": "DB-A"}, "code"),
        ({"code": "CB-X", "name": "  ", "parent_code": "DB-A"}, "name"),
        ({"code": "CB-X", "name": "X" * 201, "parent_code": "DB-A"}, "name"),
        ({"code": "CB-X", "name": "X", "kind": "K" * 65, "parent_code": "DB-A"}, "kind"),
        ({"code": "CB-X", "name": "X", "parent_code": "DB-A", "headcount": -1}, "headcount"),
        ({"code": "CB-X", "name": "X", "parent_code": "DB-A", "headcount": 2**31}, "headcount"),
        ({"code": "CB-X", "name": "X", "parent_code": "DB-A", "headcount": 10**30}, "headcount"),
    ],
)
def test_invalid_unit_fields_are_422_with_field(client: TestClient, session: Session, org: Org, body: dict, field: str) -> None:
    r = client.post("/api/v1/units", headers=org.org_a, json=body)
    assert assert_error(r, 422, "ValidationError")["field"] == field
    assert unit_codes(session) == {"ROOT", "DB-A", "CB-A1", "DB-B", "CB-B1"}


# --- POST /members --------------------------------------------------------------------------------


def member_body(**kw: object) -> dict:
    body: dict[str, object] = {
        "full_name": "Nguyễn Thị Đào",
        "phone": "+84 912 345 678",
        "member_code": "hv-001",
        "birth_date": "1990-05-17",
        "unit_code": "CB-A1",
        "password": "MatKhauMoi#1",
        "roles": [],
    }
    body.update(kw)
    return body


def test_organiser_creates_member_with_roles(client: TestClient, session: Session, org: Org) -> None:
    r = client.post(
        "/api/v1/members",
        headers=org.org_a,
        json=member_body(
            id_number="001203012345", roles=[{"role": "organiser", "unit_code": "CB-A1"}, {"role": "judge", "unit_code": "DB-A"}]
        ),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["full_name"] == "Nguyễn Thị Đào"
    assert body["phone"] == "0912345678"
    assert body["member_code"] == "HV-001"
    assert body["birth_date"] == "1990-05-17"
    assert body["active"] is True
    assert body["unit"] == {"id": org.a1.id, "code": "CB-A1", "name": org.a1.name}
    assert body["id_number_masked"] == "********2345"
    assert "001203012345" not in r.text
    assert {"role": "member", "unit_code": "CB-A1"} in body["roles"]
    assert {"role": "organiser", "unit_code": "CB-A1"} in body["roles"]
    assert {"role": "judge", "unit_code": "DB-A"} in body["roles"]
    assert len(body["roles"]) == 3
    # the new member logs in with the given password and sees the same roles
    token = api_token(client, "0912345678", "MatKhauMoi#1")
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert me["id"] == body["id"]
    assert sorted(me["roles"], key=str) == sorted(body["roles"], key=str)


def test_member_without_roles_has_member_role(client: TestClient, org: Org) -> None:
    r = client.post(
        "/api/v1/members",
        headers=org.org_a,
        json={"full_name": "Trần Văn An", "phone": "0987654321", "member_code": "HV-002", "unit_code": "CB-A1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["roles"] == [{"role": "member", "unit_code": "CB-A1"}]
    assert r.json()["birth_date"] is None


def test_repeated_role_is_granted_once(client: TestClient, session: Session, org: Org) -> None:
    r = client.post(
        "/api/v1/members",
        headers=org.org_a,
        json=member_body(roles=[{"role": "judge", "unit_code": "CB-A1"}, {"role": "JUDGE", "unit_code": "cb-a1"}]),
    )
    assert r.status_code == 201, r.text
    assert r.json()["roles"] == [{"role": "member", "unit_code": "CB-A1"}, {"role": "judge", "unit_code": "CB-A1"}]
    session.rollback()
    assert len(session.exec(select(MemberRole.id).where(MemberRole.member_id == r.json()["id"])).all()) == 1


def test_organiser_cannot_create_member_in_other_subtree(client: TestClient, session: Session, org: Org) -> None:
    before = member_count(session)
    assert_error(client.post("/api/v1/members", headers=org.org_a, json=member_body(unit_code="CB-B1")), 403, "Forbidden")
    assert member_count(session) == before


@pytest.mark.parametrize(
    "roles",
    [
        [{"role": "organiser", "unit_code": "DB-B"}],
        [{"role": "judge", "unit_code": "ROOT"}],
        [{"role": "admin", "unit_code": "CB-A1"}],
        [{"role": "judge", "unit_code": "CB-A1"}, {"role": "organiser", "unit_code": "CB-B1"}],
    ],
)
def test_organiser_cannot_grant_roles_outside_scope_or_admin(client: TestClient, session: Session, org: Org, roles: list) -> None:
    before = member_count(session)
    grants = len(session.exec(select(MemberRole.id)).all())
    session.rollback()
    assert_error(client.post("/api/v1/members", headers=org.org_a, json=member_body(roles=roles)), 403, "Forbidden")
    # nothing at all was written: neither the member nor the grants that were allowed
    assert member_count(session) == before
    assert len(session.exec(select(MemberRole.id)).all()) == grants
    session.rollback()


def test_plain_member_cannot_create_members(client: TestClient, session: Session, org: Org) -> None:
    before = member_count(session)
    assert_error(client.post("/api/v1/members", headers=org.plain, json=member_body()), 403, "Forbidden")
    assert_error(client.post("/api/v1/members", json=member_body()), 401, "Unauthorized")
    assert member_count(session) == before


def test_duplicate_member_is_409_with_field(client: TestClient, org: Org) -> None:
    assert client.post("/api/v1/members", headers=org.org_a, json=member_body()).status_code == 201
    body = assert_error(
        client.post("/api/v1/members", headers=org.org_b, json=member_body(member_code="HV-009", unit_code="CB-B1", phone="0912345678")),
        409,
        "Conflict",
    )
    assert body["field"] == "phone"
    body = assert_error(
        client.post("/api/v1/members", headers=org.org_a, json=member_body(phone="0987000000", member_code="HV-001")), 409, "Conflict"
    )
    assert body["field"] == "member_code"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"full_name": ""}, "full_name"),
        ({"member_code": "HV 1"}, "member_code"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"id_number": "123"}, "id_number"),
        ({"password": "ngan"}, "password"),
    ],
)
def test_invalid_member_fields_are_422(client: TestClient, session: Session, org: Org, kw: dict, field: str) -> None:
    before = member_count(session)
    body = assert_error(client.post("/api/v1/members", headers=org.org_a, json=member_body(**kw)), 422, "ValidationError")
    assert body["field"] == field
    assert member_count(session) == before


@pytest.mark.parametrize(
    "kw",
    [
        {"birth_date": "17/05/1990"},
        {"roles": "organiser"},
        {"roles": [{"role": "judge"}]},
        {"unit_code": None},
        {"phone": 912345678},
    ],
)
def test_malformed_member_body_is_422(client: TestClient, session: Session, org: Org, kw: dict) -> None:
    before = member_count(session)
    assert_error(client.post("/api/v1/members", headers=org.org_a, json=member_body(**kw)), 422, "ValidationError")
    assert member_count(session) == before


def test_unknown_unit_is_404(client: TestClient, org: Org) -> None:
    assert_error(client.post("/api/v1/members", headers=org.org_a, json=member_body(unit_code="NOPE")), 404, "NotFound")


def test_me_takes_a_direct_route(client: TestClient, org: Org, fastapi_solved: list[str]) -> None:
    """GET /me is answered by a plain route without FastAPI's dependency solving (routers.base.direct), with the
    JSON FastAPI would make of MemberPublic; what else comes to /me is answered as FastAPI answers it."""
    solved = fastapi_solved
    r = client.get("/api/v1/me", headers=org.org_a)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json" and solved == []
    assert set(r.json()) == {"id", "full_name", "phone", "member_code", "birth_date", "id_number_masked", "active", "unit", "roles"}
    assert client.get("/api/v1/me").status_code == 401
    assert client.head("/api/v1/me", headers=org.org_a).status_code == 405
    assert client.post("/api/v1/me", headers=org.org_a).status_code == 405
