"""Leaderboard pages: a round's board in rank order, a cell's board re-ranked, the member's rank card, no
contact data on any board, scope (404 outside), nothing of scores before the visibility rule allows, the
htmx fragments, unit standings with their rates, and the contest standings over closed rounds."""

from __future__ import annotations

import re

import pytest

from app.services.results import ranking
from tests.factories import make_member, make_unit
from tests.pagehelpers import page_login
from tests.results.helpers import PEOPLE, close_rounds, seed_people


def _order(html: str, names) -> list[int]:
    return [html.index(name) for name in names]


def test_round_board_in_rank_order_with_the_rank_card(client, session, results_arena):
    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    page = client.get(f"/rounds/{r1.id}/board")
    assert page.status_code == 200
    html = page.text
    ranked = [p[0] for p in PEOPLE]  # PEOPLE is already in rank order: score, then the shorter time
    positions = _order(html, ranked)
    assert positions == sorted(positions)
    assert re.findall(r'<td class="rank">(\d+)</td>', html) == ["1", "2", "3", "4", "5", "6"]
    assert "Bạn xếp thứ 2/3 trong Đơn vị CB-A1 · thứ 3/6 toàn Đơn vị ROOT" in html
    assert "Điểm của bạn: 4" in html
    assert re.search(r'<tr data-m="\d+" class="me" aria-current="true">\s*<td class="rank">3</td>', html)
    assert "0:30" in html and "0:50" in html  # durations as m:ss
    truth = re.search(r'<div class="stat" id="truth"><b>(\d+)</b>', html)
    assert truth and truth.group(1) == "2"  # two perfect scorers
    assert "hx-trigger" not in html  # a closed round's board does not poll
    assert 'href="/rounds/%d/board?unit=CB-A1"' % r1.id in html  # the member's own cell


def test_cell_board_reranks_its_members(client, session, results_arena):
    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    html = client.get(f"/rounds/{r1.id}/board", params={"unit": "CB-A1"}).text
    cell = ["Trần Thị An", "Phạm Thị Cúc", "Đỗ Văn Phúc"]
    positions = _order(html, cell)
    assert positions == sorted(positions)
    assert re.findall(r'<td class="rank">(\d+)</td>', html) == ["1", "2", "3"]
    assert not any(name in html for name in ("Lê Văn Bình", "Hoàng Văn Dũng", "Vũ Thị Em"))
    assert '<h2 id="board-title">Đơn vị CB-A1</h2>' in html
    branch = client.get(f"/rounds/{r1.id}/board", params={"unit": "DB-A"}).text  # a branch: its subtree
    assert re.findall(r'<td class="rank">(\d+)</td>', branch) == ["1", "2", "3", "4"]
    assert '<option value="CB-A1">' in branch and '<option value="CB-A2">' in branch  # the sub-unit picker


def test_boards_show_no_phone_or_birth_date(client, session, results_arena):
    s = seed_people(session, results_arena, second=True)
    r1, r2 = results_arena.rounds
    close_rounds(session, results_arena, r1, r2)
    urls = [
        f"/rounds/{r1.id}/board",
        f"/rounds/{r1.id}/board?unit=CB-A1",
        f"/rounds/{r1.id}/board/rows",
        f"/rounds/{r1.id}/units",
        f"/rounds/{r1.id}/units?parent=DB-A",
        f"/contests/{results_arena.contest.id}/board",
    ]
    for who in (s.by_name["Vũ Thị Em"].phone, results_arena.org.member.phone):  # a member, and the organiser-judge
        client.cookies.clear()
        page_login(client, who)
        for url in urls:
            r = client.get(url)
            assert r.status_code == 200, url
            assert not [p for p in s.phones if p in r.text], url
            assert "09/03/1987" not in r.text and "1987-03-09" not in r.text, url


