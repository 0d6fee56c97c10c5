"""Whole journeys as a new user walks them on a phone (Chromium, 390×844), with a screenshot of each step kept
under test-artifacts/: an organiser who starts from an empty bank builds and publishes a contest; a member goes
from home to both boards and then finds no start button. (The judge's journey is tests/results/test_e2e_judging.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.models import AttemptQuestion, Contest, Round
from app.services.bank import questions as bank
from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
from app.services.contests import contests
from app.services.contests.schemas import ContestCreate, DrawLine, PredictionIn, RoundIn
from app.services.results import closing
from tests.factories import actor, make_member, make_unit
from tests.fixtures.browser import PHONE, no_horizontal_scroll
from tests.pagehelpers import browser_login

pytestmark = pytest.mark.e2e

CSV_HEADER = "Câu hỏi,Phương án A,Phương án B,Phương án C,Đáp án đúng,Mức độ\n"


def _settled(page) -> None:
    """The form part htmx swapped in is in place and listening (a person is never this quick)."""
    for _ in range(200):  # polled from here: the pages' CSP lets no string run as a script inside them
        if not page.evaluate("!!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"):
            break
        page.wait_for_timeout(50)
    page.wait_for_timeout(150)


def test_an_organiser_builds_a_contest_from_an_empty_bank(page, engine, shot):
    with Session(engine) as s:
        root = make_unit(s, "TDM", name="Đảng bộ TP. Thủ Dầu Một", kind="Đảng bộ")
        make_member(s, root, phone="0900000502", roles=(("organiser", root),))
        s.commit()
    browser_login(page, "0900000502")
    page.goto("/bank")
    assert "Chưa có chủ đề nào" in page.inner_text("main")
    topic_ids = []
    for name, body, filename in (
        (
            "Chuyển đổi số",
            (
                CSV_HEADER
                + "".join(f"Chuyển đổi số câu {n}?,Đúng hướng,Chưa đúng,Không rõ,A,{'Dễ' if n % 2 else 'Khó'}\n" for n in range(12))
            ).encode(),
            "chuyen-doi-so.csv",
        ),
        (
            "Xây dựng Đảng",
            "".join(f"Xây dựng Đảng câu {n}?\nA. Tập trung dân chủ\nB. Tự do\nANSWER: A\n\n" for n in range(8)).encode(),
            "xay-dung-dang.txt",
        ),
    ):  # a CSV of our template, and Aiken text as Moodle writes it
        page.goto("/bank")
        page.fill("#f-name", name)
        page.click("main form[action='/bank/topics'] button[type=submit]")
        page.wait_for_url("**/bank**")
        page.goto("/bank")
        page.click(f"text={name}")
        page.wait_for_url("**/bank/topics/*")
        topic_ids.append(int(page.url.split("/bank/topics/")[1].split("?")[0]))
        page.click("text=Nhập câu hỏi từ tệp / xuất ra tệp")
        page.set_input_files("#qfile", {"name": filename, "mimeType": "text/plain", "buffer": body})
        page.click("text=Nhập vào chủ đề này")
        page.wait_for_load_state()
        assert "lỗi" not in page.inner_text("main").lower(), page.inner_text("main")
    shot(page, "1-imported")

    page.goto("/contests/new")
    monday = (datetime.now() + timedelta(days=7 - datetime.now().weekday())).replace(hour=0, minute=0)
    page.fill("#f-title", "Tìm hiểu Nghị quyết Đại hội XII")
    page.fill("#f-weeks", "1")
    page.fill("#f-opens_at", monday.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#f-closes_at", (monday + timedelta(days=6, hours=23)).strftime("%Y-%m-%dT%H:%M"))
    rows = [(topic_ids[0], "easy", "4"), (topic_ids[0], "hard", "4"), (topic_ids[1], "", "5")]
    for i, (topic_id, level, count) in enumerate(rows):
        if i >= page.locator("select[name=draw_topic_id]").count():  # a new row comes with each choice
            page.wait_for_selector(f"#draw-rows li:nth-child({i + 1}) select[name=draw_topic_id]")
        page.locator("select[name=draw_topic_id]").nth(i).select_option(str(topic_id))
        page.wait_for_selector(f"#draw-rows li:nth-child({i + 1}) .avail")
        _settled(page)
        page.locator("select[name=draw_difficulty]").nth(i).select_option(level)
        _settled(page)
        page.locator("input[name=draw_count]").nth(i).fill(count)
        page.locator("input[name=draw_count]").nth(i).blur()
        page.wait_for_selector(f"#draw-total:has-text('{sum(int(c) for _t, _l, c in rows[: i + 1])} câu')")
        _settled(page)
    assert "có 6 câu" in page.inner_text("#draw-rows") and "có 8 câu" in page.inner_text("#draw-rows")
    shot(page, "2-draw-rows")
    assert no_horizontal_scroll(page)
    page.set_viewport_size(PHONE)
    page.click("main button[type=submit]:has-text('Tạo cuộc thi')")
    page.wait_for_url("**/contests/*")
    page.click("a.preview")
    page.wait_for_url("**/preview")
    assert page.locator("fieldset.q").count() == 13 and "Câu 13/13" in page.inner_text("main")
    shot(page, "3-preview")
    page.go_back()
    page.click("text=Công bố cuộc thi")
    page.wait_for_selector("#share-url")
    shot(page, "4-published")
    with Session(engine) as s:
        contest = s.exec(select(Contest)).one()
        r = s.exec(select(Round).where(Round.contest_id == contest.id)).one()
        assert contest.status == "published" and sum(line["count"] for line in r.draw) == 13
        assert s.exec(select(AttemptQuestion)).first() is None  # the preview recorded nothing


def test_a_member_goes_from_home_to_both_boards_and_then_has_no_start_button(page, engine, shot):
    with Session(engine) as s:
        root = make_unit(s, "TDM2", name="Đảng bộ phường Phú Cường", kind="Đảng bộ")
        cell = make_unit(s, "KP1", parent=root, name="Chi bộ Khu phố 1")
        org = actor(s, make_member(s, root, roles=(("organiser", root),)))
        make_member(s, cell, full_name="Nguyễn Thị Hồng", phone="0900000601")
        topic = bank.create_topic(session=s, actor=org, data=TopicCreate(name="Nghị quyết", unit_code="TDM2"))
        for n in range(6):
            bank.create_question(
                session=s,
                actor=org,
                data=QuestionCreate(
                    topic_id=topic.id, text=f"Câu hỏi số {n}?", options=[OptionIn(text="Đúng", correct=True), OptionIn(text="Sai")]
                ),
            )
        now = datetime.now().astimezone()
        contest = contests.create_contest(
            session=s,
            actor=org,
            data=ContestCreate(
                title="Tìm hiểu Nghị quyết",
                scope_unit_code="TDM2",
                rounds=[
                    RoundIn(
                        title="Tuần 1",
                        opens_at=now - timedelta(hours=1),
                        closes_at=now + timedelta(days=5),
                        draw=[DrawLine(topic_id=topic.id, count=4)],
                        results_visibility="immediate",
                        prediction=PredictionIn(kind="participants"),
                    )
                ],
            ),
        )
        contests.publish_contest(session=s, actor=org, contest_id=contest.id)
        round_id = contests.rounds_of(session=s, contest=contest)[0].id
        s.commit()
    browser_login(page, "0900000601")
    shot(page, "1-home")
    page.click(f"a[href='/rounds/{round_id}/enter']")
    page.wait_for_url(f"**/rounds/{round_id}/enter")
    assert "Thể lệ" in page.inner_text("main")
    shot(page, "2-rules")
    page.click("#start")
    page.wait_for_url("**/attempts/*")
    attempt_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    with Session(engine) as s:
        right = {
            q.position: next(o["id"] for o in q.options if o["correct"])
            for q in s.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)).all()
        }
    for pos in (1, 2, 4):
        page.check(f'input[value="{right[pos]}"]')
        page.wait_for_selector(f"#saved-{pos} >> text=Đã lưu")
    page.click("#grid a[data-q='3']")  # the grid jumps to the one left unanswered
    page.check(f'input[value="{right[3]}"]')
    page.wait_for_selector("#saved-3 >> text=Đã lưu")
    assert page.locator("#grid a.done").count() == 4
    page.fill("#prediction", "1")
    page.press("#prediction", "Tab")
    page.wait_for_selector("#saved-prediction >> text=Đã lưu")
    shot(page, "3-quiz")
    page.click("button[name=review]")
    page.wait_for_url(f"**/attempts/{attempt_id}/review")
    page.click("main form[action$='/submit'] button")
    page.wait_for_url(f"**/attempts/{attempt_id}/result")
    assert "4" in page.inner_text("main")
    shot(page, "4-result")
    with Session(engine) as s:
        closing.refresh_live(session=s)  # what the sweep does every few seconds
        s.commit()
    page.goto(f"/rounds/{round_id}/board?unit=KP1")
    assert page.inner_text("#board tr.me .name") == "Nguyễn Thị Hồng"
    shot(page, "5-cell-board")
    page.goto(f"/rounds/{round_id}/board")
    assert page.inner_text("#board tr.me td.rank") == "1" and page.locator("#ranking-rule").is_visible()
    shot(page, "6-union-board")
    page.goto("/")
    main = page.inner_text("main")
    assert "Bạn đã dùng hết lượt thi của vòng này." in main and page.locator("form[action$='/start']").count() == 0
    assert page.locator(f"a[href='/rounds/{round_id}/enter']").inner_text() == "Xem thể lệ"
    shot(page, "7-home-after")
