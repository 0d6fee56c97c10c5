"""Guests in a live game: people without an account join a game that lets them in with a name and a unit of its
scope, prove who they are with the credential they got (the X-Live-Guest header, or the cookie pages set, whose
writes carry the CSRF token), and are ranked apart from the members: in the state, the results, the units'
standings (members only) and the host's spreadsheet."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.models import LiveGame, LivePlayer
from app.models.types import utcnow
from app.services.live import games, guests, play
from app.services.live.guests import GuestPass
from app.services.live.schemas import LiveGameIn
from tests.factories import actor, api_token, bearer
from tests.pagehelpers import csrf_from, page_login

GUEST = "x-live-guest"
_PAGE_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def _game(session, live_world, *, allow_guests: bool = True, n: int = 2, **extra) -> LiveGame:
    data = LiveGameIn(
        title="Đố vui có khách",
        scope_unit_code="DB-A",
        question_ids=[q.id for q in live_world.questions[:n]],
        allow_guests=allow_guests,
        **extra,
    )
    game = games.create(session=session, actor=live_world.org, data=data)
    session.commit()
    return game


def _join(client, pin: str, full_name: str = "Khách Một", unit_code: str = "CB-A1"):
    return client.post("/api/v1/live-games/join-guest", json={"pin": pin, "full_name": full_name, "unit_code": unit_code})


def _token(client, pin: str, **kw) -> dict[str, str]:
    r = _join(client, pin, **kw)
    assert r.status_code == 200, r.text
    return {GUEST: r.json()["guest_token"]}


def test_a_guest_joins_over_the_api_and_follows_the_game(client, session, live_world):
    game = _game(session, live_world)
    r = _join(client, f"{game.pin[:3]} {game.pin[3:]}", full_name="  Trần   Khách  ")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["game_id"] == game.id and "set-cookie" not in r.headers  # the API sets no cookie
    player_id, token = body["player_id"], body["guest_token"]
    assert token.startswith(f"{player_id}.")
    session.rollback()
    stored = session.get(LivePlayer, player_id)
    assert (stored.member_id, stored.full_name, stored.unit_id) == (None, "Trần Khách", live_world.players[0].unit_id)
    assert stored.guest_key != token.split(".", 1)[1] and len(stored.guest_key) == 64  # only the secret's hash
    for _ in range(2):  # the same credential is the same player
        state = client.get(f"/api/v1/live-games/{game.id}/state", headers={GUEST: token})
        assert state.status_code == 200 and state.json()["me"]["player_id"] == player_id
    assert client.get(f"/api/v1/live-games/{game.id}/results", headers={GUEST: token}).json()["rows"][0]["guest"] is True
    assert client.post(f"/api/v1/live-games/{game.id}/next", headers={GUEST: token}).status_code == 401  # never a host


def test_a_game_made_over_the_api_lets_guests_in_only_when_asked(client, session, live_world):
    host = bearer(api_token(client, live_world.org_phone))
    body = {"title": "Khách?", "scope_unit_code": "DB-A", "question_ids": [live_world.questions[0].id]}
    closed = client.post("/api/v1/live-games", json=body, headers=host).json()
    opened = client.post("/api/v1/live-games", json=body | {"allow_guests": True}, headers=host).json()
    assert (session.get(LiveGame, closed["id"]).allow_guests, session.get(LiveGame, opened["id"]).allow_guests) == (False, True)
    refused = _join(client, closed["pin"])
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden" and "đăng nhập" in refused.json()["detail"]
    assert _join(client, opened["pin"]).status_code == 200


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"unit_code": "CB-B1"}, 422, "unit"),  # outside the game's scope
        ({"unit_code": "KHONG-CO"}, 422, "unit"),
        ({"unit_code": ""}, 422, "unit"),
        ({"full_name": "   "}, 422, "full_name"),
        ({"full_name": "A"}, 422, "full_name"),
        ({"full_name": "\u200bB\u200b"}, 422, "full_name"),  # one letter once the invisible ones are gone
    ],
)
def test_a_guest_who_cannot_join_is_told_why(client, session, live_world, fields, status, field):
    game = _game(session, live_world)
    r = _join(client, game.pin, **fields)
    assert r.status_code == status and r.json()["field"] == field and r.json()["detail"], r.text
    session.rollback()
    assert session.exec(select(LivePlayer)).all() == []


def test_no_game_for_the_pin(client, session, live_world):
    game = _game(session, live_world)
    wrong = "000000" if game.pin != "000000" else "111111"
    r = _join(client, wrong)
    assert r.status_code == 404 and r.json()["detail"] == "Không có trò chơi nào đang chạy với mã PIN này."


def test_a_wrong_or_missing_credential_is_refused_as_unauthenticated(client, session, live_world):
    game = _game(session, live_world)
    token = _token(client, game.pin)[GUEST]
    player_id, secret = token.split(".", 1)
    other = _game(session, live_world)
    for bad in (f"{player_id}.{secret[:-2]}xx", f"{player_id}.", "abc", f"{int(player_id) + 1}.{secret}", "9" * 40 + "." + secret, ""):
        for path in ("state", "results", "events"):
            r = client.get(f"/api/v1/live-games/{game.id}/{path}", headers={GUEST: bad})
            assert r.status_code == 401, (bad, path, r.text)
            assert set(r.json()) >= {"error", "detail"} and r.json()["error"] == "Unauthorized"
    assert client.get(f"/api/v1/live-games/{other.id}/state", headers={GUEST: token}).status_code == 401  # another game's
    assert client.get(f"/api/v1/live-games/{game.id}/state").status_code == 401


def test_a_guest_answers_once_and_sees_no_key_before_the_reveal(client, session, live_world):
    game = _game(session, live_world)
    guest = _token(client, game.pin)
    games.open_next(session=session, actor=live_world.org, game_id=game.id)
    session.commit()
    shown = client.get(f"/api/v1/live-games/{game.id}/state", headers=guest).json()
    assert shown["correct_option_ids"] is None and "correct" not in json.dumps(shown["question"])
    assert shown["me"]["answered"] is False and shown["me"]["rank"] is None
    right, wrong = (o["id"] for o in shown["question"]["options"][:2])
    first = client.put(f"/api/v1/live-games/{game.id}/answer", json={"option_ids": [right]}, headers=guest)
    assert first.status_code == 200, first.text
    second = client.put(f"/api/v1/live-games/{game.id}/answer", json={"option_ids": [wrong]}, headers=guest)
    assert second.status_code == 409
    assert client.get(f"/api/v1/live-games/{game.id}/state", headers=guest).json()["me"]["answered"] is True
    games.reveal(session=session, actor=live_world.org, game_id=game.id)
    session.commit()
    mine = client.get(f"/api/v1/live-games/{game.id}/state", headers=guest).json()["me"]
    assert mine["correct"] is True and mine["rank"] == 1


def test_a_guest_who_joins_an_elimination_game_late_is_out(client, session, live_world):
    game = _game(session, live_world, mode="elimination")
    games.open_next(session=session, actor=live_world.org, game_id=game.id)
    session.commit()
    guest = _token(client, game.pin)
    me = client.get(f"/api/v1/live-games/{game.id}/state", headers=guest).json()["me"]
    assert me["alive"] is False  # the same rule as a member's late join (games.new_player)
    option = client.get(f"/api/v1/live-games/{game.id}/state", headers=guest).json()["question"]["options"][0]["id"]
    assert client.put(f"/api/v1/live-games/{game.id}/answer", json={"option_ids": [option]}, headers=guest).status_code == 403


def test_a_members_login_wins_over_a_guests_credential(client, session, live_world):
    game = _game(session, live_world)
    guest = _token(client, game.pin)
    an = bearer(api_token(client, live_world.players[0].phone))
    joined = client.post("/api/v1/live-games/join", json={"pin": game.pin}, headers=an).json()
    state = client.get(f"/api/v1/live-games/{game.id}/state", headers=an | guest).json()
    assert state["me"]["player_id"] == joined["player_id"]
    outside = bearer(api_token(client, live_world.outside.phone))  # a member who does not play stays one
    assert client.get(f"/api/v1/live-games/{game.id}/state", headers=outside | guest).status_code == 404


def test_guest_joins_are_limited_per_address(client, session, live_world, app, monkeypatch):
    monkeypatch.setattr(app.state.settings, "live_guest_joins_per_ip", 2)
    game = _game(session, live_world)
    wrong = "000000" if game.pin != "000000" else "111111"
    assert _join(client, wrong).status_code == 404  # a PIN guessed wrong counts too
    assert _join(client, game.pin).status_code == 200
    r = _join(client, game.pin)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "phút" in r.json()["detail"]


# --- ranked apart -------------------------------------------------------------------------------------------------------
def _hand_computed(session, live_world) -> tuple[LiveGame, dict[str, str]]:
    """One 20 s question: An right at 2 s (950), Bình wrong, Chí (A2) right at 10 s (750); guest Giang (says A1)
    right at once (1000), guest Hà (says A2) right at 4 s (900)."""
    game = _game(session, live_world, n=1, seconds_per_question=20)
    an, binh, chi = (actor(session, m) for m in live_world.players)
    for m in (an, binh, chi):
        play.join(session=session, actor=m, pin=game.pin)
    _g, _p, giang = guests.join(session=session, pin=game.pin, full_name="Khách Giang", unit_code="CB-A1", per_ip=10)
    _g, _p, ha = guests.join(session=session, pin=game.pin, full_name="Khách Hà", unit_code="CB-A2", per_ip=10)
    t0 = utcnow()
    games.open_next(session=session, actor=live_world.org, game_id=game.id, now=t0)
    q = games.question_at(session, game.id, 0)
    right, wrong = q.correct_ids[0], next(o["id"] for o in q.options if o["id"] not in q.correct_ids)
    for who, option, at_ms in (
        (an, right, 2000),
        (binh, wrong, 3000),
        (chi, right, 10_000),
        (GuestPass(giang), right, 0),
        (GuestPass(ha), right, 4000),
    ):
        play.answer(session=session, who=who, game_id=game.id, option_ids=[option], now=t0 + timedelta(milliseconds=at_ms))
    games.reveal(session=session, actor=live_world.org, game_id=game.id, now=t0 + timedelta(seconds=11))
    session.commit()
    return game, {"giang": giang, "ha": ha}


def test_members_and_guests_are_ranked_apart_and_units_count_members_only(client, session, live_world):
    game, creds = _hand_computed(session, live_world)
    host = bearer(api_token(client, live_world.org_phone))
    board = client.get(f"/api/v1/live-games/{game.id}/results", headers=host).json()
    assert [(r["rank"], r["player"]["full_name"], r["score"], r["guest"]) for r in board["rows"]] == [
        (1, "Nguyễn Văn An", 950, False),
        (2, "Lê Văn Chí", 750, False),
        (3, "Trần Thị Bình", 0, False),
        (1, "Khách Giang", 1000, True),
        (2, "Khách Hà", 900, True),
    ]
    # the units of the moment, without the guests' self-declared units: A2 (Chí alone) 750, A1 (An, Bình) 475
    assert [(u["rank"], u["unit"], u["players"], u["average_score"]) for u in board["units"]] == [
        (1, "Đơn vị CB-A2", 1, 750.0),
        (2, "Đơn vị CB-A1", 2, 475.0),
    ]
    # each player's own rank is the one inside their group
    assert client.get(f"/api/v1/live-games/{game.id}/state", headers={GUEST: creds["ha"]}).json()["me"]["rank"] == 2
    an = bearer(api_token(client, live_world.players[0].phone))
    assert client.get(f"/api/v1/live-games/{game.id}/state", headers=an).json()["me"]["rank"] == 1
    assert client.get(f"/api/v1/live-games/{game.id}/results", headers={GUEST: creds["giang"]}).json() == board


def test_the_spreadsheet_keeps_the_guests_apart(client, session, live_world):
    game, _creds = _hand_computed(session, live_world)
    games.open_next(session=session, actor=live_world.org, game_id=game.id)  # the last question: finished
    session.commit()
    page_login(client, live_world.org_phone)
    r = client.get(f"/live/{game.id}/results.xlsx")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    members = [tuple(row) for row in book["Xếp hạng"].iter_rows(values_only=True)]
    assert [(row[0], row[1]) for row in members[1:]] == [(1, "Nguyễn Văn An"), (2, "Lê Văn Chí"), (3, "Trần Thị Bình")]
    guest_rows = [tuple(row) for row in book["Khách mời"].iter_rows(values_only=True)]
    assert guest_rows[0] == ("Hạng", "Họ và tên", "Đơn vị", "Điểm", "Số câu đúng")
    assert guest_rows[1:] == [(1, "Khách Giang", "Đơn vị CB-A1", 1000, 1), (2, "Khách Hà", "Đơn vị CB-A2", 900, 1)]
    notes = " ".join(str(row[0] or "") for row in book["Ghi chú"].iter_rows(values_only=True))
    assert "Khách mời" in notes


def test_the_results_page_shows_the_guests_table_apart(client, session, live_world):
    game, creds = _hand_computed(session, live_world)
    games.open_next(session=session, actor=live_world.org, game_id=game.id)
    session.commit()
    client.cookies.set("hoithi_live_guest", creds["ha"])
    page = client.get(f"/live/{game.id}/results")
    assert page.status_code == 200, page.text
    members = page.text.split('id="ranking"')[1].split("</table>")[0]
    guests_table = page.text.split('id="guest-ranking"')[1].split("</table>")[0]
    assert "Nguyễn Văn An" in members and "Khách Giang" not in members
    assert guests_table.index("Khách Giang") < guests_table.index("Khách Hà") and 'class="me"' in guests_table
    assert "Hạng 2/2" in page.text and "trong số khách mời" in page.text
    mine = page.text.split('id="my-answers"')[1]
    assert "Câu 1?" in mine and "bạn chọn" in mine  # the guest's own answers, the game being over
    assert "Đăng xuất" not in page.text and 'id="xlsx"' not in page.text  # no account, not a host
    assert client.get(f"/live/{game.id}/results.xlsx", follow_redirects=False).status_code == 303  # the host's only


# --- pages ----------------------------------------------------------------------------------------------------------------
def test_someone_not_logged_in_joins_by_the_form_and_plays(client, session, live_world):
    game = _game(session, live_world)
    page = client.get(f"/play?pin={game.pin}")
    assert page.status_code == 200 and 'id="guest-form"' in page.text and 'id="units-cut"' not in page.text
    assert f'href="/login?next=%2Fplay%3Fpin%3D{game.pin}"' in page.text and "Đăng nhập để chơi" in page.text
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', page.text.split('id="f-unit_code"')[1].split("</select>")[0])
    assert [code for code, _ in options] == ["", "DB-A", "CB-A1", "CB-A2"]  # the game's scope, in tree order
    assert options[2][1].startswith("— ")  # indented by depth
    token = csrf_from(page.text)

    short = client.post("/play/guest", data={"csrf_token": token, "pin": game.pin, "full_name": "X", "unit_code": "CB-A2"})
    assert short.status_code == 422 and "Họ và tên cần từ 2 đến 120 ký tự." in short.text
    assert 'value="X"' in short.text and re.search(r'<option value="CB-A2"\s+selected', short.text)  # kept
    assert client.post("/play/guest", data={"pin": game.pin, "full_name": "Khách Ba", "unit_code": "CB-A2"}).status_code == 403  # no CSRF

    joined = client.post(
        "/play/guest", data={"csrf_token": token, "pin": game.pin, "full_name": "Khách Ba", "unit_code": "CB-A2"}, follow_redirects=False
    )
    assert joined.status_code == 303 and joined.headers["location"] == f"/live/{game.id}/play"
    cookie = joined.headers["set-cookie"]
    assert cookie.startswith("hoithi_live_guest=") and "HttpOnly" in cookie and "Path=/" in cookie and "Max-Age=43200" in cookie
    assert "samesite=lax" in cookie.lower()
    play_page = client.get(f"/live/{game.id}/play")
    assert play_page.status_code == 200 and 'data-view="play"' in play_page.text and "Khách Ba" in play_page.text
    again = client.get(f"/play?pin={game.pin}").text  # back at the PIN page: the way back into the game
    assert 'id="joined-already"' in again and f'href="/live/{game.id}/play"' in again

    # the answer from the page: the guest cookie, so the CSRF token of the page is needed
    games.open_next(session=session, actor=live_world.org, game_id=game.id)
    session.commit()
    option = games.question_at(session, game.id, 0).options[0]["id"]
    url = f"/api/v1/live-games/{game.id}/answer"
    refused = client.put(url, json={"option_ids": [option]})
    assert refused.status_code == 403 and refused.json()["reason"] == "csrf"
    csrf = _PAGE_CSRF.search(client.get(f"/live/{game.id}/play").text).group(1)
    assert client.put(url, json={"option_ids": [option]}, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_the_pin_page_for_someone_not_logged_in_says_what_is_wrong(client, session, live_world, monkeypatch):
    empty = client.get("/play")
    assert empty.status_code == 200 and 'id="pin-form"' in empty.text and 'id="login-to-play"' in empty.text
    game = _game(session, live_world)
    wrong = "000000" if game.pin != "000000" else "111111"
    missing = client.get(f"/play?pin={wrong}")
    assert (
        missing.status_code == 404 and "Không có trò chơi nào đang chạy với mã PIN này." in missing.text and 'id="pin-form"' in missing.text
    )
    monkeypatch.setattr(guests, "UNIT_CHOICES", 2)  # the scope and its two cells are 3: only the first level fits
    cut = client.get(f"/play?pin={game.pin}").text
    options = cut.split('id="f-unit_code"')[1].split("</select>")[0]
    assert 'value="DB-A"' in options and 'value="CB-A1"' not in options and 'id="units-cut"' in cut
    assert client.get(f"/live/{game.id}/play", follow_redirects=False).status_code == 303  # no credential: to log in


def test_a_stale_login_gives_way_to_the_guest_and_a_member_keeps_the_member_flow(client, session, live_world):
    game = _game(session, live_world)
    client.cookies.set("hoithi_live_guest", _token(client, game.pin)[GUEST])
    client.cookies.set("hoithi_token", "expired-or-forged")
    assert client.get(f"/live/{game.id}/play").status_code == 200  # the guest plays on
    client.cookies.clear()
    page_login(client, live_world.players[0].phone)
    member = client.get(f"/play?pin={game.pin}").text
    assert 'id="guest-form"' not in member and "Nguyễn Văn An" in member  # today's PIN form
    token = csrf_from(member)
    r = client.post(
        "/play/guest", data={"csrf_token": token, "pin": game.pin, "full_name": "Khách", "unit_code": "CB-A1"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"/play?pin={game.pin}"  # a member plays as themself
    session.rollback()
    assert len(session.exec(select(LivePlayer)).all()) == 1  # the one guest above only


def test_the_form_makes_a_game_for_guests_only_when_ticked(client, session, live_world):
    page_login(client, live_world.org_phone)
    page = client.get("/live").text
    assert 'name="allow_guests"' in page and not re.search(r'name="allow_guests"[^>]*checked', page)  # off by default
    topic = str(live_world.questions[0].topic_id)
    base = {"csrf_token": csrf_from(page), "title": "Có khách", "scope_unit_code": "DB-A", "mode": "points", "seconds_per_question": "20"}
    made = client.post("/live", data=base | {"draw_topic_id": topic, "draw_count": "2", "allow_guests": "1"}, follow_redirects=False)
    gid = int(made.headers["location"].split("/")[2])
    session.rollback()
    assert session.get(LiveGame, gid).allow_guests is True
    assert "khách không cần tài khoản được vào chơi" in client.get(f"/live/{gid}/host").text
    plain = client.post("/live", data=base | {"draw_topic_id": topic, "draw_count": "2"}, follow_redirects=False)
    gid = int(plain.headers["location"].split("/")[2])
    session.rollback()
    assert session.get(LiveGame, gid).allow_guests is False
    assert "chỉ người có tài khoản được vào chơi" in client.get(f"/live/{gid}/host").text


def test_the_guest_cookie_is_secure_unless_told_otherwise(settings):
    from fastapi.responses import RedirectResponse

    from app.routers.pages.common import set_private_cookie

    response = RedirectResponse("/")
    set_private_cookie(response, "hoithi_live_guest", "1.x", max_age=60, settings=settings.model_copy(update={"insecure_cookies": False}))
    assert "Secure" in response.headers["set-cookie"]
