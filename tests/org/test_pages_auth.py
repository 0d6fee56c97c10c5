"""Browser-side auth: the login form, the HttpOnly cookie, CSRF, forced password change, logout."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.models import Member
from tests.databases import TEST_SECRET
from tests.factories import PASSWORD, make_member, make_unit
from tests.pagehelpers import csrf_from, page_login


@pytest.fixture
def cell(session):
    root = make_unit(session, "ROOT", kind="Đảng bộ")
    return make_unit(session, "CB1", parent=root, name="Chi bộ Khu phố 1")


def test_login_page_is_vietnamese(client):
    r = client.get("/login")
    assert r.status_code == 200
    assert '<html lang="vi">' in r.text
    assert "Đăng nhập" in r.text and "Mật khẩu" in r.text


def test_login_sets_httponly_samesite_cookie_and_lands_home(client, session, cell):
    make_member(session, cell, full_name="Lê Văn Tám", phone="0911111111")
    r = page_login(client, "0911111111")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("hoithi_token=")][0].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200
    assert "Lê Văn Tám" in home.text and "Chi bộ Khu phố 1" in home.text


def test_cookie_is_secure_by_default(engine, settings, session, cell):
    make_member(session, cell, phone="0911111112")
    secure_app = create_app(Settings(database_url=settings.database_url, secret_key=TEST_SECRET, _env_file=None))
    with TestClient(secure_app, base_url="https://testserver") as c:
        r = page_login(c, "0911111112")
        cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("hoithi_token=")][0].lower()
        assert "secure" in cookie
    secure_app.state.engine.dispose()


def test_wrong_password_shows_message_in_place(client, session, cell):
    make_member(session, cell, phone="0911111113")
    r = page_login(client, "0911111113", "sai-roi-nhe")
    assert r.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in r.text
    assert 'value="0911111113"' in r.text  # what the person typed is kept


def test_login_without_csrf_is_403(client, session, cell):
    make_member(session, cell, phone="0911111114")
    client.get("/login")
    r = client.post("/login", data={"username": "0911111114", "password": PASSWORD})
    assert r.status_code == 403
    assert "hoithi_token" not in r.headers.get("set-cookie", "")


def test_cookie_write_without_csrf_is_403_and_changes_nothing(client, session, cell):
    m = make_member(session, cell, phone="0911111115")
    page_login(client, "0911111115")
    r = client.post("/password", data={"current_password": PASSWORD, "new_password": "MatKhauMoi#1", "confirm_password": "MatKhauMoi#1"})
    assert r.status_code == 403
    # a token from another seed (another browser) does not fit this cookie either
    r = client.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": "MatKhauMoi#1", "confirm_password": "MatKhauMoi#1", "csrf_token": "x" * 64},
    )
    assert r.status_code == 403
    session.expire_all()
    assert session.get(Member, m.id).token_version == m.token_version
    assert client.get("/").status_code == 200  # still logged in with the old password


def test_forced_password_change_on_first_login(client, session, cell):
    make_member(session, cell, phone="0911111116", must_change_password=True)
    r = page_login(client, "0911111116")
    assert r.status_code == 303 and r.headers["location"] == "/password"
    # every other page sends them back to the password page
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/password"
    page = client.get("/password")
    assert "lần đăng nhập đầu tiên" in page.text
    token = csrf_from(page.text)
    bad = client.post(
        "/password", data={"current_password": PASSWORD, "new_password": "ngan", "confirm_password": "ngan", "csrf_token": token}
    )
    assert bad.status_code == 422 and "ít nhất 8 ký tự" in bad.text
    ok = client.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": "MatKhauRieng#9", "confirm_password": "MatKhauRieng#9", "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    home = client.get(ok.headers["location"])
    assert home.status_code == 200 and "Đã đổi mật khẩu" in home.text
    r = client.post("/api/v1/auth/token", json={"username": "0911111116", "password": "MatKhauRieng#9"})
    assert r.status_code == 200


def test_logout_revokes_the_token(client, session, cell):
    make_member(session, cell, phone="0911111117")
    page_login(client, "0911111117")
    stolen = client.cookies.get("hoithi_token")
    token = csrf_from(client.get("/").text)
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {stolen}"})
    assert r.status_code == 401


def test_pages_redirect_to_login_when_logged_out(client):
    r = client.get("/org/members", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/org/members")


def test_open_redirect_is_refused(client, session, cell):
    make_member(session, cell, phone="0911111118")
    token = csrf_from(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": "0911111118", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/phish"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_english_catalogue(client, session, cell):
    client.cookies.set("lang", "en")
    r = client.get("/login")
    assert '<html lang="en">' in r.text
    assert "Log in" in r.text


def test_a_csrf_token_is_bound_to_its_session(app, client, session, cell):
    """The probe took a token pair from an anonymous /login and it passed with a victim's cookie. A page's
    token is now bound to the login cookie it was made under."""
    make_member(session, cell, phone="0911111120")
    with TestClient(app) as attacker:
        stolen = csrf_from(attacker.get("/login").text)
        seed = attacker.cookies.get("hoithi_csrf")
    assert page_login(client, "0911111120").status_code == 303
    client.cookies.set("hoithi_csrf", seed)  # the attacker's seed planted, with the token made for it
    r = client.post("/logout", data={"csrf_token": stolen}, follow_redirects=False)
    assert r.status_code == 403
    own = csrf_from(client.get("/").text)  # the same seed, a page made under the victim's own login
    assert client.post("/logout", data={"csrf_token": own}, follow_redirects=False).status_code == 303


def test_the_csrf_cookie_has_the_host_prefix_when_secure(engine, settings, session, cell):
    secure_app = create_app(Settings(database_url=settings.database_url, secret_key=TEST_SECRET, _env_file=None))
    with TestClient(secure_app, base_url="https://testserver") as c:
        r = c.get("/login")
        cookie = [h for h in r.headers.get_list("set-cookie") if "csrf" in h][0]
        assert cookie.startswith("__Host-hoithi_csrf=") and "Secure" in cookie and "Path=/" in cookie
        assert "Domain" not in cookie
        make_member(session, cell, phone="0911111121")
        assert page_login(c, "0911111121").status_code == 303  # and the form works with it
    secure_app.state.engine.dispose()
