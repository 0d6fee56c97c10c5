"""A judge on a phone (Chromium, 390×844): audits a round, opens a flagged attempt, disqualifies it with a
reason, sets and confirms prizes, seals, and downloads the Excel files of the round and of the contest; nothing
scrolls sideways at 360 px."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from app.models import Member
from tests.factories import PASSWORD, make_member
from tests.fixtures.browser import no_horizontal_scroll
from tests.fixtures.results import add

pytestmark = pytest.mark.e2e


def test_judge_audits_awards_seals_and_exports(page, session, results_arena, shot):
    r = results_arena.rounds[0]
    t = results_arena.tree
    people = [
        make_member(session, u, full_name=n) for u, n in ((t.a1, "Nguyễn Thị Ánh Tuyết"), (t.a2, "Phạm Văn Đức"), (t.b1, "Lê Thị Hoa"))
    ]
    quick = [add(session, r, m, score=s, duration_s=d) for m, s, d in zip(people, (5, 4, 3), (60, 3, 50), strict=True)][1]
    judge = session.get(Member, results_arena.org.id)
    judge.phone = "0911000400"
    session.add(judge)
    session.commit()

    page.goto("/login")
    page.fill("#username", judge.phone)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    # the round is still open: the organiser (this judge is one too) ends it now, from its page
    page.goto(f"/contests/rounds/{r.id}")
    page.click("button:has-text('Đóng vòng thi ngay')")
    page.wait_for_selector("#truth")
    shot(page, "0-closed")
    page.goto("/judging")
    page.click(f"a[href='/judging/rounds/{r.id}']")
    page.wait_for_url(f"**/judging/rounds/{r.id}")
    assert "Làm quá nhanh (1)" in page.inner_text("main")
    shot(page, "1-round")
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})

    page.click("text=Làm quá nhanh (1)")
    page.click("text=Phạm Văn Đức")
    page.wait_for_url(f"**/judging/attempts/{quick.id}")
    assert "dưới mức tối thiểu" in page.inner_text("main")
    page.click("button:has-text('Loại lượt thi')")  # no reason: the browser itself asks for one
    assert page.url.endswith(f"/judging/attempts/{quick.id}")
    page.fill("#f-reason", "Làm 5 câu trong 3 giây")
    page.check("input[name=confirm]")
    page.click("button:has-text('Loại lượt thi')")
    page.wait_for_selector("text=Khôi phục lượt thi")
    assert "Bị loại" in page.inner_text("main")
    shot(page, "2-attempt")
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"/judging/rounds/{r.id}/prizes")
    page.fill("#f-name_1", "Giải Nhất")
    page.fill("#f-count_1", "1")
    page.fill("#f-name_2", "Giải Nhì")
    page.fill("#f-count_2", "1")
    page.fill("#f-unit_name_1", "Giải tập thể")  # the unit with the best participation rate
    page.fill("#f-unit_count_1", "1")
    page.click("text=Lưu cơ cấu giải và xem danh sách")
    page.wait_for_selector("#awards")
    rows = page.locator("#awards tbody tr").all_inner_texts()
    assert "Nguyễn Thị Ánh Tuyết" in rows[0] and "Lê Thị Hoa" in rows[1]
    assert "Giải tập thể" in page.inner_text("#unit-awards")
    page.click("text=Xác nhận danh sách đạt giải như trên")
    page.wait_for_selector("text=đã xác nhận")
    shot(page, "3-prizes")
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"/judging/rounds/{r.id}")
    page.check("input[name=confirm]")
    page.click("button:has-text('Niêm phong')")
    page.wait_for_selector("#digest")
    digest = page.inner_text("#digest").strip()
    assert len(digest) == 64
    with page.expect_download() as info:
        page.click(f"a[href^='/judging/rounds/{r.id}/export.xlsx']")
    data = open(info.value.path(), "rb").read()
    wb = load_workbook(io.BytesIO(data))
    assert [row[2] for row in wb["Xếp hạng"].iter_rows(min_row=2, values_only=True)] == ["Nguyễn Thị Ánh Tuyết", "Lê Thị Hoa"]
    assert digest in " ".join(str(c.value) for row in wb["Ghi chú"].iter_rows() for c in row)
    with page.expect_download() as info:  # the contest as a whole, over its one closed round
        page.click(f"a[href^='/judging/contests/{results_arena.contest.id}/export.xlsx']")
    wb = load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    assert [row[2] for row in wb["Xếp hạng"].iter_rows(min_row=2, values_only=True)] == ["Nguyễn Thị Ánh Tuyết", "Lê Thị Hoa"]
    names = set()
    for href, magic in ((f"/judging/rounds/{r.id}/export.csv", b"\xef\xbb\xbf"), (f"/judging/rounds/{r.id}/export.pdf", b"%PDF")):
        with page.expect_download() as info:
            page.click(f"a[href^='{href}']")
        assert open(info.value.path(), "rb").read().startswith(magic)
        names.add(info.value.suggested_filename)
    for part in ("units", "winners"):  # the three CSV parts are three files with three names
        with page.expect_download() as info:
            page.click(f"a[href$='part={part}']")
        names.add(info.value.suggested_filename)
    assert len(names) == 4, names
    shot(page, "4-sealed")
    assert no_horizontal_scroll(page)
