"""The question bank: topics owned by a unit subtree and their questions.

A question's rules live in one place, bank.question_rules.check_question: forms, the API and every importer
call it.
Editing a question bumps its version; attempts keep the snapshot they drew (docs/rules-as-built.md), so an edit never
changes what a member was asked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.errors import N_, Invalid, NotFound
from app.models import Question, QuestionOption, Topic, Unit
from app.models.types import is_db_id, utcnow
from app.services.bank.question_rules import CleanQuestion, check_question, tags_column, tags_list
from app.services.bank.schemas import OptionPublic, QuestionCreate, QuestionPublic, TopicCreate
from app.services.kit import audit
from app.services.kit.text import clean, fold
from app.services.org.access import MANAGE, Actor
from app.services.org.members import raise_first


# --- topics --------------------------------------------------------------------------------------------
def _default_scope(session: Session, actor: Actor) -> Unit:
    grant = next((g for g in actor.grants if g.role in MANAGE), None)
    if grant is None:
        actor.require_any()
    assert grant is not None
    unit = session.get(Unit, grant.unit_id)
    assert unit is not None
    return unit


def create_topic(*, session: Session, actor: Actor, data: TopicCreate) -> Topic:
    from app.services.org.units import get_by_code

    actor.require_any()
    unit = get_by_code(session=session, code=data.unit_code) if data.unit_code else _default_scope(session, actor)
    actor.require(unit)
    name = clean(data.name)
    if not name:
        raise Invalid(N_("Thiếu tên chủ đề."), field="name")
    if len(name) > 200:
        raise Invalid(N_("Tên chủ đề dài quá 200 ký tự."), field="name")
    assert unit.id is not None
    topic = Topic(unit_id=unit.id, name=name, description=clean(data.description), created_by_id=actor.id)
    session.add(topic)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="topic.create",
        entity="topic",
        entity_id=topic.id,
        detail={"name": name, "unit": unit.code},
        ip=actor.ip,
    )
    return topic


def get_topic(*, session: Session, actor: Actor, topic_id: int) -> tuple[Topic, Unit]:
    """A topic the actor may manage; one outside their subtrees does not exist for them."""
    topic = session.get(Topic, topic_id) if is_db_id(topic_id) else None
    unit = session.get(Unit, topic.unit_id) if topic else None
    if topic is None or unit is None or not actor.covers(unit):
        raise NotFound(N_("Không tìm thấy chủ đề."))
    return topic, unit


def list_topics(*, session: Session, actor: Actor) -> list[tuple[Topic, Unit, int]]:
    counts = (
        select(Question.topic_id, func.count().label("n")).where(col(Question.active).is_(True)).group_by(col(Question.topic_id)).subquery()
    )
    rows = session.exec(
        select(Topic, Unit, func.coalesce(counts.c.n, 0))
        .join(Unit, col(Unit.id) == Topic.unit_id)
        .outerjoin(counts, counts.c.topic_id == Topic.id)
        .where(actor.unit_filter())
        .order_by(col(Topic.name), col(Topic.id))
    ).all()
    return [(t, u, int(n)) for t, u, n in rows]


def active_by_topic(*, session: Session, actor: Actor) -> list[tuple[Topic, list[Question]]]:
    """Every active question the organiser reaches, by topic: what a round's fixed list is picked from."""
    rows = session.exec(
        select(Topic, Question)
        .join(Unit, col(Unit.id) == Topic.unit_id)
        .join(Question, col(Question.topic_id) == Topic.id)
        .where(actor.unit_filter(), col(Question.active).is_(True))
        .order_by(col(Topic.name), col(Topic.id), col(Question.id))
    ).all()
    out: list[tuple[Topic, list[Question]]] = []
    for topic, question in rows:
        if not out or out[-1][0].id != topic.id:
            out.append((topic, []))
        out[-1][1].append(question)
    return out


# --- questions -----------------------------------------------------------------------------------------
def question_values(*, topic_id: int, q: CleanQuestion, actor_id: int | None) -> dict[str, Any]:
    """The columns of a new Question from a checked one (bulk importers insert these directly)."""
    now = utcnow()
    return {
        "topic_id": topic_id,
        "kind": q.kind,
        "text": q.text,
        "explanation": q.explanation,
        "difficulty": q.difficulty,
        "source_ref": q.source_ref,
        "tags": tags_column(q.tags),
        "text_folded": fold(q.text),
        "active": True,
        "version": 1,
        "created_by_id": actor_id,
        "created_at": now,
        "updated_at": now,
    }


def add_question(*, session: Session, topic: Topic, q: CleanQuestion, actor_id: int | None) -> Question:
    """Insert a checked question and its options (no audit: callers record one entry per action)."""
    assert topic.id is not None
    question = Question(**question_values(topic_id=topic.id, q=q, actor_id=actor_id))
    session.add(question)
    session.flush()
    assert question.id is not None
    session.add_all([QuestionOption(question_id=question.id, position=i, text=t, correct=c) for i, (t, c) in enumerate(q.options)])
    return question


def create_question(*, session: Session, actor: Actor, data: QuestionCreate) -> Question:
    topic, _unit = get_topic(session=session, actor=actor, topic_id=data.topic_id)
    q, errors = check_question(
        kind=data.kind,
        text=data.text,
        options=[(o.text, o.correct) for o in data.options],
        explanation=data.explanation,
        difficulty=data.difficulty,
        source_ref=data.source_ref,
        tags=data.tags,
    )
    raise_first(errors)
    return create_checked(session=session, actor=actor, topic=topic, q=q)