def test_outside_the_scope_is_not_found(client, session, results_arena):
    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    elsewhere = make_unit(session, "NGOAI")
    stranger = make_member(session, elsewhere, phone="0913000001")
    page_login(client, stranger.phone)
    for url in (
        f"/rounds/{r1.id}/board",
        f"/rounds/{r1.id}/board/rows",
        f"/rounds/{r1.id}/units",
        f"/contests/{results_arena.contest.id}/board",
        "/rounds/999999/board",
    ):
        r = client.get(url)
        assert r.status_code == 404 and "Trần Thị An" not in r.text, url
    client.cookies.clear()
    page_login(client, s.by_name["Trần Thị An"].phone)  # inside, asking for a unit outside
    assert client.get(f"/rounds/{r1.id}/board", params={"unit": "NGOAI"}).status_code == 404
    assert client.get(f"/rounds/{r1.id}/units", params={"parent": "NGOAI"}).status_code == 404
    assert client.get(f"/contests/{results_arena.contest.id}/board", params={"unit": "NGOAI"}).status_code == 404
    # /contests/{id} stays the organisers' page
    assert client.get(f"/contests/{results_arena.contest.id}").status_code == 403


def test_before_visibility_no_score_but_participation(client, session, results_arena):
    s = seed_people(session, results_arena, second=True)  # round 2 is open, results after it closes
    r2 = results_arena.rounds[1]
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    html = client.get(f"/rounds/{r2.id}/board").text
    assert "Bảng xếp hạng được công bố sau khi vòng thi đóng." in html
    assert "board-table" not in html and "rank-card" not in html and "Điểm" not in html
    assert "người đúng tất cả các câu" not in html and 'id="truth"' not in html
    stats = re.findall(r'<div class="stat"><b>([\d.]+)</b>', html)
    assert stats == ["3", "3"]  # participants, attempts: still shown
    assert 'hx-trigger="every 10s"' in html
    ranking.build_round(session=session, round_=r2, truth=None)  # even with standings built, units hide scores
    session.commit()
    units = client.get(f"/rounds/{r2.id}/units").text
    assert 'id="units-hidden"' in units and "DB-A" in units
    row = re.search(r'<tr id="u-DB-A">(.*?)</tr>', units, re.S).group(1)
    assert re.search(r'class="num avg"[^>]*>—<', row) and re.search(r'class="num perfect"[^>]*>—<', row)
    assert 'hx-trigger="every 10s"' in units


def test_htmx_fragments_are_the_table_alone(client, session, results_arena):
    s = seed_people(session, results_arena, second=True)
    r2 = results_arena.rounds[1]
    r2.results_visibility = "immediate"
    session.add(r2)
    ranking.build_round(session=session, round_=r2, truth=None)
    session.commit()
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    page = client.get(f"/rounds/{r2.id}/board").text
    assert f'hx-get="/rounds/{r2.id}/board/rows?unit=&amp;page=1" hx-trigger="every 10s"' in page
    rows = client.get(f"/rounds/{r2.id}/board/rows", params={"unit": "CB-A1", "page": 1}, headers={"HX-Request": "true"})
    assert rows.status_code == 200
    body = rows.text.strip()
    assert body.startswith('<div id="board"') and body.endswith("</div>")
    assert "<html" not in body and "<header" not in body and "rank-card" not in body
    assert 'hx-trigger="every 10s"' in body and "unit=CB-A1" in body
    assert _order(body, ["Phạm Thị Cúc", "Trần Thị An"]) == sorted(_order(body, ["Phạm Thị Cúc", "Trần Thị An"]))
    units = client.get(f"/rounds/{r2.id}/units/rows", params={"parent": "DB-A"}, headers={"HX-Request": "true"})
    assert units.text.strip().startswith('<div id="units"') and "<html" not in units.text
    close_rounds(session, results_arena, r2)  # closed: the fragment no longer asks to be polled
    closed = client.get(f"/rounds/{r2.id}/board/rows", headers={"HX-Request": "true"}).text
    assert "hx-trigger" not in closed and "Lê Văn Bình" in closed


