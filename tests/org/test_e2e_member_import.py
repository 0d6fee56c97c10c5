"""An organiser imports a member file on a phone: a bad file first, then the corrected one."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlmodel import Session, func, select

from app.models import Member
from tests.factories import PASSWORD, make_member, make_unit
from tests.fixtures.browser import no_horizontal_scroll

pytestmark = pytest.mark.e2e

HEADER = ["STT", "Họ và tên", "Số điện thoại", "Mã hội viên", "Ngày sinh", "Mã đơn vị"]


def _xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_organiser_imports_members(page, engine, shot, tmp_path):
    with Session(engine) as s:
        root = make_unit(s, "TDM", name="Đảng bộ TP. Thủ Dầu Một", kind="Đảng bộ")
        make_unit(s, "PC01", parent=root, name="Đảng bộ phường Phú Cường")
        make_member(s, root, full_name="Nguyễn Thị Thu Hà", phone="0900000002", roles=(("organiser", root),))
    bad = tmp_path / "danh-sach-loi.xlsx"
    bad.write_bytes(
        _xlsx(
            [
                [1, "Võ Văn Kiệt", "0912000001", "DV001", "12/03/1985", "PC01"],
                [2, "Lý Thị Mai", "", "DV002", "30/02/1990", "PC01"],
                [3, "Đỗ Minh Châu", "0912000003", "DV003", "", "KHONGCO"],
            ]
        )
    )
    good = tmp_path / "danh-sach.xlsx"
    good.write_bytes(
        _xlsx(
            [
                [1, "Võ Văn Kiệt", "0912000001", "DV001", "12/03/1985", "PC01"],
                [2, "Lý Thị Mai", "0912000002", "DV002", "28/02/1990", "PC01"],
                [3, "Đỗ Minh Châu", "0912000003", "DV003", "", "PC01"],
            ]
        )
    )

    page.goto("/login")
    page.fill("#username", "0900000002")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.click("text=Nhập danh sách từ Excel")
    page.wait_for_url("**/org/members/import")
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "1-import-page")

    page.set_input_files("#file", str(bad))
    page.fill("#initial_password", "BanDau#2025")
    page.click("main button[type=submit]")
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() >= 3
    text = page.locator("#import-errors").inner_text()
    assert "3" in text and "4" in text  # the bad rows by their Excel row numbers
    assert "KHONGCO" in text
    shot(page, "2-errors")
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Member).where(Member.phone.like("0912%"))).one() == 0

    page.goto("/org/members/import")
    page.set_input_files("#file", str(good))
    page.fill("#initial_password", "BanDau#2025")
    page.click("main button[type=submit]")
    assert page.locator("#n-create").inner_text() == "3"
    shot(page, "3-preview")
    page.click("main button[type=submit]")
    page.wait_for_selector(".alert.ok")
    assert "3 tài khoản mới" in page.locator(".alert.ok").inner_text()
    shot(page, "4-done")

    page.click("text=Xem danh sách hội viên")
    page.fill("#q", "vo van kiet")
    page.wait_for_selector("#member-results:has-text('Võ Văn Kiệt')")
    shot(page, "5-search")
    with Session(engine) as s:
        imported = s.exec(select(Member).where(Member.phone.like("0912%"))).all()
        assert len(imported) == 3 and all(m.must_change_password for m in imported)
