"""A member practises a published study set in the browser (plain form posts, no JavaScript needed)."""

from __future__ import annotations

import re

from app.services.bank import questions as bank
from app.services.bank import study
from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
from tests.factories import actor, make_member, make_tree
from tests.pagehelpers import csrf_from, page_login


def test_member_practises(client, session):
    t = make_tree(session)
    org = actor(session, make_member(session, t.a, roles=(("organiser", t.a),)))
    make_member(session, t.a1, phone="0933000111")
    topic = bank.create_topic(session=session, actor=org, data=TopicCreate(name="Xây dựng Đảng", unit_code="DB-A"))
    bank.create_question(
        session=session,
        actor=org,
        data=QuestionCreate(
            topic_id=topic.id,
            text="Nguyên tắc tổ chức cơ bản của Đảng là gì?",
            explanation="Điều lệ Đảng.",
            options=[OptionIn(text="Tập trung dân chủ", correct=True), OptionIn(text="Tự do hoàn toàn")],
        ),
    )
    study.set_published(session=session, actor=org, topic_id=topic.id, published=True)
    session.commit()
    page_login(client, "0933000111")
    assert "Xây dựng Đảng" in client.get("/study").text
    page = client.get(f"/study/{topic.id}")
    assert "Nguyên tắc tổ chức" in page.text and "✓" not in page.text  # no key before answering
    ids = re.findall(r'name="option" value="(\d+)"', page.text)
    qid = re.search(r'name="question_id" value="(\d+)"', page.text).group(1)
    r = client.post(f"/study/{topic.id}", data={"csrf_token": csrf_from(page.text), "question_id": qid, "i": "0", "option": ids[1]})
    assert r.status_code == 200 and "Chưa đúng" in r.text and "Điều lệ Đảng." in r.text
    r = client.post(f"/study/{topic.id}", data={"csrf_token": csrf_from(page.text), "question_id": qid, "i": "0", "option": ids[0]})
    assert "Chính xác!" in r.text


def test_a_public_set_is_studied_by_link_without_an_account(app, client, session):
    """The organiser opens a set to everyone: a share link and a QR code; anyone practises it, with the key
    after each answer; the questions a round not yet closed may ask stay hidden there too."""
    from datetime import timedelta

    from fastapi.testclient import TestClient
    from sqlmodel import select

    from app.models import Contest, Question, Round, RoundQuestion
    from app.models.types import utcnow

    t = make_tree(session)
    org = actor(session, make_member(session, t.root, phone="0933100001", roles=(("organiser", t.root),)))
    topic = bank.create_topic(session=session, actor=org, data=TopicCreate(name="Hỏi – đáp Nghị quyết", unit_code="ROOT"))
    for n in range(3):
        bank.create_question(
            session=session,
            actor=org,
            data=QuestionCreate(
                topic_id=topic.id,
                text=f"Câu hỏi – đáp {n}?",
                explanation="Vì Nghị quyết nói vậy.",
                options=[OptionIn(text="Đúng", correct=True), OptionIn(text="Sai")],
            ),
        )
    session.commit()
    page_login(client, "0933100001")
    page = client.get(f"/bank/topics/{topic.id}")
    saved = client.post(
        f"/bank/topics/{topic.id}/study", data={"csrf_token": csrf_from(page.text), "published": "1", "public": "1"}, follow_redirects=True
    )
    link = re.search(r'id="study-share-url" href="([^"]+)"', saved.text).group(1)
    slug = link.rsplit("/s/", 1)[1]
    assert len(slug) == 8 and f"/s/{slug}/qr.svg" in saved.text
    with TestClient(app) as anyone:
        first = anyone.get(f"/s/{slug}")
        assert first.status_code == 200 and "Câu 1/3" in first.text and "Hỏi – đáp Nghị quyết" in first.text
        q = session.exec(select(Question).where(Question.topic_id == topic.id).order_by(Question.id)).first()
        right = next(o.id for o in bank.options_of(session=session, question_ids=[q.id])[q.id] if o.correct)
        checked = anyone.get(f"/s/{slug}", params={"question_id": q.id, "option": right, "i": 0})
        assert "Chính xác!" in checked.text and "Vì Nghị quyết nói vậy." in checked.text
        assert anyone.get(f"/s/{slug}/qr.png").content.startswith(b"\x89PNG")
        assert anyone.get("/s/khongcoo").status_code == 404
        # a round opening next week asks this question: hidden from the public page as well
        contest = Contest(title="C", scope_unit_id=t.root.id, status="published", slug="pub0001", study_draw=True)
        session.add(contest)
        session.flush()
        later = Round(
            contest_id=contest.id, position=1, title="Tuần 2", opens_at=utcnow() + timedelta(days=2), closes_at=utcnow() + timedelta(days=9)
        )
        session.add(later)
        session.flush()
        session.add(RoundQuestion(round_id=later.id, question_id=q.id, position=1))
        session.commit()
        hidden = anyone.get(f"/s/{slug}")
        assert "Câu 1/2" in hidden.text and 'id="withheld"' in hidden.text and q.text not in hidden.text
    # made private again: the link is gone
    client.post(f"/bank/topics/{topic.id}/study", data={"csrf_token": csrf_from(page.text), "published": "1"})
    with TestClient(app) as anyone:
        assert anyone.get(f"/s/{slug}").status_code == 404
