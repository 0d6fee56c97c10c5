"""A member looks at the leaderboards on a phone (Chromium, 390×844): the round's board with their rank
card, their cell's board, the unit standings; nothing scrolls sideways at 360 px."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.fixtures.browser import no_horizontal_scroll
from tests.fixtures.results import add
from tests.results.helpers import close_rounds, seed_people

pytestmark = pytest.mark.e2e


def test_member_reads_the_boards_on_a_phone(page, session, results_arena, shot):
    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page.goto("/login")
    page.fill("#username", s.by_name["Phạm Thị Cúc"].phone)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.goto(f"/rounds/{r1.id}/board")
    card = page.inner_text("#rank-card")
    assert "Bạn xếp thứ 2/3 trong Đơn vị CB-A1 · thứ 3/6 toàn Đơn vị ROOT" in card
    assert page.locator("#board tbody tr").count() == 6
    assert page.inner_text("#board tr.me .name") == "Phạm Thị Cúc"
    shot(page, "1-round-board")
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})

    page.click("#my-unit")  # the member's own cell: its members ranked among themselves
    page.wait_for_url(f"**/rounds/{r1.id}/board?unit=CB-A1")
    assert page.inner_text("#board-title") == "Đơn vị CB-A1"
    assert page.locator("#board tbody tr").count() == 3
    assert [t.strip() for t in page.locator("#board td.rank").all_inner_texts()] == ["1", "2", "3"]
    assert page.inner_text("#board tr.me td.rank") == "2"
    shot(page, "2-cell-board")
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})

    page.click("text=Xếp hạng đơn vị")
    page.wait_for_url(f"**/rounds/{r1.id}/units")
    assert page.locator("#units tbody tr").count() == 2
    assert "5,7 %" in " ".join(page.inner_text("#u-DB-A").split())  # 4 of the 70 declared in DB-A's subtree
    page.click("#u-DB-A a.name")  # down to the cells of a branch
    page.wait_for_url(f"**/rounds/{r1.id}/units?parent=DB-A")
    assert "30,0 %" in " ".join(page.inner_text("#u-CB-A1").split())
    shot(page, "3-unit-standings")
    assert no_horizontal_scroll(page)
    shot(page, "4-unit-standings-360")


def test_open_round_board_polls_itself(page, session, results_arena, shot):
    """While a round with immediate results is open, a new standing shows up without a reload."""
    from app.services.results import ranking

    s = seed_people(session, results_arena)
    r2 = results_arena.rounds[1]
    r2.results_visibility = "immediate"
    session.add(r2)
    me = s.by_name["Vũ Thị Em"]
    add(session, r2, me, score=3)
    ranking.build_round(session=session, round_=r2, truth=None)
    session.commit()
    page.goto("/login")
    page.fill("#username", me.phone)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.goto(f"/rounds/{r2.id}/board")
    assert page.locator("#board tbody tr").count() == 1
    add(session, r2, s.by_name["Trần Thị An"], score=5)
    ranking.build_round(session=session, round_=r2, truth=None)
    session.commit()
    page.wait_for_selector("#board tbody tr:nth-child(2)", timeout=15_000)
    assert page.inner_text("#board tbody tr:first-child .name") == "Trần Thị An"
    assert page.inner_text("#rank-card")  # the card was rendered with the page (it is not polled)
    shot(page, "live-board")
