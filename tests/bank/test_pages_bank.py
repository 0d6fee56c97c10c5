"""The question bank pages: topics, the editor with its preview, edit/deactivate/duplicate, scope."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.models import AuditEntry, Question, QuestionOption, Topic
from tests.factories import make_member, make_tree
from tests.pagehelpers import csrf_from, page_login


@pytest.fixture
def org(app, session, client):
    t = make_tree(session)
    make_member(session, t.a, phone="0900000001", roles=(("organiser", t.a),))
    make_member(session, t.b, phone="0900000002", roles=(("organiser", t.b),))
    page_login(client, "0900000001")
    return t


def _question_form(token: str, **over) -> dict:
    form = {
        "csrf_token": token,
        "kind": "single",
        "text": "Thủ Dầu Một được công nhận đô thị loại I năm nào?",
        "opt_text_0": "2015",
        "opt_text_1": "2017",
        "opt_correct_1": "1",
        "opt_text_2": "2019",
        "explanation": "Năm 2017.",
        "difficulty": "easy",
        "tags": "đô thị, lịch sử",
        "source_ref": "",
    }
    form.update(over)
    return form


def _new_topic(client) -> int:
    token = csrf_from(client.get("/bank").text)
    r = client.post("/bank/topics", data={"csrf_token": token, "name": "Đô thị văn minh", "unit_code": "DB-A"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_create_topic_and_question(client, session, org):
    topic_id = _new_topic(client)
    page = client.get(f"/bank/topics/{topic_id}/questions/new")
    token = csrf_from(page.text)
    bad = client.post(f"/bank/topics/{topic_id}/questions", data=_question_form(token, opt_correct_1="", opt_correct_0=""))
    assert bad.status_code == 422 and "đúng một đáp án đúng" in bad.text
    assert "Thủ Dầu Một được công nhận" in bad.text  # what was typed is kept
    ok = client.post(f"/bank/topics/{topic_id}/questions", data=_question_form(token), follow_redirects=False)
    assert ok.status_code == 303
    session.rollback()
    q = session.exec(select(Question)).one()
    opts = session.exec(select(QuestionOption).where(QuestionOption.question_id == q.id).order_by(QuestionOption.position)).all()
    assert [(o.text, o.correct) for o in opts] == [("2015", False), ("2017", True), ("2019", False)]
    assert q.tags == ",đô thị,lịch sử,"
    listing = client.get(f"/bank/topics/{topic_id}?q=do thi loai")
    assert f'id="q-{q.id}"' in listing.text


def test_preview_shows_no_correctness(client, org):
    topic_id = _new_topic(client)
    token = csrf_from(client.get(f"/bank/topics/{topic_id}/questions/new").text)
    r = client.post("/bank/preview", data=_question_form(token), headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "2017" in r.text and "✓" not in r.text and "đúng</span>" not in r.text


def test_edit_bumps_version_and_audits(client, session, org):
    topic_id = _new_topic(client)
    token = csrf_from(client.get(f"/bank/topics/{topic_id}/questions/new").text)
    client.post(f"/bank/topics/{topic_id}/questions", data=_question_form(token))
    session.rollback()
    q = session.exec(select(Question)).one()
    r = client.post(f"/bank/questions/{q.id}", data=_question_form(token, opt_text_2="2020"), follow_redirects=False)
    assert r.status_code == 303
    session.rollback()
    assert session.get(Question, q.id).version == 2
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "question.update")).one()
    assert entry.detail["before"]["options"][2] == ["2019", False]
    assert entry.detail["after"]["options"][2] == ["2020", False]
    client.post(f"/bank/questions/{q.id}/active", data={"csrf_token": token, "active": "0"})
    client.post(f"/bank/questions/{q.id}/duplicate", data={"csrf_token": token})
    session.rollback()
    rows = session.exec(select(Question).order_by(Question.id)).all()
    assert [r.active for r in rows] == [False, True] and rows[1].text == rows[0].text


def test_other_subtree_cannot_see_the_topic(app, client, session, org):
    topic_id = _new_topic(client)
    with TestClient(app) as other:
        page_login(other, "0900000002")
        assert other.get(f"/bank/topics/{topic_id}").status_code == 404
        token = csrf_from(other.get("/bank").text)
        r = other.post(f"/bank/topics/{topic_id}/questions", data=_question_form(token))
        assert r.status_code == 404
        assert "Đô thị văn minh" not in other.get("/bank").text
    session.rollback()
    assert session.exec(select(Topic)).one().id == topic_id


AIKEN = """Thủ Dầu Một là đô thị loại mấy?
A. Loại I
B. Loại II
C. Loại III
ANSWER: A

Dịch vụ công trực tuyến toàn trình cho phép làm gì?
A) Chỉ tra cứu
B) Nộp hồ sơ và nhận kết quả trực tuyến
ANSWER: B
"""


def test_import_from_the_topic_page(client, session, org):
    topic_id = _new_topic(client)
    token = csrf_from(client.get(f"/bank/topics/{topic_id}").text)
    r = client.post(
        f"/bank/topics/{topic_id}/import", data={"csrf_token": token}, files={"file": ("cau-hoi.txt", AIKEN.encode(), "text/plain")}
    )
    assert r.status_code == 200, r.text
    assert "Đã thêm 2 câu hỏi" in r.text
    bad = AIKEN.replace("ANSWER: B", "ANSWER: Z")
    r = client.post(f"/bank/topics/{topic_id}/import", data={"csrf_token": token}, files={"file": ("loi.txt", bad.encode(), "text/plain")})
    assert r.status_code == 422 and "import-errors" in r.text
    session.rollback()
    assert len(session.exec(select(Question)).all()) == 2  # the bad file added nothing
    export = client.get(f"/api/v1/topics/{topic_id}/export.xml")
    assert export.status_code == 200 and b"<quiz>" in export.content
