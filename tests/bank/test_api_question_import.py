"""POST /api/v1/questions/import and the topic exports, as the public API contract fixes them."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.models import Question

URL = "/api/v1/questions/import"
GIFT = (
    "Nghị quyết xác định mấy khâu đột phá?{~Hai =Ba ~Bốn}\n\nThủ Dầu Một thuộc tỉnh Bình Dương.{T}\n\nTên thành phố?{=Thủ Dầu Một}\n"
).encode()


@pytest.fixture
def topic_id(client, api_tokens) -> int:
    r = client.post("/api/v1/topics", headers=api_tokens.org_a, json={"name": "Nhiệm vụ kép", "description": ""})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def count(session) -> int:
    session.rollback()  # a fresh snapshot: the request wrote through another connection
    return session.exec(select(func.count()).select_from(Question)).one()


def post(client, headers, topic_id, content: bytes, filename: str):
    return client.post(
        URL, headers=headers, data={"topic_id": str(topic_id)}, files={"file": (filename, content, "application/octet-stream")}
    )


def test_good_gift_file(client, session, api_tokens, topic_id):
    r = post(client, api_tokens.org_a, topic_id, GIFT, "bank.gift")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 2 and body["errors"] == []
    assert [s["line"] for s in body["skipped"]] == [5] and body["skipped"][0]["reason"]
    assert count(session) == 2
    listed = client.get(f"/api/v1/topics/{topic_id}/questions", headers=api_tokens.org_a).json()
    assert [q["kind"] for q in listed] == ["single", "true_false"]


def test_bad_file_is_422_with_numbered_errors_and_nothing_written(client, session, api_tokens, topic_id):
    content = GIFT + "\nCâu hỏi?{=Có =Cũng có ~Không}\n".encode()  # line 7: two right answers
    r = post(client, api_tokens.org_a, topic_id, content, "bank.gift")
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "ImportFailed" and body["detail"]
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(7, "options")]
    assert body["created"] == 0 and [s["line"] for s in body["skipped"]] == [5]
    assert count(session) == 0


def test_doctype_is_refused(client, session, api_tokens, topic_id):
    content = b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaa">]><quiz><question type="x">&a;</question></quiz>'
    r = post(client, api_tokens.org_a, topic_id, content, "moodle.xml")
    assert r.status_code == 422, r.text
    assert "DOCTYPE" in r.json()["errors"][0]["message"]


def test_english_messages_follow_the_language_cookie(client, api_tokens, topic_id):
    client.cookies.set("lang", "en")
    try:
        r = post(client, api_tokens.org_a, topic_id, b"hello", "bank.docx")
    finally:
        client.cookies.delete("lang")
    assert r.status_code == 422 and r.json()["errors"][0]["row"] == 0


def test_scope_member_and_other_subtree(client, session, api_tokens, topic_id):
    assert post(client, api_tokens.plain, topic_id, GIFT, "bank.gift").status_code == 403
    r = post(client, api_tokens.org_b, topic_id, GIFT, "bank.gift")
    assert r.status_code == 404 and r.json()["error"] == "NotFound"
    for ext in ("xlsx", "xml"):
        assert client.get(f"/api/v1/topics/{topic_id}/export.{ext}", headers=api_tokens.org_b).status_code == 404
    assert count(session) == 0


@pytest.mark.parametrize("ext", ["xlsx", "xml"])
def test_export_then_import(client, session, api_tokens, topic_id, ext):
    assert post(client, api_tokens.org_a, topic_id, GIFT, "bank.gift").status_code == 200
    r = client.get(f"/api/v1/topics/{topic_id}/export.{ext}", headers=api_tokens.org_a)
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"] and f".{ext}" in r.headers["content-disposition"]
    other = client.post("/api/v1/topics", headers=api_tokens.org_a, json={"name": "Bản sao"}).json()["id"]
    r2 = post(client, api_tokens.org_a, other, r.content, f"export.{ext}")
    assert r2.status_code == 200, r2.text
    assert r2.json()["created"] == 2
    original = client.get(f"/api/v1/topics/{topic_id}/questions", headers=api_tokens.org_a).json()
    copied = client.get(f"/api/v1/topics/{other}/questions", headers=api_tokens.org_a).json()

    def shape(q: dict) -> tuple:
        return q["kind"], q["text"], [(o["text"], o["correct"]) for o in q["options"]], q["difficulty"]

    assert [shape(q) for q in copied] == [shape(q) for q in original]


@pytest.mark.parametrize("ext", ["xlsx", "csv"])
def test_templates(client, api_tokens, topic_id, ext):
    r = client.get(f"/api/v1/questions/import/template.{ext}", headers=api_tokens.org_a)
    assert r.status_code == 200
    r2 = post(client, api_tokens.org_a, topic_id, r.content, f"mau.{ext}")
    assert r2.status_code == 200 and r2.json()["created"] == 3
