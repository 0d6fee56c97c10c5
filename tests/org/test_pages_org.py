from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Member, MemberRole, Unit
from app.security import verify_password
from tests.factories import PASSWORD, Tree, api_token, make_member, make_tree

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HTMX = {"HX-Request": "true", "HX-Target": "member-results"}


class Browser:
    """A TestClient logged in through the real /login form, remembering the page's CSRF token."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def get(self, url: str, **kw: object):
        return self.client.get(url, follow_redirects=False, **kw)

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kw: object):
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf
        return self.client.post(url, data=form, follow_redirects=False, **kw)


def csrf_from(page_html: str) -> str:
    match = _CSRF.search(page_html)
    assert match, "no csrf_token field in the page"
    return html.unescape(match.group(1))


def login(client: TestClient, username: str, password: str = PASSWORD) -> Browser:
    page = client.get("/login")
    assert page.status_code == 200
    csrf = csrf_from(page.text)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert client.cookies.get("hoithi_token")
    # the login page's token was bound to no session; pages after login carry one bound to this one
    return Browser(client, csrf_from(client.get("/").text))


@pytest.fixture
def login_as(app, engine) -> Iterator[Callable[[str], Browser]]:
    """login_as(username) -> a fresh client (own cookies) logged in as that member."""
    clients: list[TestClient] = []

    def open_as(username: str, password: str = PASSWORD) -> Browser:
        c = TestClient(app, base_url="http://testserver")
        clients.append(c)
        return login(c, username, password)

    yield open_as
    for c in clients:
        c.close()


@dataclass(frozen=True)
class Org(Tree):
    org_a: Member
    org_b: Member
    admin: Member
    in_a: Member
    in_b: Member


@pytest.fixture
def org(session: Session) -> Org:
    t = make_tree(
        session,
        codes=("DB-ALPHA", "CB-ALPHA1", "CB-ALPHA2", "DB-BETA", "CB-BETA1"),
        names=("Đảng bộ phường Alpha", "Chi bộ khu phố Alpha 1", "Chi bộ khu phố Alpha 2", "Đảng bộ xã Beta", "Chi bộ ấp Beta 1"),
    )
    root, a, a1, a2, b, b1 = t.root, t.a, t.a1, t.a2, t.b, t.b1
    admin = make_member(session, root, full_name="Quản Trị Viên", phone="0900000001", roles=(("admin", root),))
    org_a = make_member(session, a, full_name="Tổ Chức Alpha", phone="0900000002", roles=(("organiser", a),))
    org_b = make_member(session, b, full_name="Tổ Chức Beta", phone="0900000003", roles=(("organiser", b),))
    in_a = make_member(session, a1, full_name="Nguyễn Thị Đào", phone="0911111111", member_code="HV-A1")
    in_b = make_member(session, b1, full_name="Trần Văn Bê", phone="0922222222", member_code="HV-B1")
    return Org(root, a, a1, a2, b, b1, org_a, org_b, admin, in_a, in_b)


def fresh(session: Session, model: type, ident: int):
    """The row as the database has it now (a new transaction: SQLite snapshots are per transaction)."""
    session.rollback()
    session.expire_all()  # rollback() outside a transaction expires nothing
    return session.get(model, ident)


def unit_codes(session: Session) -> set[str]:
    session.rollback()
    return set(session.exec(select(Unit.code)).all())


def member_ids(session: Session) -> set[int]:
    session.rollback()
    return set(session.exec(select(Member.id)).all())


# --- login helper and access --------------------------------------------------------------------


def test_login_form_sets_cookie_and_pages_need_it(client: TestClient, org: Org) -> None:
    r = client.get("/org/units", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    b = login(client, "0900000002")
    assert b.get("/org/units").status_code == 200


def test_login_form_without_csrf_is_refused(client: TestClient, org: Org) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "0900000002", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    assert not client.cookies.get("hoithi_token")


def test_plain_member_gets_403_on_org_pages(login_as, org: Org) -> None:
    b = login_as("0911111111")
    for url in ("/org/units", "/org/members", f"/org/units/{org.a1.id}", f"/org/members/{org.in_a.id}"):
        r = b.get(url)
        assert r.status_code == 403, url
        assert "Không có quyền" in r.text
    r = b.post("/org/units", {"code": "CB-X", "name": "X", "parent_code": "CB-ALPHA1"})
    assert r.status_code == 403


# --- unit tree --------------------------------------------------------------------------------


def test_unit_tree_lists_only_units_in_scope(login_as, org: Org) -> None:
    r = login_as("0900000002").get("/org/units")
    assert r.status_code == 200
    for code in ("DB-ALPHA", "CB-ALPHA1", "CB-ALPHA2"):
        assert f'id="u-{code}"' in r.text
        assert f'value="{code}"' in r.text  # offered as a parent
    for code in ("ROOT", "DB-BETA", "CB-BETA1"):
        assert code not in r.text
    assert "Beta" not in r.text
    # an organiser is not offered a top-level unit
    assert 'option value=""' not in r.text
    admin = login_as("0900000001").get("/org/units")
    assert all(f'id="u-{c}"' in admin.text for c in ("ROOT", "DB-ALPHA", "CB-BETA1"))
    assert 'option value=""' in admin.text


def test_create_unit_through_the_form(login_as, session: Session, org: Org) -> None:
    b = login_as("0900000002")
    r = b.post("/org/units", {"parent_code": "CB-ALPHA1", "code": "to-1", "name": "Tổ 1", "kind": "Tổ đảng", "headcount": "12"})
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/org/units?created=TO-1")
    session.rollback()
    unit = session.exec(select(Unit).where(Unit.code == "TO-1")).one()
    assert (unit.name, unit.kind, unit.headcount, unit.parent_id, unit.depth) == ("Tổ 1", "Tổ đảng", 12, org.a1.id, 3)
    page = b.get(r.headers["location"])
    assert "Đã thêm đơn vị TO-1" in page.text
    assert 'id="u-TO-1"' in page.text


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"parent_code": "DB-ALPHA", "code": "mã sai", "name": "Chi bộ mới"}, 422, "Mã đơn vị chỉ gồm chữ không dấu"),
        ({"parent_code": "DB-ALPHA", "code": "CB-NEW", "name": "  "}, 422, "Tên đơn vị không được để trống"),
        ({"parent_code": "DB-ALPHA", "code": "CB-NEW", "name": "Chi bộ mới", "headcount": "-3"}, 422, "không được âm"),
        ({"parent_code": "DB-ALPHA", "code": "cb-beta1", "name": "Chi bộ mới"}, 409, "Mã đơn vị CB-BETA1 đã có"),
        ({"parent_code": "DB-BETA", "code": "CB-NEW", "name": "Chi bộ mới"}, 403, "nằm ngoài phạm vi"),
        ({"parent_code": "", "code": "CB-NEW", "name": "Chi bộ mới"}, 403, "Chỉ quản trị viên"),
    ],
)
def test_bad_unit_form_rerenders_with_vietnamese_error(login_as, session: Session, org: Org, form: dict, status: int, message: str) -> None:
    before = unit_codes(session)
    r = login_as("0900000002").post("/org/units", form)
    assert r.status_code == status, r.text
    assert message in r.text
    assert 'role="alert"' in r.text
    assert '<form method="post" action="/org/units#add">' in r.text  # the form again, not an error page
    assert f'value="{html.escape(form["name"])}"' in r.text  # with what was typed
    assert unit_codes(session) == before


def test_unit_form_with_non_numeric_headcount_is_not_a_500(login_as, session: Session, org: Org) -> None:
    before = unit_codes(session)
    r = login_as("0900000002").post("/org/units", {"parent_code": "DB-ALPHA", "code": "CB-NEW", "name": "X", "headcount": "nhiều"})
    assert r.status_code == 422
    assert unit_codes(session) == before


def test_field_error_is_shown_beside_the_field(login_as, org: Org) -> None:
    r = login_as("0900000002").post("/org/units", {"parent_code": "DB-ALPHA", "code": "mã sai", "name": "X"})
    assert 'id="f-code"' in r.text
    assert re.search(r'id="f-code"[^>]*aria-invalid="true"', r.text)
    assert 'id="e-code"' in r.text


def test_edit_and_move_unit_through_the_forms(login_as, session: Session, org: Org) -> None:
    b = login_as("0900000001")
    assert b.get(f"/org/units/{org.a1.id}").status_code == 200
    r = b.post(f"/org/units/{org.a1.id}", {"name": "Chi bộ Alpha Một", "kind": "Chi bộ", "headcount": "33"})
    assert r.status_code == 303 and r.headers["location"] == f"/org/units/{org.a1.id}?saved=1"
    unit = fresh(session, Unit, org.a1.id)
    assert (unit.name, unit.headcount) == ("Chi bộ Alpha Một", 33)
    r = b.post(f"/org/units/{org.a1.id}/move", {"parent_code": "CB-BETA1"})
    assert r.status_code == 303
    unit = fresh(session, Unit, org.a1.id)
    assert unit.path == f"/{org.root.id}/{org.b.id}/{org.b1.id}/{org.a1.id}/" and unit.depth == 3
    # under itself: the edit page again, with the error
    r = b.post(f"/org/units/{org.b.id}/move", {"parent_code": "CB-ALPHA1"})
    assert r.status_code == 422
    assert "Không thể chuyển đơn vị vào chính nó" in r.text
    assert fresh(session, Unit, org.b.id).parent_id == org.root.id


def test_unit_edit_page_offers_no_move_into_own_subtree(login_as, org: Org) -> None:
    r = login_as("0900000001").get(f"/org/units/{org.a.id}")
    move_form = r.text.split('action="/org/units/%d/move"' % org.a.id)[1]
    assert 'value="CB-BETA1"' in move_form
    assert 'value="CB-ALPHA1"' not in move_form and 'value="DB-ALPHA"' not in move_form


def test_bad_unit_edit_rerenders(login_as, session: Session, org: Org) -> None:
    r = login_as("0900000002").post(f"/org/units/{org.a1.id}", {"name": "", "kind": "", "headcount": "5"})
    assert r.status_code == 422
    assert "Tên đơn vị không được để trống" in r.text
    assert fresh(session, Unit, org.a1.id).name == "Chi bộ khu phố Alpha 1"


# --- out of scope --------------------------------------------------------------------------------


def test_organiser_cannot_see_or_change_a_member_of_another_subtree(login_as, session: Session, org: Org) -> None:
    b = login_as("0900000002")
    mid = org.in_b.id
    before = fresh(session, Member, mid)
    snapshot = (before.full_name, before.phone, before.active, before.password_hash, before.token_version)
    r = b.get(f"/org/members/{mid}")
    assert r.status_code in (403, 404)
    assert "Trần Văn Bê" not in r.text and "0922222222" not in r.text
    posts = [
        (f"/org/members/{mid}", {"full_name": "Bị Đổi Tên", "phone": "0922222222", "member_code": "HV-B1", "unit_code": "CB-ALPHA1"}),
        (f"/org/members/{mid}/active", {"active": "0"}),
        (f"/org/members/{mid}/password", {"new_password": "DatLaiMatKhau#1"}),
        (f"/org/members/{mid}/roles", {"role": "organiser", "unit_code": "CB-ALPHA1"}),
    ]
    for url, form in posts:
        r = b.post(url, form)
        assert r.status_code in (403, 404), url
        assert "Trần Văn Bê" not in r.text and "0922222222" not in r.text
    after = fresh(session, Member, mid)
    assert (after.full_name, after.phone, after.active, after.password_hash, after.token_version) == snapshot
    assert session.exec(select(MemberRole).where(MemberRole.member_id == mid)).all() == []


def test_organiser_cannot_see_or_change_a_unit_of_another_subtree(login_as, session: Session, org: Org) -> None:
    b = login_as("0900000002")
    for url in (f"/org/units/{org.b1.id}", f"/org/members?unit={org.b1.id}"):
        r = b.get(url)
        assert r.status_code in (403, 404), url
        assert "Beta 1" not in r.text
    r = b.post(f"/org/units/{org.b1.id}", {"name": "Bị đổi", "kind": "", "headcount": "1"})
    assert r.status_code in (403, 404)
    r = b.post(f"/org/units/{org.b1.id}/move", {"parent_code": "DB-ALPHA"})
    assert r.status_code in (403, 404)
    r = b.post(f"/org/units/{org.a1.id}/move", {"parent_code": "DB-BETA"})
    assert r.status_code in (403, 404)
    b1, a1 = fresh(session, Unit, org.b1.id), session.get(Unit, org.a1.id)
    assert (b1.name, b1.headcount, b1.parent_id) == ("Chi bộ ấp Beta 1", 10, org.b.id)
    assert a1.parent_id == org.a.id
    assert b.get("/org/units/999999").status_code == 404


def test_member_detail_shows_duplicates_only_in_scope(login_as, session: Session, org: Org) -> None:
    born = date(1991, 2, 3)
    mine = make_member(session, org.a1, full_name="Lê Thị Hoa", birth_date=born, member_code="HOA-A")
    also_mine = make_member(session, org.a2, full_name="Le Thi Hoa", birth_date=born, member_code="HOA-A2")
    other = make_member(session, org.b1, full_name="Lê Thị Hoa", birth_date=born, member_code="HOA-B")
    r = login_as("0900000002").get(f"/org/members/{mine.id}")
    assert r.status_code == 200
    assert f'href="/org/members/{also_mine.id}"' in r.text
    assert f'href="/org/members/{other.id}"' not in r.text and "HOA-B" not in r.text
    admin = login_as("0900000001").get(f"/org/members/{mine.id}")
    assert f'href="/org/members/{other.id}"' in admin.text


# --- member list --------------------------------------------------------------------------------


def test_member_list_and_htmx_search(login_as, session: Session, org: Org) -> None:
    make_member(session, org.a2, full_name="Lê Văn Đạo", phone="0933333333")
    make_member(session, org.b1, full_name="Đỗ Thị Đào", phone="0944444444")
    b = login_as("0900000002")
    full = b.get("/org/members")
    assert full.status_code == 200
    assert "<html" in full.text and 'id="member-results"' in full.text
    assert "Nguyễn Thị Đào" in full.text and "Trần Văn Bê" not in full.text

    r = b.get("/org/members", params={"q": "dao"}, headers=HTMX)
    assert r.status_code == 200
    assert "<html" not in r.text and "<form" not in r.text and 'id="member-results"' not in r.text
    assert "Lê Văn Đạo" in r.text and "Nguyễn Thị Đào" in r.text
    assert r.text.index("Lê Văn Đạo") < r.text.index("Nguyễn Thị Đào")  # Vietnamese order
    assert "Đỗ Thị Đào" not in r.text  # subtree B
    assert "2 hội viên" in r.text

    r = b.get("/org/members", params={"q": "0933"}, headers=HTMX)
    assert "Lê Văn Đạo" in r.text and "Nguyễn Thị Đào" not in r.text
    r = b.get("/org/members", params={"q": "", "unit": str(org.a2.id)}, headers=HTMX)
    assert "Lê Văn Đạo" in r.text and "Nguyễn Thị Đào" not in r.text
    r = b.get("/org/members", params={"q": "", "unit": ""}, headers=HTMX)
    assert r.status_code == 200 and "Nguyễn Thị Đào" in r.text
    # another htmx target gets the whole page
    r = b.get("/org/members", params={"q": "dao"}, headers={"HX-Request": "true", "HX-Target": "main"})
    assert "<html" in r.text


def test_new_member_link_preselects_the_filtered_unit(login_as, org: Org) -> None:
    b = login_as("0900000002")
    r = b.get("/org/members", params={"unit": str(org.a2.id)})
    assert 'href="/org/members/new?unit=CB-ALPHA2"' in r.text
    form = b.get("/org/members/new?unit=CB-ALPHA2")
    assert re.search(r'<option value="CB-ALPHA2" selected>', form.text)


@pytest.mark.parametrize(
    "url",
    [
        "/org/members/3000000000",
        "/org/members/99999999999999999999",
        "/org/units/3000000000",
        "/org/units/99999999999999999999",
        "/org/members?unit=3000000000",
    ],
)
def test_ids_out_of_range_are_404_not_500(login_as, url: str, org: Org) -> None:
    assert login_as("0900000002").get(url).status_code == 404


@pytest.mark.parametrize("query", ["page=99999999999999999999", "page=-3", "unit=%C2%B2", "unit=abc", "q=%25_%25&page=2"])
def test_odd_member_list_queries_are_not_500(login_as, query: str, org: Org) -> None:
    r = login_as("0900000002").get(f"/org/members?{query}")
    assert r.status_code == 200
    assert "Tổ Chức Alpha" in r.text or "Không có hội viên nào khớp" in r.text


def test_organiser_cannot_reset_the_password_of_a_wider_account(login_as, session: Session, org: Org) -> None:
    boss = make_member(session, org.a1, full_name="Chủ Tịch", phone="0988888888", roles=(("admin", org.root),))
    b = login_as("0900000002")
    assert b.get(f"/org/members/{boss.id}").status_code == 200  # in the list of A's members, visible
    r = b.post(f"/org/members/{boss.id}/password", {"new_password": "ChiemQuyen#1"})
    assert r.status_code == 403
    assert "vượt ngoài phạm vi" in r.text
    r = b.post(f"/org/members/{boss.id}/active", {"active": "0"})
    assert r.status_code == 403
    row = fresh(session, Member, boss.id)
    assert verify_password(PASSWORD, row.password_hash)[0] and row.active


# --- CSRF ---------------------------------------------------------------------------------------


def test_cookie_post_without_csrf_is_refused_and_changes_nothing(login_as, session: Session, org: Org) -> None:
    b = login_as("0900000002")
    before = unit_codes(session)
    r = b.post("/org/units", {"parent_code": "DB-ALPHA", "code": "CB-CSRF", "name": "X"}, csrf=False)
    assert r.status_code == 403
    assert unit_codes(session) == before
    r = b.post(f"/org/members/{org.in_a.id}/active", {"active": "0"}, csrf=False)
    assert r.status_code == 403
    r = b.post(f"/org/members/{org.in_a.id}/active", {"active": "0", "csrf_token": "forged"}, csrf=False)
    assert r.status_code == 403
    assert fresh(session, Member, org.in_a.id).active is True
    # the same request with the token goes through; htmx sends it as a header
    r = b.post(f"/org/members/{org.in_a.id}/active", {"active": "0"}, csrf=False, headers={"X-CSRF-Token": b.csrf})
    assert r.status_code == 303
    assert fresh(session, Member, org.in_a.id).active is False


# --- members through the forms --------------------------------------------------------------


def test_create_deactivate_and_reset_member_through_the_forms(login_as, client: TestClient, session: Session, org: Org) -> None:
    b = login_as("0900000002")
    form = b.get("/org/members/new")
    assert form.status_code == 200 and 'name="full_name"' in form.text
    r = b.post(
        "/org/members",
        {
            "full_name": "Phạm Thị Mai",
            "phone": "+84 955 555 555",
            "member_code": "hv-mai",
            "birth_date": "1995-08-20",
            "unit_code": "CB-ALPHA2",
            "id_number": "079195001234",
            "password": "BanDau#2025",
            "role": "judge",
        },
    )
    assert r.status_code == 303, r.text
    match = re.fullmatch(r"/org/members/(\d+)\?done=created", r.headers["location"])
    assert match
    mid = int(match.group(1))
    m = fresh(session, Member, mid)
    assert (m.full_name, m.phone, m.member_code, m.birth_date, m.unit_id) == (
        "Phạm Thị Mai",
        "0955555555",
        "HV-MAI",
        date(1995, 8, 20),
        org.a2.id,
    )
    assert m.must_change_password is True
    assert [(g.role, g.unit_id) for g in session.exec(select(MemberRole).where(MemberRole.member_id == mid))] == [("judge", org.a2.id)]
    page = b.get(r.headers["location"])
    assert "Đã thêm hội viên." in page.text
    assert "********1234" in page.text and "079195001234" not in page.text

    # the member can log in (and is sent to choose a password first)
    version = m.token_version
    token = api_token(client, "0955555555", "BanDau#2025")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    r = b.post(f"/org/members/{mid}/active", {"active": "0"})
    assert r.status_code == 303 and r.headers["location"] == f"/org/members/{mid}?done=deactivated"
    m = fresh(session, Member, mid)
    assert m.active is False and m.token_version == version + 1
    assert "Đã khoá tài khoản." in b.get(r.headers["location"]).text
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "0955555555", "password": "BanDau#2025"})
    assert r.status_code == 401

    r = b.post(f"/org/members/{mid}/password", {"new_password": "ngan"})
    assert r.status_code == 422 and "ít nhất 8 ký tự" in r.text
    r = b.post(f"/org/members/{mid}/password", {"new_password": "MoiDatLai#2025"})
    assert r.status_code == 303 and r.headers["location"] == f"/org/members/{mid}?done=password"
    m = fresh(session, Member, mid)
    assert m.must_change_password is True
    assert verify_password("MoiDatLai#2025", m.password_hash)[0]

    r = b.post(f"/org/members/{mid}/active", {"active": "1"})
    assert r.status_code == 303
    assert fresh(session, Member, mid).active is True
    # logging in through the login page with the new password leads to the password page
    c = TestClient(b.client.app, base_url="http://testserver")
    csrf = csrf_from(c.get("/login").text)
    r = c.post("/login", data={"username": "HV-MAI", "password": "MoiDatLai#2025", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/password"
    c.close()


@pytest.mark.parametrize(
    ("form", "status", "field", "message"),
    [
        ({"phone": "12345"}, 422, "phone", "Số điện thoại 12345 không hợp lệ"),
        ({"full_name": ""}, 422, "full_name", "Thiếu họ và tên"),
        ({"birth_date": "2999-01-01"}, 422, "birth_date", "Ngày sinh 01/01/2999 không hợp lý"),
        ({"birth_date": "20/08/1995"}, 422, "birth_date", "không hợp lệ"),
        ({"id_number": "0791950012"}, 422, "id_number", "Số CCCD phải có 12 chữ số"),
        ({"phone": "0911 111 111"}, 409, "phone", "đã được dùng cho tài khoản khác"),
        ({"unit_code": "CB-BETA1"}, 403, None, "nằm ngoài phạm vi"),
    ],
)
def test_bad_member_form_rerenders_and_writes_nothing(
    login_as, session: Session, org: Org, form: dict, status: int, field: str | None, message: str
) -> None:
    before = member_ids(session)
    data = {
        "full_name": "Phạm Thị Mai",
        "phone": "0955555555",
        "member_code": "HV-MAI",
        "birth_date": "",
        "unit_code": "CB-ALPHA2",
        "password": "BanDau#2025",
        **form,
    }
    r = login_as("0900000002").post("/org/members", data)
    assert r.status_code == status, r.text
    assert message in r.text
    assert '<form method="post" action="/org/members">' in r.text
    if field:
        assert f'id="e-{field}"' in r.text
    assert f'value="{html.escape(data["full_name"])}"' in r.text
    assert member_ids(session) == before


def test_update_member_through_the_form(login_as, session: Session, org: Org) -> None:
    b = login_as("0900000002")
    mid = org.in_a.id
    r = b.post(
        f"/org/members/{mid}",
        {
            "full_name": "Nguyễn Thị Đào Hoa",
            "phone": "0911111111",
            "member_code": "HV-A1",
            "birth_date": "1990-01-01",
            "unit_code": "CB-ALPHA2",
        },
    )
    assert r.status_code == 303
    m = fresh(session, Member, mid)
    assert (m.full_name, m.unit_id, m.birth_date, m.name_folded) == (
        "Nguyễn Thị Đào Hoa",
        org.a2.id,
        date(1990, 1, 1),
        "nguyen thi dao hoa",
    )
    r = b.post(f"/org/members/{mid}", {"full_name": "Tên Mới", "phone": "0900000003", "member_code": "HV-A1", "unit_code": "CB-ALPHA2"})
    assert r.status_code == 409
    assert 'value="Tên Mới"' in r.text  # what was typed stays in the form
    assert fresh(session, Member, mid).full_name == "Nguyễn Thị Đào Hoa"


def test_grant_and_revoke_role_through_the_form(login_as, session: Session, org: Org) -> None:
    b = login_as("0900000002")
    mid = org.in_a.id
    r = b.post(f"/org/members/{mid}/roles", {"role": "organiser", "unit_code": "CB-ALPHA1"})
    assert r.status_code == 303
    session.rollback()
    grant = session.exec(select(MemberRole).where(MemberRole.member_id == mid)).one()
    assert (grant.role, grant.unit_id) == ("organiser", org.a1.id)
    assert b.post(f"/org/members/{mid}/roles", {"role": "admin", "unit_code": "CB-ALPHA1"}).status_code == 403
    assert b.post(f"/org/members/{mid}/roles", {"role": "judge", "unit_code": "CB-BETA1"}).status_code == 403
    r = b.post(f"/org/members/{mid}/roles/{grant.id}/delete")
    assert r.status_code == 303
    session.rollback()
    assert session.exec(select(MemberRole).where(MemberRole.member_id == mid)).all() == []
