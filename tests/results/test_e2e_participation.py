"""A cell secretary on a phone (Chromium, 390×844) finds who has not taken part, with tap-to-call and a prepared
text; a member then downloads their certificate and opens the public check of its code; nothing scrolls sideways
at 360 px."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Attempt
from tests.factories import make_member
from tests.fixtures.browser import no_horizontal_scroll
from tests.fixtures.results import add, close
from tests.pagehelpers import browser_login

pytestmark = pytest.mark.e2e


def test_cell_secretary_list_and_a_members_certificate(page, session, results_arena, shot):
    t, r = results_arena.tree, results_arena.rounds[0]
    done = make_member(session, t.a1, full_name="Hoàng Thị Mai", phone="0916000001")
    make_member(session, t.a1, full_name="Đinh Văn Tùng", phone="0916000002")
    make_member(session, t.a1, phone="0916000009", roles=(("organiser", t.a1),), full_name="Bí thư Chi bộ A1")
    add(session, r, done, score=4)
    session.commit()

    browser_login(page, "0916000009")
    page.goto(f"/rounds/{r.id}/participation")
    page.wait_for_selector("#people")
    assert page.inner_text("#turnout-missing") == "2"  # Tùng and the secretary herself
    assert page.locator("#people a[href='tel:0916000002']").count() == 1
    assert "Hoàng Thị Mai" not in page.inner_text("#people")
    sms = page.locator("#people a[href^='sms:0916000002']").get_attribute("href")
    assert sms and "enter" in sms
    page.click("#group-text summary")
    assert f"/rounds/{r.id}/enter" in page.input_value("#group-message")
    assert no_horizontal_scroll(page)
    shot(page, "participation-cell")

    close(session, results_arena)
    page.context.clear_cookies()
    browser_login(page, done.phone)
    attempt_id = session.exec(select(Attempt.id).where(Attempt.member_id == done.id)).one()
    page.goto(f"/attempts/{attempt_id}/result")
    with page.expect_download() as got:
        page.click("#certificate")
    assert got.value.suggested_filename.startswith("giay-chung-nhan-")
    code = got.value.suggested_filename.removeprefix("giay-chung-nhan-").removesuffix(".pdf")
    page.context.clear_cookies()
    page.goto(f"/certificates/{code}")
    assert "Hoàng Thị Mai" in page.inner_text("#who")
    assert no_horizontal_scroll(page)
    shot(page, "certificate-check")