def test_unit_standings_rows_and_rates(client, session, results_arena):
    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page_login(client, s.by_name["Lê Văn Bình"].phone)
    html = client.get(f"/rounds/{r1.id}/units").text
    a = re.search(r'<tr id="u-DB-A">(.*?)</tr>', html, re.S).group(1)
    b = re.search(r'<tr id="u-DB-B">(.*?)</tr>', html, re.S).group(1)
    assert html.index('id="u-DB-A"') < html.index('id="u-DB-B"')  # 4 of 70 (A's subtree) ahead of 2 of 42
    assert '<td class="rank">1</td>' in a and '<td class="rank">2</td>' in b
    assert '<span class="participants">4</span>/70' in a and "5,7\u00a0%" in a and "3,75" in a
    assert re.search(r'class="num perfect"[^>]*>1<', a)
    assert '<span class="participants">2</span>/42' in b and "4,8\u00a0%" in b and "4,00" in b
    assert f'href="/rounds/{r1.id}/units?parent=DB-A"' in a and f'href="/rounds/{r1.id}/board?unit=DB-A"' in a
    assert "hx-trigger" not in html
    sub = client.get(f"/rounds/{r1.id}/units", params={"parent": "DB-A"}).text
    a1 = re.search(r'<tr id="u-CB-A1">(.*?)</tr>', sub, re.S).group(1)
    a2 = re.search(r'<tr id="u-CB-A2">(.*?)</tr>', sub, re.S).group(1)
    assert "30,0\u00a0%" in a1 and "3,67" in a1 and "5,0\u00a0%" in a2 and "4,00" in a2
    assert "Các đơn vị trực thuộc Đơn vị DB-A" in sub
    leaf = client.get(f"/rounds/{r1.id}/units", params={"parent": "CB-A1"}).text  # a cell has no sub-units
    assert 'id="units-empty"' in leaf and f'href="/rounds/{r1.id}/board?unit=CB-A1"' in leaf


def test_contest_board_after_two_closed_rounds(client, session, results_arena):
    s = seed_people(session, results_arena, second=True)
    r1, r2 = results_arena.rounds
    page_login(client, s.by_name["Vũ Thị Em"].phone)
    url = f"/contests/{results_arena.contest.id}/board"
    assert "Chưa có ai trong bảng xếp hạng này." in client.get(url).text  # no closed round yet
    close_rounds(session, results_arena, r1, r2)
    html = client.get(url).text
    totals = ["Lê Văn Bình", "Phạm Thị Cúc", "Trần Thị An", "Hoàng Văn Dũng", "Vũ Thị Em", "Đỗ Văn Phúc"]
    positions = _order(html, totals)
    assert positions == sorted(positions)
    assert re.findall(r'<td class="num score">(\d+)</td>', html) == ["10", "7", "6", "4", "3", "2"]
    assert f'href="/rounds/{r1.id}/board"' in html and f'href="/rounds/{r2.id}/board"' in html
    cell = client.get(url, params={"unit": "CB-B1"}).text
    assert re.findall(r'<td class="rank">(\d+)</td>', cell) == ["1", "2"]
    assert cell.index("Lê Văn Bình") < cell.index("Vũ Thị Em")


@pytest.mark.parametrize("page_number", ["0", "-3", "99999999999999999999"])
def test_odd_page_numbers_are_not_errors(client, session, results_arena, page_number):
    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page_login(client, s.by_name["Trần Thị An"].phone)
    r = client.get(f"/rounds/{r1.id}/board", params={"page": page_number})
    assert r.status_code in (200, 422)
    assert r.status_code != 500


def test_home_links_to_the_open_rounds_board(client, session, results_arena):
    s = seed_people(session, results_arena)
    page_login(client, s.by_name["Trần Thị An"].phone)
    assert f'href="/rounds/{results_arena.rounds[1].id}/board"' in client.get("/").text


