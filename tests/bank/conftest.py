"""The bank's fixtures: study_world, a topic of study questions under branch A. (The API tests act through
api_tokens, in tests/fixtures/org.py, as the contest API tests do.)"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from app.models import Question, Topic
from app.services.bank import questions as bank
from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
from app.services.org.access import Actor
from app.services.org.principals import load
from tests.factories import Tree, actor, make_member, make_tree


@dataclass(frozen=True)
class StudyWorld:
    tree: Tree
    org: Actor  # organiser of branch A, whose topic it is
    member_a1: Actor  # in cell A1: under the topic's unit
    member_b1: Actor  # in cell B1: outside it
    topic: Topic
    questions: list[Question]  # four: two easy, two hard


@pytest.fixture
def study_world(session: Session) -> StudyWorld:
    t = make_tree(session)
    org = actor(session, make_member(session, t.a, roles=(("organiser", t.a),)))
    member_a1 = actor(session, make_member(session, t.a1))
    member_b1 = actor(session, make_member(session, t.b1))
    topic = bank.create_topic(session=session, actor=org, data=TopicCreate(name="Chuyển đổi số", unit_code="DB-A"))
    qs = [
        bank.create_question(
            session=session,
            actor=org,
            data=QuestionCreate(
                topic_id=topic.id,
                text=f"Câu {n}?",
                difficulty="easy" if n < 2 else "hard",
                options=[OptionIn(text="Đúng rồi", correct=True), OptionIn(text="Sai rồi")],
            ),
        )
        for n in range(4)
    ]
    session.commit()
    for a in (member_a1, member_b1):
        a.unit = load(session=session, member_id=a.id).unit
    return StudyWorld(tree=t, org=org, member_a1=member_a1, member_b1=member_b1, topic=topic, questions=qs)
