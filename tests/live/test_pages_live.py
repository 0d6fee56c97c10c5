"""Live game pages: the organiser's list and form (its errors shown in place, values kept), who sees the console
and the projector, joining with the PIN, the phone's page (the question and its key are not in it), the results
page with a player's own answers, and the host's spreadsheet."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from app.models import LiveGame
from app.services.live import games, play
from app.services.live.schemas import LiveGameIn
from tests.factories import actor
from tests.pagehelpers import csrf_from, page_login


def _game(session, live_world, n: int = 2, **extra):
    data = LiveGameIn(
        title="Rung chuông vàng chi bộ", scope_unit_code="DB-A", question_ids=[q.id for q in live_world.questions[:n]], **extra
    )
    game = games.create(session=session, actor=live_world.org, data=data)
    session.commit()
    return game


def _join_all(session, game, live_world):
    for m in live_world.players:
        play.join(session=session, actor=actor(session, m), pin=game.pin)
    session.commit()


def _form(client, **fields):
    token = csrf_from(client.get("/live").text)
    body = {"csrf_token": token, "title": "Đố vui Nghị quyết", "scope_unit_code": "DB-A", "mode": "points", "seconds_per_question": "20"}
    return client.post("/live", data=body | fields, follow_redirects=False)


def test_an_organiser_makes_a_game_from_the_form(client, session, live_world):
    page_login(client, live_world.org_phone)
    home = client.get("/").text
    assert 'href="/live"' in home and 'href="/play"' in home
    page = client.get("/live")
    assert page.status_code == 200 and "Chưa có trò chơi nào." in page.text
    assert re.search(r'<option value="DB-A"\s+selected', page.text)  # the organiser's widest unit
    topic = live_world.questions[0].topic_id
    assert f'<option value="{topic}"' in page.text and "Nghị quyết (6)" in page.text

    made = _form(client, draw_topic_id=[str(topic), ""], draw_difficulty=["", ""], draw_count=["4", ""], streak_bonus="1")
    assert made.status_code == 303
    gid = int(re.fullmatch(r"/live/(\d+)/host", made.headers["location"]).group(1))
    game = session.get(LiveGame, gid)
    assert (game.title, game.mode, game.streak_bonus, games.question_count(session, gid)) == ("Đố vui Nghị quyết", "points", True, 4)
    listed = client.get("/live").text
    assert "Đố vui Nghị quyết" in listed and game.pin in listed and f'href="/live/{gid}/host"' in listed

    elim = _form(client, title="Rung chuông", mode="elimination", survivors="2", draw_topic_id=str(topic), draw_count="3", streak_bonus="1")
    session.rollback()  # a fresh read: the page wrote through its own connection
    game = session.get(LiveGame, int(elim.headers["location"].split("/")[2]))
    assert (game.mode, game.survivors, game.streak_bonus) == ("elimination", 2, False)  # no streak bonus out of points mode


@pytest.mark.parametrize(
    ("fields", "message", "kept"),
    [
        ({"title": " ", "draw_count": "2"}, "Hãy đặt tên cho trò chơi.", 'value="2"'),
        ({"seconds_per_question": "3", "draw_count": "2"}, "Thời gian mỗi câu phải từ 5 đến 120 giây.", 'value="Đố vui Nghị quyết"'),
        ({"seconds_per_question": "nhanh", "draw_count": "2"}, "Ô này cần một số nguyên (đang là nhanh).", 'value="nhanh"'),
        ({"draw_count": "9"}, "Dòng rút câu hỏi 1: chủ đề chỉ còn 6 câu phù hợp.", 'value="9"'),
        ({"draw_count": "2", "draw_difficulty": "hard"}, "Dòng rút câu hỏi 1: chủ đề chỉ còn 0 câu phù hợp.", 'value="hard" selected'),
        ({"draw_topic_id": "", "draw_count": "2"}, "Hãy chọn hoặc rút ít nhất một câu hỏi.", 'value="Đố vui Nghị quyết"'),
        ({"draw_topic_id": "99999999999999999999", "draw_count": "2"}, "Không tìm thấy chủ đề.", 'value="Đố vui Nghị quyết"'),
        ({"draw_count": "2", "scope_unit_code": "DB-B"}, "Đơn vị DB-B nằm ngoài phạm vi bạn được giao.", 'value="Đố vui Nghị quyết"'),
    ],
)
def test_the_form_shows_what_is_wrong_and_keeps_the_values(client, session, live_world, fields, message, kept):
    page_login(client, live_world.org_phone)
    topic = str(live_world.questions[0].topic_id)
    r = _form(client, **({"draw_topic_id": topic} | fields))
    assert r.status_code in (403, 404, 422)
    assert message in r.text and kept in r.text
    assert "Chưa có trò chơi nào." in r.text  # nothing was made


def test_only_organisers_of_the_scope_see_the_console_and_the_screen(client, session, live_world):
    game = _game(session, live_world)
    for path in (f"/live/{game.id}/host", f"/live/{game.id}/screen", f"/live/{game.id}/qr.svg"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    page_login(client, live_world.org_phone)
    host = client.get(f"/live/{game.id}/host").text
    assert f"{game.pin[:3]} {game.pin[3:]}" in host and f'src="/live/{game.id}/qr.svg"' in host and 'data-view="host"' in host
    assert f'href="/live/{game.id}/screen"' in host and 'id="act-next"' in host and 'id="act-rescue-all"' not in host
    screen = client.get(f"/live/{game.id}/screen").text
    assert 'data-view="screen"' in screen and "/play" in screen and "Đăng xuất" not in screen  # no navigation on the projector
    qr = client.get(f"/live/{game.id}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml") and b"<svg" in qr.content
    client.cookies.clear()
    for member in (live_world.players[0], live_world.outside):
        page_login(client, member.phone)
        for path in (f"/live/{game.id}/host", f"/live/{game.id}/screen", f"/live/{game.id}/qr.svg", f"/live/{game.id}/results.xlsx"):
            assert client.get(path).status_code == 404, (member.phone, path)
        assert client.get("/live").status_code == 403
        client.cookies.clear()


def test_a_member_joins_with_the_pin(client, session, live_world):
    game = _game(session, live_world)
    r = client.get(f"/play?pin={game.pin}", follow_redirects=False)
    assert r.status_code == 200 and f'href="/login?next=%2Fplay%3Fpin%3D{game.pin}"' in r.text  # log in, back with the PIN
    assert 'id="members-only"' in r.text and 'id="guest-form"' not in r.text  # this game lets no guests in
    page_login(client, live_world.players[0].phone)
    form = client.get(f"/play?pin={game.pin}").text
    assert f'value="{game.pin}"' in form and "Nguyễn Văn An" in form
    token = csrf_from(form)
    wrong = client.post("/play", data={"pin": "000000" if game.pin != "000000" else "111111", "csrf_token": token})
    assert wrong.status_code == 404 and "Không có trò chơi nào đang chạy với mã PIN này." in wrong.text
    joined = client.post("/play", data={"pin": f"{game.pin[:3]} {game.pin[3:]}", "csrf_token": token}, follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == f"/live/{game.id}/play"
    page = client.get(f"/live/{game.id}/play")
    assert page.status_code == 200 and 'data-view="play"' in page.text and "/static/live.js?v=" in page.text
    client.cookies.clear()

    page_login(client, live_world.outside.phone)
    token = csrf_from(client.get("/play").text)
    outside = client.post("/play", data={"pin": game.pin, "csrf_token": token})
    assert outside.status_code == 403 and "Trò chơi này dành cho" in outside.text
    assert client.get(f"/live/{game.id}/play").status_code == 404
    client.cookies.clear()

    page_login(client, live_world.org_phone)  # a host who does not play goes to the console
    r = client.get(f"/live/{game.id}/play", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/live/{game.id}/host"


def test_the_phone_page_holds_neither_the_question_nor_its_key(client, session, live_world):
    game = _game(session, live_world)
    _join_all(session, game, live_world)
    games.open_next(session=session, actor=live_world.org, game_id=game.id)
    session.commit()
    page_login(client, live_world.players[0].phone)
    html = client.get(f"/live/{game.id}/play").text
    q = games.question_at(session, game.id, 0)
    assert q.text not in html and "correct" not in html
    assert all(f'"{o["text"]}"' not in html and f'data-id="{o["id"]}"' not in html for o in q.options)


def _played(session, live_world):
    """A finished two-question game: An right then wrong, Bình wrong then no answer, Chí nothing."""
    game = _game(session, live_world)
    _join_all(session, game, live_world)
    an, binh = (actor(session, m) for m in live_world.players[:2])
    for answers in ([(an, 0), (binh, 1)], [(an, 2)]):
        games.open_next(session=session, actor=live_world.org, game_id=game.id)
        q = games.question_at(session, game.id, game.question_index)
        for who, k in answers:
            play.answer(session=session, who=who, game_id=game.id, option_ids=[q.options[k]["id"]])
        games.reveal(session=session, actor=live_world.org, game_id=game.id)
        session.commit()
    games.open_next(session=session, actor=live_world.org, game_id=game.id)
    session.commit()
    assert game.status == "finished"
    return game


def test_the_results_page_and_a_players_own_answers(client, session, live_world):
    game = _game(session, live_world)
    _join_all(session, game, live_world)
    page_login(client, live_world.players[0].phone)
    running = client.get(f"/live/{game.id}/results").text
    assert 'id="not-finished"' in running and 'id="my-answers"' not in running
    client.cookies.clear()

    game = _played(session, live_world)
    page_login(client, live_world.players[0].phone)
    page = client.get(f"/live/{game.id}/results").text
    assert 'id="not-finished"' not in page and 'id="xlsx"' not in page
    ranking = page.split('id="ranking"')[1].split("</table>")[0]
    assert ranking.index("Nguyễn Văn An") < ranking.index("Trần Thị Bình") and "Lê Văn Chí" in ranking
    assert 'class="me"' in ranking and "Hạng 1/3" in page
    mine = page.split('id="my-answers"')[1]
    first, second = mine.split('id="a2"')
    assert "Câu 1?" in first and "Đúng" in first and "bạn chọn" in first and "+" in first
    assert "Câu 2?" in second and "Sai" in second
    client.cookies.clear()

    page_login(client, live_world.players[2].phone)
    chi = client.get(f"/live/{game.id}/results").text
    assert chi.count("Không trả lời") == 2
    client.cookies.clear()

    page_login(client, live_world.org_phone)
    host = client.get(f"/live/{game.id}/results").text
    assert 'id="xlsx"' in host and 'id="my-answers"' not in host and "Nguyễn Văn An" in host
    client.cookies.clear()
    page_login(client, live_world.outside.phone)
    assert client.get(f"/live/{game.id}/results").status_code == 404


def test_the_hosts_spreadsheet(client, session, live_world):
    game = _played(session, live_world)
    page_login(client, live_world.org_phone)
    r = client.get(f"/live/{game.id}/results.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "ket-qua-rung-chuong-vang-chi-bo.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    ranking = [tuple(row) for row in book["Xếp hạng"].iter_rows(values_only=True)]
    assert ranking[0] == ("Hạng", "Họ và tên", "Đơn vị", "Điểm", "Số câu đúng")
    assert [row[1] for row in ranking[1:]] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chí"]
    assert ranking[1][0] == 1 and ranking[1][3] > 0 and ranking[1][4] == 1 and ranking[2][3:] == (0, 0)
    questions = [tuple(row) for row in book["Câu hỏi"].iter_rows(values_only=True)]
    assert questions[1] == (1, "Câu 1?", "Đúng", 2, 1) and questions[2] == (2, "Câu 2?", "Đúng", 1, 0)
    notes = [row[0] for row in book["Ghi chú"].iter_rows(values_only=True)]
    assert any("Rung chuông vàng chi bộ" in (n or "") for n in notes)
