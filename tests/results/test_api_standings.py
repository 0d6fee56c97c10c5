"""POST /rounds/{id}/close, GET standings, unit-standings and contest standings, and question re-score."""

from __future__ import annotations

from sqlmodel import select

from app.models import Member
from tests.factories import api_token, bearer, make_member
from tests.fixtures.results import add


def _login(client, session, member: Member, phone: str) -> dict:
    member.phone = phone
    session.add(member)
    session.commit()
    return bearer(api_token(client, phone))


def test_close_and_read_standings(client, session, results_arena):
    r1 = results_arena.rounds[0]
    t = results_arena.tree
    people = [make_member(session, u) for u in (t.a1, t.a1, t.b1)]
    for m, score in zip(people, (4, 5, 3), strict=True):
        add(session, r1, m, score=score, prediction=1)
    session.commit()
    member = _login(client, session, people[0], "0911000101")
    r2 = results_arena.rounds[1]  # open, results after close: no ranking yet
    early = client.get(f"/api/v1/rounds/{r2.id}/standings", headers=member)
    assert early.status_code == 409 and early.json()["detail"] == "Bảng xếp hạng được công bố sau khi vòng thi đóng."
    assert client.post(f"/api/v1/rounds/{r1.id}/close", headers=member).status_code == 403
    org = _login(client, session, session.get(Member, results_arena.org.id), "0911000100")
    closed = client.post(f"/api/v1/rounds/{r1.id}/close", headers=org)
    assert closed.status_code == 200, closed.text
    assert closed.json() | {"closed_at": None} == {
        "id": r1.id,
        "status": "closed",
        "closed_at": None,
        "prediction_truth": 1,
        "totals": {"participants": 3, "attempts": 3, "perfect_scorers": 1},
    }
    board = client.get(f"/api/v1/rounds/{r1.id}/standings", headers=member).json()
    assert board["total"] == 3
    assert [(row["rank"], row["member"]["id"], row["score"], row["prediction_error"]) for row in board["rows"]] == [
        (1, people[1].id, 5, 0),
        (2, people[0].id, 4, 0),
        (3, people[2].id, 3, 0),
    ]
    assert set(board["rows"][0]) == {
        "rank",
        "member",
        "unit",
        "score",
        "correct_count",
        "prediction",
        "prediction_error",
        "duration_ms",
        "submitted_at",
    }
    assert board["rows"][0]["unit"] == {"code": "CB-A1", "name": t.a1.name}
    assert "phone" not in str(board) and "0911000101" not in str(board)
    cell = client.get(f"/api/v1/rounds/{r1.id}/standings?unit_code=CB-A1&limit=1&offset=1", headers=member).json()
    assert cell["total"] == 2 and [(row["rank"], row["member"]["id"]) for row in cell["rows"]] == [(2, people[0].id)]
    units = client.get(f"/api/v1/rounds/{r1.id}/unit-standings", headers=member).json()["rows"]
    assert [(u["unit"]["code"], u["participants"], u["rank"]) for u in units] == [("DB-A", 2, 1), ("DB-B", 1, 2)]
    sub = client.get(f"/api/v1/rounds/{r1.id}/unit-standings?parent_code=DB-A", headers=member).json()["rows"]
    assert [(u["unit"]["code"], u["participation_rate"], u["average_score"]) for u in sub] == [("CB-A1", 0.2, 4.5), ("CB-A2", 0.0, None)]
    contest = client.get(f"/api/v1/contests/{results_arena.contest.id}/standings", headers=member).json()
    assert [row["member"]["id"] for row in contest["rows"]] == [people[1].id, people[0].id, people[2].id]
    assert client.get(f"/api/v1/rounds/{r1.id}/standings?unit_code=NOPE", headers=member).status_code == 404
    assert client.get(f"/api/v1/rounds/{r1.id}/standings?limit=100000", headers=member).status_code == 422


def test_outsiders_see_no_board(client, session, results_arena):
    from tests.factories import make_unit

    elsewhere = make_unit(session, "OTHER", name="Đảng bộ khác")
    stranger = _login(client, session, make_member(session, elsewhere), "0911000102")
    assert client.get(f"/api/v1/rounds/{results_arena.rounds[0].id}/standings", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/rounds/{results_arena.rounds[0].id}/unit-standings", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/contests/{results_arena.contest.id}/standings", headers=stranger).status_code == 404


def test_rescore_over_the_api_needs_an_organiser(client, session, results_arena):
    from app.models import Question

    qid = session.exec(select(Question.id)).first()
    member = _login(client, session, make_member(session, results_arena.tree.a1), "0911000103")
    assert client.post(f"/api/v1/questions/{qid}/rescore", headers=member).status_code == 403
    org = _login(client, session, session.get(Member, results_arena.org.id), "0911000100")
    r = client.post(f"/api/v1/questions/{qid}/rescore", headers=org)
    assert r.status_code == 200 and r.json() == {
        "question_id": qid,
        "attempts_changed": 0,
        "scores_changed": 0,
        "rounds": [],
        "sealed_skipped": 0,
        "unmatched": 0,
    }
