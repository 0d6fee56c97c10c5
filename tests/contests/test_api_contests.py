"""Contests and rounds over the API, as the public API contract fixes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _bank(client, headers, n_easy=6):
    topic = client.post("/api/v1/topics", headers=headers, json={"name": "Dịch vụ công trực tuyến"}).json()
    ids = []
    for i in range(n_easy):
        r = client.post(
            "/api/v1/questions",
            headers=headers,
            json={
                "topic_id": topic["id"],
                "kind": "true_false",
                "text": f"Khẳng định số {i} đúng không?",
                "difficulty": "easy",
                "options": [{"text": "Đúng", "correct": True}, {"text": "Sai", "correct": False}],
            },
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return topic["id"], ids


def _contest(topic_id, ids, *, start=datetime(2031, 3, 3, 8, 0), scope="DB-A"):
    week = timedelta(weeks=1)
    return {
        "title": "Tìm hiểu Nghị quyết",
        "rules_text": "**Thể lệ**",
        "scope_unit_code": scope,
        "tie_break": ["score", "duration", "prediction_error"],
        "rounds": [
            {
                "title": "Tuần 1",
                "opens_at": start.isoformat(),
                "closes_at": (start + week).isoformat(),
                "question_ids": ids[:3],
                "prediction": {"kind": "participants", "prompt": "Bao nhiêu người?"},
            },
            {
                "title": "Tuần 2",
                "opens_at": (start + week).isoformat() + "+07:00",
                "closes_at": (start + 2 * week).isoformat() + "+07:00",
                "draw": [{"topic_id": topic_id, "difficulty": "easy", "count": 4}, {"topic_id": topic_id, "difficulty": None, "count": 2}],
                "attempts_allowed": 0,
                "counted_attempt": "first_perfect",
                "cooldown_s": 600,
            },
        ],
    }


def test_create_get_publish(client, api_tokens):
    topic_id, ids = _bank(client, api_tokens.org_a)
    r = client.post("/api/v1/contests", headers=api_tokens.org_a, json=_contest(topic_id, ids))
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["status"] == "draft" and c["scope_unit_code"] == "DB-A" and len(c["slug"]) == 7
    assert c["tie_break"] == ["score", "duration", "prediction_error"]
    r1, r2 = c["rounds"]
    assert r1["opens_at"] == "2031-03-03T08:00:00+07:00" and r1["closes_at"] == "2031-03-10T08:00:00+07:00"
    assert r1["question_ids"] == ids[:3] and r1["time_limit_s"] == 900 and r1["attempts_allowed"] == 1
    assert r1["prediction"] == {"kind": "participants", "prompt": "Bao nhiêu người?", "lock_first": True}
    assert r2["draw"] == [{"topic_id": topic_id, "difficulty": "easy", "count": 4}, {"topic_id": topic_id, "difficulty": None, "count": 2}]
    assert (r2["question_count"], r2["attempts_allowed"], r2["counted_attempt"], r2["cooldown_s"]) == (6, 0, "first_perfect", 600)
    for key in ("id", "position", "title", "shuffle_questions", "shuffle_options", "points_per_question", "results_visibility"):
        assert key in r1
    assert any("03/03/2031 08:00" in line for line in c["rules_summary"])
    got = client.get(f"/api/v1/contests/{c['id']}", headers=api_tokens.org_a)
    assert got.status_code == 200 and got.json() == c
    r = client.post(f"/api/v1/contests/{c['id']}/publish", headers=api_tokens.org_a)
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert r.json()["published_at"].endswith("+07:00")
    r = client.post(f"/api/v1/contests/{c['id']}/publish", headers=api_tokens.org_a)
    assert r.status_code == 409 and r.json()["error"] == "Conflict"
    assert [x["id"] for x in client.get("/api/v1/contests", headers=api_tokens.org_a).json()] == [c["id"]]


def test_errors_name_the_round_and_field(client, api_tokens):
    topic_id, ids = _bank(client, api_tokens.org_a)
    data = _contest(topic_id, ids)
    data["rounds"][1]["closes_at"] = data["rounds"][1]["opens_at"]
    r = client.post("/api/v1/contests", headers=api_tokens.org_a, json=data)
    assert r.status_code == 422
    assert r.json() == {
        "error": "ValidationError",
        "field": "rounds.1.closes_at",
        "detail": "Vòng 2: thời gian đóng phải sau thời gian mở.",
    }
    data = _contest(topic_id, ids)
    data["rounds"][1]["draw"][1]["count"] = 3
    r = client.post("/api/v1/contests", headers=api_tokens.org_a, json=data)
    assert r.status_code == 422 and r.json()["field"] == "rounds.1.draw"
    assert r.json()["detail"].startswith("Vòng 2: chủ đề «Dịch vụ công trực tuyến» chỉ có 6 câu đang dùng, không đủ 7 câu")
    r = client.post("/api/v1/contests", headers=api_tokens.org_a, json={**data, "rounds": "x"})
    assert r.status_code == 422 and r.json()["error"] == "ValidationError"


def test_scope(client, api_tokens):
    topic_id, ids = _bank(client, api_tokens.org_a)
    c = client.post("/api/v1/contests", headers=api_tokens.org_a, json=_contest(topic_id, ids)).json()
    assert client.get(f"/api/v1/contests/{c['id']}", headers=api_tokens.org_b).status_code == 404
    assert client.post(f"/api/v1/contests/{c['id']}/publish", headers=api_tokens.org_b).status_code == 404
    assert client.patch(f"/api/v1/rounds/{c['rounds'][0]['id']}", headers=api_tokens.org_b, json={"title": "X"}).status_code == 404
    assert client.post("/api/v1/contests", headers=api_tokens.org_b, json=_contest(topic_id, ids)).status_code == 403
    r = client.post("/api/v1/contests", headers=api_tokens.org_b, json=_contest(topic_id, ids, scope="DB-B"))
    assert r.status_code == 422 and r.json()["field"] == "rounds.0.question_ids"
    assert client.get("/api/v1/contests", headers=api_tokens.org_b).json() == []
    assert client.post("/api/v1/contests", headers=api_tokens.plain, json=_contest(topic_id, ids)).status_code == 403
    assert client.get("/api/v1/contests/99999999999", headers=api_tokens.org_a).status_code == 404


def test_patch_round_locks_after_opening(client, api_tokens):
    topic_id, ids = _bank(client, api_tokens.org_a)
    vietnam_now = datetime.now(UTC).replace(microsecond=0, tzinfo=None) + timedelta(hours=7)  # naive times are
    data = _contest(topic_id, ids, start=vietnam_now - timedelta(days=1))  # in the contest's time zone
    c = client.post("/api/v1/contests", headers=api_tokens.org_a, json=data).json()
    r1, r2 = (x["id"] for x in c["rounds"])
    assert client.post(f"/api/v1/contests/{c['id']}/publish", headers=api_tokens.org_a).status_code == 200
    r = client.patch(f"/api/v1/rounds/{r1}", headers=api_tokens.org_a, json={"time_limit_s": 600})
    assert r.status_code == 409
    assert r.json() == {"error": "Conflict", "field": "time_limit_s", "detail": "Vòng 1 đã mở: không thể đổi thời gian làm bài nữa."}
    r = client.patch(f"/api/v1/rounds/{r1}", headers=api_tokens.org_a, json={"title": "Tuần một"})
    assert r.status_code == 200 and r.json()["title"] == "Tuần một" and r.json()["time_limit_s"] == 900
    r = client.patch(f"/api/v1/rounds/{r2}", headers=api_tokens.org_a, json={"time_limit_s": 600, "points_per_question": 2})
    assert r.status_code == 200, r.text
    assert (r.json()["time_limit_s"], r.json()["points_per_question"]) == (600, 2)
    assert r.json()["opens_at"].endswith("+07:00")
