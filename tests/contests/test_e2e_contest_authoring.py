"""An organiser creates a contest with weekly rounds and publishes it, on a phone and on a laptop."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from app.services.bank import questions as bank
from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
from tests.factories import PASSWORD, actor, make_member, make_unit
from tests.fixtures.browser import no_horizontal_scroll

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}], ids=["phone", "laptop"])
def test_organiser_creates_and_publishes_a_contest(page, engine, shot, viewport):
    with Session(engine) as s:
        root = make_unit(s, "TDM", name="Đảng bộ TP. Thủ Dầu Một", kind="Đảng bộ")
        org = actor(s, make_member(s, root, phone="0900000002", roles=(("organiser", root),)))
        topic = bank.create_topic(session=s, actor=org, data=TopicCreate(name="Chuyển đổi số", unit_code="TDM"))
        for n in range(15):
            bank.create_question(
                session=s,
                actor=org,
                data=QuestionCreate(
                    topic_id=topic.id,
                    text=f"Câu hỏi chuyển đổi số {n}?",
                    options=[OptionIn(text="Đúng hướng", correct=True), OptionIn(text="Chưa đúng")],
                ),
            )
        topic_id = topic.id
        s.commit()
    page.set_viewport_size(viewport)
    page.goto("/login")
    page.fill("#username", "0900000002")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.goto("/contests/new")
    monday = (datetime.now() + timedelta(days=7 - datetime.now().weekday())).replace(hour=0, minute=0)
    page.fill("#f-title", "Tìm hiểu Nghị quyết Đại hội Đảng bộ thành phố lần thứ XII")
    page.fill("#rules_text", "Mỗi tuần một vòng thi. **Giải thưởng** trao theo tuần.")
    page.fill("#f-weeks", "4")
    page.fill("#f-opens_at", monday.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#f-closes_at", (monday + timedelta(days=6, hours=23)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("select[name=draw_topic_id]").first.select_option(str(topic_id))
    page.wait_for_selector("#draw-rows .avail")  # the bank's count for the row, checked on the server
    assert "có 15 câu" in page.inner_text("#draw-rows")
    page.locator("input[name=draw_count]").first.fill("10")
    page.locator("input[name=draw_count]").first.blur()
    page.wait_for_selector("#draw-total:has-text('10 câu')")  # selectors, not page scripts: the CSP allows no eval
    if viewport["width"] < 400:
        assert no_horizontal_scroll(page)
        page.set_viewport_size(viewport)
    shot(page, "1-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/contests/*")
    assert "bản nháp" in page.locator("#status").inner_text()
    assert page.locator("main li").count() >= 4  # the generated rules, one sentence per setting
    page.click("text=Công bố cuộc thi")
    page.wait_for_selector("#share-url")
    shot(page, "2-published")
    share = page.locator("#share-url").get_attribute("href")
    page.goto(share)
    assert page.locator("h1").inner_text() == "Tìm hiểu Nghị quyết Đại hội Đảng bộ thành phố lần thứ XII"
    assert page.locator('meta[property="og:title"]').get_attribute("content").startswith("Tìm hiểu Nghị quyết")
    shot(page, "3-public")
