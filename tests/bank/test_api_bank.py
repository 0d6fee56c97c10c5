"""Topics and questions over the API, as the public API contract fixes them."""

from __future__ import annotations

import pytest


def _topic(client, headers, name="Đô thị văn minh"):
    r = client.post("/api/v1/topics", headers=headers, json={"name": name, "description": "Chương trình chỉnh trang đô thị"})
    assert r.status_code == 201, r.text
    return r.json()


def test_topic_and_question_round_trip(client, api_tokens):
    topic = _topic(client, api_tokens.org_a)
    assert topic["unit_code"] == "DB-A"
    body = {
        "topic_id": topic["id"],
        "kind": "single",
        "text": "Nghị quyết Đại hội nhiệm kỳ 2020–2025 có mấy khâu đột phá?",
        "options": [{"text": "Hai", "correct": False}, {"text": "Ba", "correct": True}, {"text": "Bốn", "correct": False}],
        "explanation": "Ba khâu đột phá.",
        "difficulty": "easy",
    }
    r = client.post("/api/v1/questions", headers=api_tokens.org_a, json=body)
    assert r.status_code == 201, r.text
    q = r.json()
    assert [o["correct"] for o in q["options"]] == [False, True, False]
    assert all(isinstance(o["id"], int) for o in q["options"])
    listed = client.get(f"/api/v1/topics/{topic['id']}/questions", headers=api_tokens.org_a).json()
    assert [x["id"] for x in listed] == [q["id"]]
    assert client.get(f"/api/v1/topics/{topic['id']}/questions?q=dot pha", headers=api_tokens.org_a).json()[0]["id"] == q["id"]


@pytest.mark.parametrize(
    "options,kind,field",
    [
        ([{"text": "A", "correct": True}], "single", "options"),  # one option
        ([{"text": "A", "correct": True}, {"text": "B", "correct": True}], "single", "options"),  # two correct
        ([{"text": "A", "correct": False}, {"text": "B", "correct": False}], "multiple", "options"),  # none correct
        ([{"text": "A", "correct": True}, {"text": "a", "correct": False}], "single", "options"),  # same option twice
        ([{"text": "A", "correct": True}, {"text": "B", "correct": False}], "essay", "kind"),
    ],
)
def test_bad_questions_are_422_with_the_field(client, api_tokens, options, kind, field):
    topic = _topic(client, api_tokens.org_a)
    r = client.post(
        "/api/v1/questions", headers=api_tokens.org_a, json={"topic_id": topic["id"], "kind": kind, "text": "Câu hỏi?", "options": options}
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["detail"]


def test_true_false_gets_its_two_options(client, api_tokens):
    topic = _topic(client, api_tokens.org_a)
    r = client.post(
        "/api/v1/questions",
        headers=api_tokens.org_a,
        json={
            "topic_id": topic["id"],
            "kind": "true_false",
            "text": "Thủ Dầu Một là thành phố trực thuộc tỉnh Bình Dương.",
            "options": [{"text": "Đúng", "correct": True}, {"text": "Sai", "correct": False}],
        },
    )
    assert r.status_code == 201, r.text


def test_scope(client, api_tokens):
    topic = _topic(client, api_tokens.org_a)
    assert client.get(f"/api/v1/topics/{topic['id']}/questions", headers=api_tokens.org_b).status_code == 404
    r = client.post(
        "/api/v1/questions",
        headers=api_tokens.org_b,
        json={"topic_id": topic["id"], "text": "?", "options": [{"text": "A", "correct": True}, {"text": "B"}]},
    )
    assert r.status_code == 404
    assert client.post("/api/v1/topics", headers=api_tokens.plain, json={"name": "X"}).status_code == 403
    assert [t["id"] for t in client.get("/api/v1/topics", headers=api_tokens.org_b).json()] == []
    r = client.post("/api/v1/topics", headers=api_tokens.org_b, json={"name": "X", "unit_code": "DB-A"})
    assert r.status_code == 403
