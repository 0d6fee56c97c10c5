"""A live game over the API: made by an organiser, joined with its PIN, hosted question by question; one answer
per player and question, inside the server's window; the key in no payload before the reveal; the scope of
who may host and who may join; the results."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from app.errors import Conflict
from app.models import LiveAnswer, LiveGame
from app.services.live import play
from tests.factories import actor, api_token, bearer


@pytest.fixture
def tokens(client, live_world):
    host = bearer(api_token(client, live_world.org_phone))
    players = [bearer(api_token(client, m.phone)) for m in live_world.players]
    return host, players


def _make(client, host, live_world, **extra):
    body = {"title": "Rung chuông vàng chi bộ", "scope_unit_code": "DB-A", "question_ids": [q.id for q in live_world.questions[:3]]}
    r = client.post("/api/v1/live-games", json=body | extra, headers=host)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_points_game_from_lobby_to_results(client, session, live_world, tokens):
    host, players = tokens
    made = _make(client, host, live_world, seconds_per_question=20)
    assert made["status"] == "lobby" and len(made["pin"]) == 6
    gid = made["id"]
    for p in players:
        r = client.post("/api/v1/live-games/join", json={"pin": made["pin"]}, headers=p)
        assert r.status_code == 200 and r.json()["game_id"] == gid
    again = client.post("/api/v1/live-games/join", json={"pin": f" {made['pin'][:3]} {made['pin'][3:]} "}, headers=players[0])
    assert again.json()["player_id"] == client.get(f"/api/v1/live-games/{gid}/state", headers=players[0]).json()["me"]["player_id"]
    lobby = client.get(f"/api/v1/live-games/{gid}/state", headers=host).json()
    assert (lobby["status"], lobby["players"], lobby["question"]) == ("lobby", 3, None)

    assert client.post(f"/api/v1/live-games/{gid}/next", headers=host).json() == {"status": "question", "question_index": 0}
    shown = client.get(f"/api/v1/live-games/{gid}/state", headers=players[0])
    body = shown.json()
    assert body["question"]["text"] == "Câu 1?" and body["deadline_at"] and body["me"]["answered"] is False
    assert "correct" not in json.dumps(body["question"]) and body["correct_option_ids"] is None
    right, wrong = (o["id"] for o in body["question"]["options"][:2])

    assert client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [right]}, headers=players[0]).status_code == 200
    second = client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [wrong]}, headers=players[0])
    assert second.status_code == 409  # one answer per player and question: the first stays
    assert client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [wrong]}, headers=players[1]).status_code == 200
    two = client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [right, wrong]}, headers=players[2])
    assert two.status_code == 422  # one right option: choose one
    assert client.get(f"/api/v1/live-games/{gid}/state", headers=players[0]).json()["me"]["answered"] is True
    assert client.get(f"/api/v1/live-games/{gid}/state", headers=host).json()["answered_count"] == 2  # the host's only
    assert client.get(f"/api/v1/live-games/{gid}/state", headers=players[0]).json()["answered_count"] is None

    revealed = client.post(f"/api/v1/live-games/{gid}/reveal", headers=host).json()
    assert revealed["correct_option_ids"] == [right]
    assert {d["option_id"]: d["count"] for d in revealed["distribution"]}[wrong] == 1
    late = client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [right]}, headers=players[2])
    assert late.status_code == 409  # the window closed at the reveal
    mine = client.get(f"/api/v1/live-games/{gid}/state", headers=players[0]).json()["me"]
    assert mine["correct"] is True and 500 <= mine["points"] <= 1000 and mine["rank"] == 1
    assert client.get(f"/api/v1/live-games/{gid}/state", headers=players[1]).json()["me"]["correct"] is False

    board = client.get(f"/api/v1/live-games/{gid}/results", headers=players[2]).json()
    rows = board["rows"]
    assert [r["player"]["full_name"] for r in rows][0] == "Nguyễn Văn An" and rows[0]["score"] == mine["points"]
    assert [r["rank"] for r in rows] == [1, 2, 2]
    # the units of the moment: A1's two players average half of An's points, A2's one player has none
    assert [(u["rank"], u["unit"], u["players"], u["average_score"]) for u in board["units"]] == [
        (1, rows[0]["unit"], 2, round(mine["points"] / 2, 1)),
        (2, rows[2]["unit"], 1, 0.0),
    ]
    for _ in range(2):
        client.post(f"/api/v1/live-games/{gid}/next", headers=host)
        client.post(f"/api/v1/live-games/{gid}/reveal", headers=host)
    assert client.post(f"/api/v1/live-games/{gid}/next", headers=host).json()["status"] == "finished"
    assert client.post(f"/api/v1/live-games/{gid}/next", headers=host).status_code == 409


def test_who_may_host_and_who_may_join(client, live_world, tokens):
    host, players = tokens
    made = _make(client, host, live_world)
    gid = made["id"]
    outsider = bearer(api_token(client, live_world.outside.phone))
    refused = client.post("/api/v1/live-games/join", json={"pin": made["pin"]}, headers=outsider)
    assert refused.status_code == 403 and "dành cho" in refused.json()["detail"]
    assert (
        client.post(
            "/api/v1/live-games/join", json={"pin": "000000" if made["pin"] != "000000" else "111111"}, headers=outsider
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/live-games/{gid}/next", headers=players[0]).status_code == 404  # a player does not host
    assert client.get(f"/api/v1/live-games/{gid}/state", headers=outsider).status_code == 404
    made_by_member = client.post(
        "/api/v1/live-games", json={"title": "x", "scope_unit_code": "DB-A", "question_ids": [1]}, headers=players[0]
    )
    assert made_by_member.status_code == 403


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"seconds_per_question": 2}, "seconds_per_question"),
        ({"question_ids": []}, "question_ids"),
        ({"question_ids": [999999]}, "question_ids"),
        ({"title": "   "}, "title"),
        ({"draw": [{"topic_id": 1, "count": 0}]}, "draw"),
    ],
)
def test_a_game_that_cannot_be_made_says_why(client, live_world, tokens, extra, field):
    host, _ = tokens
    body = {"title": "Trò chơi", "scope_unit_code": "DB-A", "question_ids": [live_world.questions[0].id]} | extra
    r = client.post("/api/v1/live-games", json=body, headers=host)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["detail"]


def test_the_window_is_the_servers(session, client, live_world, tokens):
    host, players = tokens
    gid = _make(client, host, live_world, seconds_per_question=10)["id"]
    client.post("/api/v1/live-games/join", json={"pin": session.get(LiveGame, gid).pin}, headers=players[0])
    client.post(f"/api/v1/live-games/{gid}/next", headers=host)
    session.commit()  # a fresh read of what the requests wrote
    game = session.get(LiveGame, gid)
    option = play.snapshot(session=session, game_id=gid).state.question.options[0].id
    who = actor(session, live_world.players[0])
    too_late = game.deadline_at + timedelta(milliseconds=play.GRACE_MS + 1)
    with pytest.raises(Conflict):
        play.answer(session=session, who=who, game_id=gid, option_ids=[option], now=too_late)
    just_in = play.answer(
        session=session, who=who, game_id=gid, option_ids=[option], now=game.deadline_at + timedelta(milliseconds=play.GRACE_MS)
    )
    assert just_in.elapsed_ms == 10_000 + play.GRACE_MS  # measured by the server from the opening
    session.commit()
    assert session.exec(select(LiveAnswer)).one().option_ids == [option]


def test_pause_and_resume_keep_the_time_left(session, client, live_world, tokens):
    host, players = tokens
    gid = _make(client, host, live_world, seconds_per_question=20)["id"]
    client.post(f"/api/v1/live-games/{gid}/next", headers=host)
    assert client.post(f"/api/v1/live-games/{gid}/pause", headers=host).status_code == 200
    paused = client.get(f"/api/v1/live-games/{gid}/state", headers=host).json()
    assert paused["paused"] is True and 19_000 <= paused["paused_left_ms"] <= 20_000  # the time left, frozen
    client.post("/api/v1/live-games/join", json={"pin": session.get(LiveGame, gid).pin}, headers=players[0])
    option = paused["question"]["options"][0]["id"]
    assert client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [option]}, headers=players[0]).status_code == 409
    assert client.post(f"/api/v1/live-games/{gid}/resume", headers=host).status_code == 200
    session.commit()
    game = session.get(LiveGame, gid)
    left = (game.deadline_at - game.opened_at).total_seconds()
    assert 19.5 <= left <= 20.0  # the window's length is unchanged: the pause is not counted
    assert client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [option]}, headers=players[0]).status_code == 200


def test_an_elimination_game_with_a_rescue(client, session, live_world, tokens):
    host, players = tokens
    made = _make(client, host, live_world, mode="elimination", question_ids=[q.id for q in live_world.questions[:4]], survivors=1)
    gid = made["id"]
    for p in players:
        client.post("/api/v1/live-games/join", json={"pin": made["pin"]}, headers=p)

    def ask(answers: dict[int, int]) -> None:
        client.post(f"/api/v1/live-games/{gid}/next", headers=host)
        options = client.get(f"/api/v1/live-games/{gid}/state", headers=host).json()["question"]["options"]
        for who, which in answers.items():
            r = client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [options[which]["id"]]}, headers=players[who])
            assert r.status_code == 200, r.text
        client.post(f"/api/v1/live-games/{gid}/reveal", headers=host)

    ask({0: 0, 1: 0, 2: 1})  # chi is wrong: out
    assert client.get(f"/api/v1/live-games/{gid}/state", headers=players[2]).json()["me"]["alive"] is False
    client.post(f"/api/v1/live-games/{gid}/next", headers=host)
    options = client.get(f"/api/v1/live-games/{gid}/state", headers=host).json()["question"]["options"]
    out = client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [options[0]["id"]]}, headers=players[2])
    assert out.status_code == 403  # a player who is out does not answer
    client.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [options[0]["id"]]}, headers=players[0])
    client.post(f"/api/v1/live-games/{gid}/reveal", headers=host)  # binh did not answer: out
    assert client.post(f"/api/v1/live-games/{gid}/rescue", json={"mode": "question"}, headers=host).status_code == 200
    ask({1: 0, 2: 1})  # the rescue question: binh right, back in; chi wrong, still out
    states = [client.get(f"/api/v1/live-games/{gid}/state", headers=p).json()["me"]["alive"] for p in players]
    assert states == [True, True, False]
    ask({0: 0, 1: 1})  # binh wrong: out; an alone is left
    assert client.post(f"/api/v1/live-games/{gid}/next", headers=host).json()["status"] == "finished"
    rows = client.get(f"/api/v1/live-games/{gid}/results", headers=host).json()["rows"]
    assert [(r["rank"], r["player"]["full_name"], r["alive"]) for r in rows] == [
        (1, "Nguyễn Văn An", True),
        (2, "Trần Thị Bình", False),
        (3, "Lê Văn Chí", False),
    ]
