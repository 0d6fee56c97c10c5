"""A member practises a published study set in the browser (plain form posts, no JavaScript needed)."""
from __future__ import annotations

import re

from app.models.bank import OptionIn, QuestionCreate, TopicCreate
from app.services import bank, study
from tests.factories import actor, make_member, make_tree
from tests.pagehelpers import csrf_from, page_login


def test_member_practises(client, session):
    t = make_tree(session)
    org = actor(session, make_member(session, t.a, roles=(("organiser", t.a),)))
    make_member(session, t.a1, phone="0933000111")
    topic = bank.create_topic(session=session, actor=org, data=TopicCreate(name="Xây dựng Đảng", unit_code="DB-A"))
    bank.create_question(session=session, actor=org, data=QuestionCreate(
        topic_id=topic.id, text="Nguyên tắc tổ chức cơ bản của Đảng là gì?", explanation="Điều lệ Đảng.",
        options=[OptionIn(text="Tập trung dân chủ", correct=True), OptionIn(text="Tự do hoàn toàn")]))
    study.set_published(session=session, actor=org, topic_id=topic.id, published=True)
    session.commit()
    page_login(client, "0933000111")
    assert "Xây dựng Đảng" in client.get("/study").text
    page = client.get(f"/study/{topic.id}")
    assert "Nguyên tắc tổ chức" in page.text and "✓" not in page.text  # no key before answering
    ids = re.findall(r'name="option" value="(\d+)"', page.text)
    qid = re.search(r'name="question_id" value="(\d+)"', page.text).group(1)
    r = client.post(f"/study/{topic.id}", data={"csrf_token": csrf_from(page.text), "question_id": qid, "i": "0",
                                                "option": ids[1]})
    assert r.status_code == 200 and "Chưa đúng" in r.text and "Điều lệ Đảng." in r.text
    r = client.post(f"/study/{topic.id}", data={"csrf_token": csrf_from(page.text), "question_id": qid, "i": "0",
                                                "option": ids[0]})
    assert "Chính xác!" in r.text
