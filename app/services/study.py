"""Study mode (ôn tập): published topics members browse and practise with immediate feedback.

Practice writes nothing and counts nowhere. It never shows a question that a round open right now could
ask: the fixed questions of open rounds, and every question of the topics and difficulties they draw from.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, false, func, or_
from sqlmodel import Session, col, select

from app.errors import N_, NotFound
from app.models import Contest, Question, QuestionOption, Round, RoundQuestion, Topic
from app.models.contest import ContestStatus
from app.models.types import is_db_id, utcnow
from app.services import audit
from app.services.access import Actor
from app.services.bank import get_topic, options_of


def set_published(*, session: Session, actor: Actor, topic_id: int, published: bool) -> Topic:
    topic, _unit = get_topic(session=session, actor=actor, topic_id=topic_id)
    if topic.study_published != published:
        topic.study_published = published
        audit.record(session=session, actor_id=actor.id, action="topic.study_publish" if published else
                     "topic.study_unpublish", entity="topic", entity_id=topic.id, ip=actor.ip)
    session.flush()
    return topic


def sets_for(*, session: Session, actor: Actor) -> list[Topic]:
    """Published study sets owned by the member's unit or any unit above it."""
    assert actor.unit is not None
    ancestor_ids = [int(x) for x in actor.unit.path.strip("/").split("/") if x]
    return list(session.exec(select(Topic).where(Topic.study_published.is_(True), col(Topic.unit_id).in_(ancestor_ids))
                             .order_by(Topic.name)).all())


def _open_round_filter(session: Session, now: datetime):  # noqa: ANN202
    """A WHERE clause on Question: the questions that an open round may ask."""
    rounds = session.exec(select(Round).join(Contest, Contest.id == Round.contest_id).where(
        Contest.status == ContestStatus.published, Round.status != "closed", Round.opens_at <= now,
        Round.closes_at > now)).all()
    if not rounds:
        return false()
    clauses = [col(Question.id).in_(select(RoundQuestion.question_id)
                                   .where(col(RoundQuestion.round_id).in_([r.id for r in rounds])))]
    for rnd in rounds:
        for line in rnd.draw or []:
            if line.get("difficulty"):
                clauses.append(and_(Question.topic_id == line.get("topic_id"), Question.difficulty == line["difficulty"]))
            else:
                clauses.append(Question.topic_id == line.get("topic_id"))
    return or_(*clauses)


@dataclass
class StudySet:
    topic: Topic
    questions: list[Question]
    options: dict[int, list[QuestionOption]]
    withheld: int  # questions kept back because an open round may ask them


def open_set(*, session: Session, actor: Actor, topic_id: int, now: datetime | None = None) -> StudySet:
    topic = session.get(Topic, topic_id) if is_db_id(topic_id) else None
    if topic is None or topic not in sets_for(session=session, actor=actor):
        raise NotFound(N_("Không tìm thấy bộ câu hỏi ôn tập."))
    blocked = _open_round_filter(session, now or utcnow())
    active = select(Question).where(Question.topic_id == topic.id, Question.active.is_(True))
    allowed = list(session.exec(active.where(~blocked).order_by(Question.id)).all())
    total = session.exec(select(func.count()).select_from(active.subquery())).one()
    return StudySet(topic=topic, questions=allowed,
                    options=options_of(session=session, question_ids=[q.id for q in allowed]),
                    withheld=total - len(allowed))


@dataclass
class Feedback:
    correct: bool
    correct_ids: set[int]
    chosen_ids: set[int]
    explanation: str


def check_answer(study: StudySet, question_id: int, chosen: set[int]) -> Feedback:
    question = next((q for q in study.questions if q.id == question_id), None)
    if question is None:
        raise NotFound(N_("Không tìm thấy câu hỏi."))
    right = {o.id for o in study.options[question_id] if o.correct and o.id is not None}
    return Feedback(correct=chosen == right, correct_ids=right, chosen_ids=chosen, explanation=question.explanation)