def create_checked(*, session: Session, actor: Actor, topic: Topic, q: CleanQuestion) -> Question:
    question = add_question(session=session, topic=topic, q=q, actor_id=actor.id)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="question.create",
        entity="question",
        entity_id=question.id,
        detail={"topic_id": topic.id},
        ip=actor.ip,
    )
    return question


def options_of(*, session: Session, question_ids: list[int]) -> dict[int, list[QuestionOption]]:
    out: dict[int, list[QuestionOption]] = {i: [] for i in question_ids}
    for start in range(0, len(question_ids), 500):
        chunk = question_ids[start : start + 500]
        for opt in session.exec(
            select(QuestionOption)
            .where(col(QuestionOption.question_id).in_(chunk))
            .order_by(col(QuestionOption.question_id), col(QuestionOption.position))
        ).all():
            out[opt.question_id].append(opt)
    return out


def to_public(question: Question, options: list[QuestionOption]) -> QuestionPublic:
    assert question.id is not None
    return QuestionPublic(
        id=question.id,
        topic_id=question.topic_id,
        kind=question.kind,
        text=question.text,
        options=[OptionPublic(id=o.id or 0, text=o.text, correct=o.correct) for o in options],
        explanation=question.explanation,
        difficulty=question.difficulty,
        source_ref=question.source_ref,
        tags=tags_list(question.tags),
        active=question.active,
        version=question.version,
    )


def list_questions(
    *, session: Session, actor: Actor, topic_id: int, q: str = "", difficulty: str = "", tag: str = "", include_inactive: bool = True
) -> list[Question]:
    """A topic's questions, filtered; the text search ignores diacritics."""
    get_topic(session=session, actor=actor, topic_id=topic_id)
    stmt = select(Question).where(Question.topic_id == topic_id)
    if not include_inactive:
        stmt = stmt.where(col(Question.active).is_(True))
    if difficulty:
        stmt = stmt.where(Question.difficulty == difficulty)
    if tag:
        stmt = stmt.where(col(Question.tags).contains("," + clean(tag) + ",", autoescape=True))
    term = fold(q)
    if term:
        stmt = stmt.where(or_(col(Question.text_folded).contains(term, autoescape=True)))
    return list(session.exec(stmt.order_by(col(Question.id))).all())


def touch(question: Question) -> None:
    question.version += 1
    question.updated_at = utcnow()


def get_question(*, session: Session, actor: Actor, question_id: int) -> tuple[Question, Topic]:
    question = session.get(Question, question_id) if is_db_id(question_id) else None
    if question is None:
        raise NotFound(N_("Không tìm thấy câu hỏi."))
    try:
        topic, _unit = get_topic(session=session, actor=actor, topic_id=question.topic_id)
    except NotFound:
        raise NotFound(N_("Không tìm thấy câu hỏi.")) from None
    return question, topic


def _snapshot(question: Question, options: list[QuestionOption]) -> dict[str, Any]:
    return {
        "kind": question.kind,
        "text": question.text,
        "explanation": question.explanation,
        "difficulty": question.difficulty,
        "source_ref": question.source_ref,
        "tags": tags_list(question.tags),
        "options": [[o.text, o.correct] for o in options],
    }


def update_question(*, session: Session, actor: Actor, question_id: int, q: CleanQuestion) -> Question:
    """Replace a question's content. Attempts keep their own snapshot, so this never rewrites history;
    the version number and the audit entry (before and after) say what changed."""
    question, _topic = get_question(session=session, actor=actor, question_id=question_id)
    assert question.id is not None
    old_options = options_of(session=session, question_ids=[question.id])[question.id]
    before = _snapshot(question, old_options)
    for opt in old_options:
        session.delete(opt)
    session.flush()
    question.kind, question.text, question.explanation = q.kind, q.text, q.explanation
    question.difficulty, question.source_ref, question.tags = q.difficulty, q.source_ref, tags_column(q.tags)
    question.text_folded = fold(q.text)
    touch(question)
    new_options = [QuestionOption(question_id=question.id, position=i, text=t, correct=c) for i, (t, c) in enumerate(q.options)]
    session.add_all(new_options)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="question.update",
        entity="question",
        entity_id=question.id,
        detail={"before": before, "after": _snapshot(question, new_options), "version": question.version},
        ip=actor.ip,
    )
    return question


def set_question_active(*, session: Session, actor: Actor, question_id: int, active: bool) -> Question:
    question, _topic = get_question(session=session, actor=actor, question_id=question_id)
    if question.active != active:
        question.active = active
        touch(question)
        audit.record(
            session=session,
            actor_id=actor.id,
            action="question.activate" if active else "question.deactivate",
            entity="question",
            entity_id=question.id,
            ip=actor.ip,
        )
    session.flush()
    return question


def duplicate_question(*, session: Session, actor: Actor, question_id: int) -> Question:
    question, topic = get_question(session=session, actor=actor, question_id=question_id)
    assert question.id is not None
    options = options_of(session=session, question_ids=[question.id])[question.id]
    copy = add_question(
        session=session,
        topic=topic,
        actor_id=actor.id,
        q=CleanQuestion(
            kind=question.kind,
            text=question.text,
            options=[(o.text, o.correct) for o in options],
            explanation=question.explanation,
            difficulty=question.difficulty,
            source_ref=question.source_ref,
            tags=tags_list(question.tags),
        ),
    )
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="question.duplicate",
        entity="question",
        entity_id=copy.id,
        detail={"from": question.id},
        ip=actor.ip,
    )
    return copy
