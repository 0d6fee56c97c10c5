"""A member logs in on a phone, is made to choose a password, and lands on the home page."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models import Member
from tests.factories import PASSWORD, make_member, make_unit
from tests.fixtures.browser import no_horizontal_scroll

pytestmark = pytest.mark.e2e


def test_member_first_login_forced_password_change(page, engine, shot):
    with Session(engine) as s:
        root = make_unit(s, "TDM", name="Đảng bộ TP. Thủ Dầu Một", kind="Đảng bộ")
        cell = make_unit(s, "PC01-KP1", parent=root, name="Chi bộ Khu phố 1, phường Phú Cường")
        m = make_member(s, cell, full_name="Nguyễn Thị Hồng Nhung", phone="0987654321", must_change_password=True)
        member_id = m.id

    page.goto("/")
    assert page.url.endswith("/login?next=/")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    shot(page, "1-login")
    page.fill("#username", "0987654321")
    page.fill("#password", "sai-mat-khau")
    page.click("main button[type=submit]")
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.locator(".alert.error").inner_text()

    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/password")
    assert "lần đăng nhập đầu tiên" in page.content()
    shot(page, "2-forced-change")
    page.fill("#f-current_password", PASSWORD)
    page.fill("#f-new_password", "NhungMatKhau#2025")
    page.fill("#f-confirm_password", "NhungMatKhau#2025")
    page.click("main button[type=submit]")
    page.wait_for_url("**/?msg=password_changed")
    assert "Xin chào, Nguyễn Thị Hồng Nhung" in page.locator("h1").inner_text()
    assert "Chi bộ Khu phố 1, phường Phú Cường" in page.content()
    shot(page, "3-home")
    assert no_horizontal_scroll(page)

    with Session(engine) as s:
        assert s.get(Member, member_id).must_change_password is False
    # the tap targets of the main navigation are at least 44 px high
    heights = page.eval_on_selector_all("header nav a, header nav button", "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44


def test_api_docs_render_in_the_browser_without_a_network(page):
    """Swagger UI draws the OpenAPI from assets this server ships (the test browser reaches no other host)."""
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "hoithi" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() > 10  # the operations are listed
    assert len(hosts) == 1, hosts
