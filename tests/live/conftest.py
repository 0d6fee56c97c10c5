"""The live games' world: branch A's organiser with six bank questions (five with one right option of three, the
last with two right options of four), three players in A's cells and a member outside A."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from app.models import Member, Question
from app.services.bank import questions as bank
from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
from app.services.org.access import Actor
from tests.factories import actor, make_member, make_tree
from tests.fixtures.browser import PHONE


@dataclass(frozen=True)
class LiveWorld:
    org: Actor  # organiser of branch A (DB-A), the games' scope
    org_phone: str
    questions: list[Question]
    players: list[Member]  # an and binh in CB-A1, chi in CB-A2
    outside: Member  # in CB-B1


@pytest.fixture
def live_world(session: Session) -> LiveWorld:
    t = make_tree(session)
    host = make_member(session, t.a, phone="0917111000", roles=(("organiser", t.a),))
    org = actor(session, host)
    topic = bank.create_topic(session=session, actor=org, data=TopicCreate(name="Nghị quyết", unit_code="DB-A"))
    qs = [
        bank.create_question(
            session=session,
            actor=org,
            data=QuestionCreate(
                topic_id=topic.id,
                text=f"Câu {n}?",
                options=[OptionIn(text="Đúng", correct=True), OptionIn(text="Sai"), OptionIn(text="Không rõ")],
            ),
        )
        for n in range(1, 6)
    ]
    qs.append(
        bank.create_question(
            session=session,
            actor=org,
            data=QuestionCreate(
                topic_id=topic.id,
                kind="multiple",
                text="Câu nhiều đáp án?",
                options=[OptionIn(text="A", correct=True), OptionIn(text="B", correct=True), OptionIn(text="C"), OptionIn(text="D")],
            ),
        )
    )
    players = [
        make_member(session, t.a1, phone="0917111001", full_name="Nguyễn Văn An"),
        make_member(session, t.a1, phone="0917111002", full_name="Trần Thị Bình"),
        make_member(session, t.a2, phone="0917111003", full_name="Lê Văn Chí"),
    ]
    outside = make_member(session, t.b1, phone="0917111009")
    session.commit()
    return LiveWorld(org=org, org_phone="0917111000", questions=qs, players=players, outside=outside)


@pytest.fixture
def open_page(browser, live_server, engine):
    """open_page(viewport, mobile=True, context=None): a page in a browser context of its own (its own cookies:
    one person each), or another page of `context`. What the pages' Content-Security-Policy refused fails the test."""
    contexts, blocked = [], []

    def make(viewport=PHONE, *, mobile: bool = True, context=None):
        if context is None:
            context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="vi-VN", base_url=live_server)
            contexts.append(context)
        pg = context.new_page()
        pg.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        return pg

    yield make
    for context in contexts:
        context.close()
    assert not blocked, blocked