def test_a_shared_board_page_keeps_what_is_personal_personal(app, client, session, results_arena):
    """The round board is rendered once for everyone who may see it (render_shared, the app's 5 s cache is on
    in tests): each member still gets their own rank card, row mark, unit links and CSRF token, and the
    navigation follows each viewer's roles, whoever filled the cache first."""
    from fastapi.testclient import TestClient

    from tests.pagehelpers import csrf_from

    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    pages = {}
    for name in ("Phạm Thị Cúc", "Vũ Thị Em"):
        with TestClient(app, base_url="http://testserver") as c:
            page_login(c, s.by_name[name].phone)
            pages[name] = (c.get(f"/rounds/{r1.id}/board").text, c.cookies.get("hoithi_csrf"))
    cuc, em = pages["Phạm Thị Cúc"][0], pages["Vũ Thị Em"][0]
    assert "Bạn xếp thứ 2/3 trong Đơn vị CB-A1" in cuc and "Bạn xếp thứ 2/2 trong Đơn vị CB-B1" in em
    assert "CB-B1" not in re.search(r'id="rank-card">.*?</div>', cuc, re.S).group(0)
    mark = r'<tr data-m="(\d+)" class="me"'
    assert re.findall(mark, cuc) == [str(s.by_name["Phạm Thị Cúc"].id)]
    assert re.findall(mark, em) == [str(s.by_name["Vũ Thị Em"].id)]
    assert "unit=CB-A1" in cuc and "unit=CB-A1" not in em and "unit=CB-B1" in em
    assert csrf_from(cuc) != csrf_from(em) and "<!--hole:" not in cuc + em
    assert 'href="/org/units"' not in cuc  # a member's navigation
    page_login(client, results_arena.org.member.phone)  # an organiser after the members: the organiser's navigation
    org = client.get(f"/rounds/{r1.id}/board").text
    assert 'href="/org/units"' in org and "rank-card" not in org and 'class="me"' not in org
    client.post("/logout", data={"csrf_token": csrf_from(org)})
    page_login(client, s.by_name["Vũ Thị Em"].phone)
    assert 'href="/org/units"' not in client.get(f"/rounds/{r1.id}/board").text


def test_a_name_cannot_forge_a_hole_in_a_shared_board(client, session, results_arena):
    s = seed_people(session, results_arena)
    m = s.by_name["Đỗ Văn Phúc"]
    m.full_name = "<!--hole:csrf--> <!--hole:card-->"
    session.add(m)
    session.commit()
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    html = client.get(f"/rounds/{r1.id}/board").text
    assert "&lt;!--hole:csrf--&gt; &lt;!--hole:card--&gt;" in html and html.count('id="rank-card"') == 1


