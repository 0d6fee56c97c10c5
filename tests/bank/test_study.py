"""Study mode: who sees which sets, immediate feedback, and no question of an open round."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from app.errors import NotFound
from app.models import AuditEntry, Contest, Question, Round, RoundQuestion
from app.models.types import utcnow
from app.services.bank import study


def test_only_published_sets_of_units_above(session, study_world):
    assert study.sets_for(session=session, actor=study_world.member_a1) == []
    study.set_published(session=session, actor=study_world.org, topic_id=study_world.topic.id, published=True)
    assert [x.id for x in study.sets_for(session=session, actor=study_world.member_a1)] == [study_world.topic.id]
    assert study.sets_for(session=session, actor=study_world.member_b1) == []
    with pytest.raises(NotFound):
        study.open_set(session=session, actor=study_world.member_b1, topic_id=study_world.topic.id)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "topic.study_publish")).first() is not None


def test_feedback_and_nothing_written(session, study_world):
    study.set_published(session=session, actor=study_world.org, topic_id=study_world.topic.id, published=True)
    s = study.open_set(session=session, actor=study_world.member_a1, topic_id=study_world.topic.id)
    opts = s.options[study_world.questions[0].id]
    right = study.check_answer(s, study_world.questions[0].id, {opts[0].id})
    wrong = study.check_answer(s, study_world.questions[0].id, {opts[1].id})
    assert right.correct and not wrong.correct and wrong.correct_ids == {opts[0].id}
    assert session.exec(select(func.count()).select_from(Question)).one() == 4


def test_questions_of_open_rounds_are_withheld(session, study_world):
    study.set_published(session=session, actor=study_world.org, topic_id=study_world.topic.id, published=True)
    now = utcnow()
    contest = Contest(title="Tìm hiểu Nghị quyết", scope_unit_id=study_world.tree.a.id, status="published", slug="abc123")
    session.add(contest)
    session.flush()
    fixed = Round(contest_id=contest.id, position=1, title="Tuần 1", opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=6))
    drawing = Round(
        contest_id=contest.id,
        position=2,
        title="Tuần 2",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=6),
        draw=[{"topic_id": study_world.topic.id, "difficulty": "hard", "count": 1}],
    )
    later = Round(contest_id=contest.id, position=3, title="Tuần 3", opens_at=now + timedelta(days=7), closes_at=now + timedelta(days=14))
    session.add_all([fixed, drawing, later])
    session.flush()
    session.add(RoundQuestion(round_id=fixed.id, question_id=study_world.questions[0].id, position=1))
    session.add(RoundQuestion(round_id=later.id, question_id=study_world.questions[1].id, position=1))
    session.commit()
    s = study.open_set(session=session, actor=study_world.member_a1, topic_id=study_world.topic.id)
    # q0 is in an open fixed round; q2, q3 are hard and drawn by an open round; q1 is in a round opening next
    # week: withheld too (it once showed, with its key, two days before its round)
    assert [q.id for q in s.questions] == []
    assert s.withheld == 4
    between = study.open_set(
        session=session, actor=study_world.member_a1, topic_id=study_world.topic.id, now=now + timedelta(days=6, hours=1)
    )
    assert [q.id for q in between.questions] == [
        study_world.questions[0].id,
        study_world.questions[2].id,
        study_world.questions[3].id,
    ]  # only the next round's is kept
    # once the rounds close, everything is back
    s = study.open_set(session=session, actor=study_world.member_a1, topic_id=study_world.topic.id, now=now + timedelta(days=30))
    assert len(s.questions) == 4 and s.withheld == 0


def test_a_contest_says_whether_its_rounds_may_ask_study_sets(session, study_world):
    """By default a contest keeps the published sets out of its rounds (members have seen their keys), so the
    sets stay open to study during the contest; a contest may allow them, and then they are withheld."""
    from app.errors import Conflict, Invalid
    from app.services.contests import contests
    from app.services.contests.schemas import ContestCreate, ContestUpdate, DrawLine, RoundIn

    study.set_published(session=session, actor=study_world.org, topic_id=study_world.topic.id, published=True)
    now = utcnow()

    def contest(**kw):
        return contests.create_contest(
            session=session,
            actor=study_world.org,
            data=ContestCreate(
                title="Tìm hiểu",
                scope_unit_code="DB-A",
                **kw,
                rounds=[
                    RoundIn(
                        title="Tuần 1",
                        opens_at=now + timedelta(days=1),
                        closes_at=now + timedelta(days=8),
                        draw=[DrawLine(topic_id=study_world.topic.id, count=2)],
                    )
                ],
            ),
        )

    with pytest.raises(Invalid) as refused:
        contest()
    assert "bộ câu hỏi ôn tập đã công bố" in refused.value.message
    allowed = contest(study_draw=True)
    assert allowed.study_draw
    with pytest.raises(Conflict):  # a published contest cannot stop allowing it (its rounds already do)
        contests.publish_contest(session=session, actor=study_world.org, contest_id=allowed.id)
        contests.update_contest(session=session, actor=study_world.org, contest_id=allowed.id, data=ContestUpdate(study_draw=False))
    # a set used by a contest that keeps study sets out cannot be published under it
    study.set_published(session=session, actor=study_world.org, topic_id=study_world.topic.id, published=False)
    keeper = contest()
    contests.publish_contest(session=session, actor=study_world.org, contest_id=keeper.id)
    with pytest.raises(Conflict) as kept:
        study.set_published(session=session, actor=study_world.org, topic_id=study_world.topic.id, published=True)
    assert kept.value.params["contest"] == "Tìm hiểu" and kept.value.params["round"] == "Tuần 1"
