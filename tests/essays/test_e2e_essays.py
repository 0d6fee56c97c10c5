"""A member writes and hands in an essay on a phone (Chromium, 390×844): the live word count, the draft autosaved
and still there after a reload, the submit refused while too short or too long, the receipt, an edit handed in
again; no sideways scroll at 360 px."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models.essays import Essay
from tests.factories import PASSWORD
from tests.fixtures.browser import PHONE, no_horizontal_scroll

pytestmark = pytest.mark.e2e

START = "Nghị quyết Đại hội"  # 4 words
FIRST = START + " đã chỉ rõ nhiệm vụ trọng tâm của chi bộ."  # 14 words
SECOND = "Tôi đề xuất sinh hoạt chuyên đề mỗi quý và phân công đảng viên trẻ chuẩn bị nội dung."  # 19 words


def test_a_member_writes_and_submits_an_essay_on_a_phone(page, essay_world, shot):
    c = essay_world.campaign
    essay_world.member.phone = "0911000077"
    essay_world.session.add(essay_world.member)
    essay_world.session.commit()
    page.goto("/login")
    page.fill("#username", "0911000077")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.click(f'a[href="/essays/campaigns/{c.id}/write"]')
    page.wait_for_url(f"**/essays/campaigns/{c.id}/write")
    page.select_option("#f-topic", "Xây dựng Đảng")
    page.click("#essay-text")
    page.keyboard.type(START)
    assert page.inner_text("#word-count") == "4 chữ · còn thiếu 6"  # live, before any save (at least 10 words)
    page.wait_for_selector("#draft-state >> text=Đã lưu nháp lúc", timeout=10_000)  # autosaved while typing
    shot(page, "1-draft")
    page.reload()
    assert page.input_value("#essay-text") == START and page.input_value("#f-topic") == "Xây dựng Đảng"
    page.click("button[value=submit]")
    assert "cần ít nhất 10 chữ" in page.inner_text(".alert.error")
    page.fill("#essay-text", FIRST)
    assert page.inner_text("#word-count") == "14 chữ"
    page.click("button[value=submit]")
    page.wait_for_url(f"**/essays/campaigns/{c.id}/receipt")
    assert page.inner_text("#receipt-words") == "14"
    shot(page, "2-receipt")
    # editing after submitting is allowed here: a longer version, handed in again
    page.click(f'a[href="/essays/campaigns/{c.id}/write"]')
    page.click("#essay-text")
    page.keyboard.press("End")
    page.keyboard.type("\n\n" + SECOND + " " + " ".join(["thêm"] * 10))
    assert page.inner_text("#word-count") == "43 chữ · thừa 3"
    page.click("button[value=submit]")
    assert "vượt giới hạn 40 chữ" in page.inner_text(".alert.error")  # refused, what was typed is kept
    page.fill("#essay-text", FIRST + "\n\n" + SECOND)
    assert page.inner_text("#word-count") == "33 chữ"
    page.click("button[value=submit]")
    page.wait_for_url(f"**/essays/campaigns/{c.id}/receipt")
    assert page.inner_text("#receipt-words") == "33"
    assert page.locator("#receipt-time").inner_text()
    assert page.locator(".essay-text p").count() == 2
    shot(page, "3-receipt-again")
    assert no_horizontal_scroll(page)
    page.set_viewport_size(PHONE)
    essay_world.session.rollback()
    essay = essay_world.session.exec(select(Essay)).one()
    assert (essay.status, essay.word_count, essay.submit_count) == ("submitted", 33, 2)
