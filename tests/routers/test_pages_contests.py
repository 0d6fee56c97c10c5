"""Contest pages: create weekly rounds from one form, publish, share (public page, Open Graph, QR)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.models import Contest, Member, Round
from app.models.bank import OptionIn, QuestionCreate, TopicCreate
from app.services import bank
from tests.factories import actor, make_member, make_tree
from tests.pagehelpers import csrf_from, page_login
from tests.services.test_ranking import add, arena  # noqa: F401  (the fixture)


@pytest.fixture
def topic(session, client):
    t = make_tree(session)
    org = actor(session, make_member(session, t.a, phone="0900000001", roles=(("organiser", t.a),)))
    topic = bank.create_topic(session=session, actor=org, data=TopicCreate(name="Đô thị văn minh", unit_code="DB-A"))
    for n in range(12):
        bank.create_question(session=session, actor=org, data=QuestionCreate(
            topic_id=topic.id, text=f"Câu hỏi số {n}?", options=[OptionIn(text="Có", correct=True), OptionIn(text="Không")]))
    session.commit()
    page_login(client, "0900000001")
    return topic


def _form(token: str, topic_id: int, **over) -> dict:
    monday = (datetime.now() + timedelta(days=7 - datetime.now().weekday())).replace(hour=0, minute=0, second=0,
                                                                                      microsecond=0)
    form = {"csrf_token": token, "title": "Tìm hiểu Nghị quyết Đại hội XII", "scope_unit_code": "DB-A",
            "rules_text": "**Đối tượng:** đảng viên.", "tie_break": "default", "weeks": "3", "round_title": "Tuần",
            "opens_at": monday.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (monday + timedelta(days=6, hours=23)).strftime("%Y-%m-%dT%H:%M"),
            "topic_id": str(topic_id), "count": "10", "time_limit_min": "15", "points": "1", "attempts_allowed": "2",
            "counted_attempt": "best", "results_visibility": "after_close", "shuffle_questions": "1",
            "shuffle_options": "1", "prediction_kind": "perfect_scorers", "prediction_lock_first": "1"}
    form.update(over)
    return form


def test_create_publish_share(app, client, session, topic):
    token = csrf_from(client.get("/contests/new").text)
    r = client.post("/contests", data=_form(token, topic.id), follow_redirects=False)
    assert r.status_code == 303, r.text
    session.rollback()
    contest = session.exec(select(Contest)).one()
    rounds = session.exec(select(Round).where(Round.contest_id == contest.id).order_by(Round.position)).all()
    assert [r.title for r in rounds] == ["Tuần 1", "Tuần 2", "Tuần 3"]
    assert rounds[1].opens_at - rounds[0].opens_at == timedelta(days=7)
    assert rounds[0].attempts_allowed == 2 and rounds[0].draw[0]["count"] == 10
    assert client.get(f"/c/{contest.slug}").status_code == 404  # a draft is not public
    page = client.get(f"/contests/{contest.id}")
    r = client.post(f"/contests/{contest.id}/publish", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    with TestClient(app) as anonymous:  # the share link works for someone who is not logged in
        public = anonymous.get(f"/c/{contest.slug}")
    assert public.status_code == 200
    assert '<meta property="og:title" content="Tìm hiểu Nghị quyết Đại hội XII">' in public.text
    assert "<strong>Đối tượng:</strong>" in public.text
    assert client.get(f"/c/{contest.slug}/qr.png").content.startswith(b"\x89PNG")
    assert b"<svg" in client.get(f"/c/{contest.slug}/qr.svg").content


def test_bad_form_keeps_values_and_says_why(client, session, topic):
    token = csrf_from(client.get("/contests/new").text)
    r = client.post("/contests", data=_form(token, topic.id, count="50"))
    assert r.status_code == 422
    assert "không đủ 50 câu" in r.text
    assert 'value="Tìm hiểu Nghị quyết Đại hội XII"' in r.text
    session.rollback()
    assert session.exec(select(Contest)).first() is None


def test_round_edit_and_lock(client, session, topic):
    token = csrf_from(client.get("/contests/new").text)
    now = datetime.now()
    client.post("/contests", data=_form(token, topic.id, weeks="1",
                                        opens_at=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                                        closes_at=(now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")))
    session.rollback()
    contest = session.exec(select(Contest)).one()
    round_ = session.exec(select(Round)).one()
    page = client.get(f"/contests/rounds/{round_.id}")
    form = {"csrf_token": csrf_from(page.text), "title": "Tuần mở đầu",
            "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"), "time_limit_min": "20",
            "attempts_allowed": "2", "cooldown_min": "0", "points": "1", "counted_attempt": "best",
            "results_visibility": "after_close", "shuffle_questions": "1", "shuffle_options": "1"}
    assert client.post(f"/contests/rounds/{round_.id}", data=form, follow_redirects=False).status_code == 303  # draft
    client.post(f"/contests/{contest.id}/publish", data={"csrf_token": form["csrf_token"]})
    r = client.post(f"/contests/rounds/{round_.id}", data={**form, "time_limit_min": "25"})
    assert r.status_code == 409 and "không thể đổi thời gian làm bài" in r.text
    r = client.post(f"/contests/rounds/{round_.id}", data={**form, "title": "Tuần 1 (đã mở)"}, follow_redirects=False)
    assert r.status_code == 303
    session.rollback()
    saved = session.get(Round, round_.id)
    assert saved.title == "Tuần 1 (đã mở)" and saved.time_limit_s == 20 * 60


def test_organiser_closes_a_round_by_hand(client, session, arena):  # noqa: F811
    r = arena.rounds[1]  # open now
    people = [make_member(session, arena.tree.a1) for _ in range(2)]
    add(session, r, people[0], score=5, prediction=1)
    add(session, r, people[1], score=3, prediction=4)
    org = session.get(Member, arena.org.id)
    org.phone = "0911000200"
    people[0].phone = "0911000201"
    session.add_all([org, people[0]])
    session.commit()
    page_login(client, "0911000201")
    member_page = client.get("/")
    denied = client.post(f"/contests/rounds/{r.id}/close", data={"csrf_token": csrf_from(member_page.text)})
    assert denied.status_code == 403
    client.cookies.clear()
    page_login(client, "0911000200")
    page = client.get(f"/contests/rounds/{r.id}")
    assert "Đóng vòng thi ngay" in page.text
    done = client.post(f"/contests/rounds/{r.id}/close", data={"csrf_token": csrf_from(page.text)},
                       follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Vòng thi đã đóng lúc" in page.text and 'id="truth">1</b>' in page.text
    assert "Đóng vòng thi ngay" not in page.text and f'href="/rounds/{r.id}/board"' in page.text
    session.rollback()
    session.refresh(r)
    assert (r.status, r.totals["participants"]) == ("closed", 2)
