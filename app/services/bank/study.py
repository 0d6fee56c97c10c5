"""Study mode (ôn tập): published topics members browse and practise with immediate feedback, and that an
organiser may open to everyone (no account) through a share link.

Practice writes nothing and counts nowhere. It never shows a question that a round not yet closed could ask
(an open round's, and as well one opening next week): the fixed questions of those rounds, and every question
of the topics and difficulties they draw from. A contest says whether its rounds may draw from published sets
at all (Contest.study_draw); one that does not cannot use a published set, and a set it uses cannot be
published until its rounds have closed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, false, func, or_
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, NotFound
from app.models import Contest, Question, QuestionOption, Round, RoundQuestion, Topic
from app.models.contests import ContestStatus, RoundStatus
from app.models.types import is_db_id, utcnow
from app.services.bank.questions import get_topic, options_of
from app.services.kit import audit, offers
from app.services.org import units
from app.services.org.access import Actor


def set_published(*, session: Session, actor: Actor, topic_id: int, published: bool, public: bool | None = None) -> Topic:
    """Publish a topic as a study set (or withdraw it); `public` also opens it to everyone by link."""
    topic, _unit = get_topic(session=session, actor=actor, topic_id=topic_id)
    if published and not topic.study_published:
        _refuse_if_a_contest_keeps_it(session, topic)
    public = bool(public) if public is not None else topic.study_public
    public = public and published
    if topic.study_published != published or topic.study_public != public:
        topic.study_published, topic.study_public = published, public
        if public and not topic.study_slug:
            topic.study_slug = _new_slug(session)
        audit.record(
            session=session,
            actor_id=actor.id,
            action="topic.study_publish",
            entity="topic",
            entity_id=topic.id,
            ip=actor.ip,
            detail={"published": published, "public": public},
        )
    session.flush()
    return topic


def _new_slug(session: Session) -> str:
    while True:  # 8 characters of a random token: not guessable, short enough to type from a poster
        slug = secrets.token_urlsafe(6)[:8]
        if session.exec(select(Topic.id).where(Topic.study_slug == slug)).first() is None:
            return slug


def _refuse_if_a_contest_keeps_it(session: Session, topic: Topic) -> None:
    """A contest that keeps the study sets out of its rounds must not find its questions published."""
    for rnd, contest in session.exec(
        select(Round, Contest)
        .join(Contest, col(Contest.id) == Round.contest_id)
        .where(col(Contest.study_draw).is_(False), Contest.status != ContestStatus.closed, Round.status != RoundStatus.closed)
    ).all():
        uses = (
            any(line.get("topic_id") == topic.id for line in rnd.draw or [])
            or session.exec(
                select(RoundQuestion.question_id)
                .join(Question, col(Question.id) == RoundQuestion.question_id)
                .where(RoundQuestion.round_id == rnd.id, Question.topic_id == topic.id)
            ).first()
            is not None
        )
        if uses:
            raise Conflict(
                N_(
                    "Chủ đề này đang được dùng ra đề cho {round} của cuộc thi «{contest}», cuộc thi không "
                    "ra đề từ bộ ôn tập: chỉ công bố làm bộ ôn tập được sau khi các vòng thi đó đóng."
                ),
                round=rnd.title,
                contest=contest.title,
            )


def sets_for(*, session: Session, actor: Actor, cache: offers.Cache | None = None) -> list[Topic]:
    """Published study sets owned by the member's unit or any unit above it (home keeps them per unit a minute:
    kit.offers)."""
    assert actor.unit is not None
    path = actor.unit.path
    return list(
        offers.shared(
            cache,
            ("study-sets", path),
            session,
            lambda db: offers.detached(db, db.exec(_SETS, params={"ancestors": units.ancestor_ids(path)}).all()),
            lasting=True,
        )
    )


_SETS = (
    select(Topic)
    .where(col(Topic.study_published).is_(True), col(Topic.unit_id).in_(bindparam("ancestors", expanding=True)))
    .order_by(Topic.name)
)


def _kept_for_rounds(session: Session, now: datetime) -> ColumnElement[bool]:
    """A WHERE clause on Question: the questions that a round not yet closed may ask (drafts included: an
    organiser preparing next week's round must not find its questions with their keys in study)."""
    rounds = session.exec(
        select(Round)
        .join(Contest, col(Contest.id) == Round.contest_id)
        .where(Contest.status != ContestStatus.closed, Round.status != RoundStatus.closed, Round.closes_at > now)
    ).all()
    if not rounds:
        return false()
    clauses: list[ColumnElement[bool]] = [
        col(Question.id).in_(select(RoundQuestion.question_id).where(col(RoundQuestion.round_id).in_([r.id for r in rounds])))
    ]
    for rnd in rounds:
        for line in rnd.draw or []:
            if line.get("difficulty"):
                clauses.append(and_(col(Question.topic_id) == line.get("topic_id"), col(Question.difficulty) == line["difficulty"]))
            else:
                clauses.append(col(Question.topic_id) == line.get("topic_id"))
    return or_(*clauses)


@dataclass
class StudySet:
    topic: Topic
    questions: list[Question]
    options: dict[int, list[QuestionOption]]
    withheld: int  # questions kept back because a round not yet closed may ask them


def open_set(*, session: Session, actor: Actor, topic_id: int, now: datetime | None = None) -> StudySet:
    topic = session.get(Topic, topic_id) if is_db_id(topic_id) else None
    if topic is None or topic not in sets_for(session=session, actor=actor):
        raise NotFound(N_("Không tìm thấy bộ câu hỏi ôn tập."))
    return _study_set(session, topic, now)


def public_set(*, session: Session, slug: str, now: datetime | None = None) -> StudySet:
    """A set opened to everyone, by its share link; no account needed."""
    topic = (
        session.exec(
            select(Topic).where(Topic.study_slug == slug, col(Topic.study_public).is_(True), col(Topic.study_published).is_(True))
        ).first()
        if slug
        else None
    )
    if topic is None:
        raise NotFound(N_("Không tìm thấy bộ câu hỏi ôn tập."))
    return _study_set(session, topic, now)


def _study_set(session: Session, topic: Topic, now: datetime | None) -> StudySet:
    blocked = _kept_for_rounds(session, now or utcnow())
    active = select(Question).where(Question.topic_id == topic.id, col(Question.active).is_(True))
    allowed = list(session.exec(active.where(~blocked).order_by(col(Question.id))).all())
    total = session.exec(select(func.count()).select_from(active.subquery())).one()
    return StudySet(
        topic=topic,
        questions=allowed,
        options=options_of(session=session, question_ids=[q.id for q in allowed if q.id is not None]),
        withheld=total - len(allowed),
    )


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