def test_a_shared_board_is_gzipped_from_its_pieces_for_phones_that_ask(client, session, results_arena):
    """Phones ask for gzip: the shared page comes compressed (app.shared_page, not the middleware) and reads the
    same as the plain one, with this member's card, row mark and CSRF token."""
    import gzip

    import httpx

    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    client.get(f"/rounds/{r1.id}/board")  # the CSRF seed cookie, as a browser has it after its first page
    plain = client.get(f"/rounds/{r1.id}/board", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"
    with client.stream("GET", f"/rounds/{r1.id}/board", headers={"Accept-Encoding": "gzip"}) as packed:
        raw = b"".join(packed.iter_raw())
        assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
    assert len(raw) < len(plain.content) * 0.6
    assert gzip.decompress(raw) == plain.content
    assert re.search(r'class="me" aria-current="true">\s*<td class="rank">3</td>', plain.text)
    assert "Bạn xếp thứ 2/3 trong Đơn vị CB-A1" in plain.text
    rows = client.get(f"/rounds/{r1.id}/board/rows", headers={"Accept-Encoding": "gzip", "HX-Request": "true"})
    assert isinstance(rows, httpx.Response) and 'class="me"' in rows.text


def test_the_board_explains_its_order_and_says_what_judges_changed(client, session, results_arena):
    """Every key of the chain is a column (prediction and its error once the truth is frozen), the chain is
    written under the board, and a disqualification is announced with its reason."""
    from sqlmodel import select

    from app.models import Attempt
    from app.services.results import judging

    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    html = client.get(f"/rounds/{r1.id}/board").text
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert [h for h in ("Điểm", "Dự đoán (lệch)", "Thời gian", "Nộp lúc") if h in head] == [
        "Điểm",
        "Dự đoán (lệch)",
        "Thời gian",
        "Nộp lúc",
    ]
    assert head.index("Dự đoán") < head.index("Thời gian") < head.index("Nộp lúc")  # the chain's order
    assert re.search(r'<td class="num key pred">2<div class="muted sub">±0</div>', html)  # guessed 2, truth 2
    rule = re.search(r'<p class="hint" id="ranking-rule">(.*?)</p>', html, re.S).group(1)
    assert "điểm cao hơn xếp trên; nếu bằng nhau thì dự đoán sát hơn" in rule
    assert 'id="board-changed"' not in html
    cheat = session.exec(select(Attempt).where(Attempt.round_id == r1.id, Attempt.member_id == s.by_name["Trần Thị An"].id)).one()
    judging.set_disqualified(session=session, actor=results_arena.org, attempt_id=cheat.id, disqualified=True, reason="Làm bài hộ")
    session.commit()
    html = client.get(f"/rounds/{r1.id}/board").text
    note = re.search(r'<p class="notice" id="board-changed">(.*?)</p>', html, re.S).group(1)
    assert "đã loại 1 lượt thi" in note and "Lý do: Làm bài hộ." in note
    assert "Trần Thị An" not in html


def test_open_round_with_immediate_results_shows_no_prediction_column(client, session, results_arena):
    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    r1.results_visibility = "immediate"
    session.add(r1)
    session.commit()
    ranking.build_round(session=session, round_=r1, truth=None)
    session.commit()
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    html = client.get(f"/rounds/{r1.id}/board").text
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert "Thời gian" in head and "Dự đoán" not in head  # the truth is not known before close


def test_a_cold_member_gets_a_kept_board_without_a_thread_hop(app, client, session, results_arena, monkeypatch):
    """A member this worker has not seen lately is read on the event loop (db_loop.loop_reader; PostgreSQL in a
    greenlet), so a board kept in memory is answered there, with their own card."""
    import anyio.to_thread

    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    assert client.get(f"/rounds/{r1.id}/board").status_code == 200  # the board is now kept
    page_login(client, s.by_name["Vũ Thị Em"].phone)
    client.get(f"/rounds/{r1.id}/board")  # and her card, for the check below
    hops: list[str] = []
    real = anyio.to_thread.run_sync

    async def counted(func, *args, **kw):
        hops.append(getattr(func, "__name__", ""))
        return await real(func, *args, **kw)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    app.state.principals.forget(None)  # every member cold
    page = client.get(f"/rounds/{r1.id}/board")
    assert page.status_code == 200 and "Bạn xếp thứ 2/2 trong Đơn vị CB-B1" in page.text
    assert hops.count("with_database") == 0


def test_a_board_and_its_table_take_direct_routes_and_odd_queries_the_documented_ones(client, session, results_arena, fastapi_solved):
    """The round's board and its polled table are answered by plain routes (routers.base.direct) with their query
    read as FastAPI reads it (the last value, else the default); a page that is not a plain positive number goes
    on to the FastAPI route of the same path, which answers it as it always has, so both answer alike."""
    s = seed_people(session, results_arena)
    r1 = results_arena.rounds[0]
    close_rounds(session, results_arena, r1)
    page_login(client, s.by_name["Phạm Thị Cúc"].phone)
    solved = fastapi_solved
    del solved[:]  # the login's
    for path in (f"/rounds/{r1.id}/board", f"/rounds/{r1.id}/board/rows"):
        for query in ("", "unit=CB-A1", "unit=DB-A&page=1", "page=2&unit=ROOT", "unit=X&unit=CB-A1", "unit=&page=1", "other=1"):
            direct = client.get(f"{path}?{query}")
            assert solved == [] and direct.status_code == 200, (path, query)
            documented = client.get(f"{path.replace('/rounds/', '/rounds/0')}?{query}")
            assert len(solved) == 1 and documented.status_code == 200
            assert direct.text == documented.text.replace(f"/rounds/0{r1.id}/", f"/rounds/{r1.id}/"), (path, query)  # its own path
            del solved[:]
        for query in ("page=0", "page=-3", "page=%2B2", "page=02", "page=", "page=x", "page=1&page=x", "page=1.0", "page=9999999999"):
            r = client.get(f"{path}?{query}")
            assert len(solved) == 1 and r.status_code == client.get(f"{path.replace('/rounds/', '/rounds/0')}?{query}").status_code
            del solved[:]
    cell = client.get(f"/rounds/{r1.id}/board?unit=X&unit=CB-A1").text  # the last value, as FastAPI takes it
    assert re.findall(r'<td class="rank">(\d+)</td>', cell) == ["1", "2", "3"]
    assert client.head(f"/rounds/{r1.id}/board").status_code == 405
