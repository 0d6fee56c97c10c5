from __future__ import annotations

from fastapi import Query
from pydantic import BaseModel

from app.deps import RequireOrganiser, SessionDep
from app.models.bank import QuestionCreate, QuestionPublic, TopicCreate, TopicPublic
from app.routers.base import make_router
from app.services.bank import questions as bank
from app.services.results import rescoring

router = make_router(tags=["question bank"])


@router.post("/topics", response_model=TopicPublic, status_code=201)
def create_topic(data: TopicCreate, actor: RequireOrganiser, session: SessionDep) -> TopicPublic:
    topic = bank.create_topic(session=session, actor=actor, data=data)
    _topic, unit = bank.get_topic(session=session, actor=actor, topic_id=topic.id)
    return TopicPublic(
        id=topic.id, name=topic.name, description=topic.description, unit_code=unit.code, study_published=topic.study_published
    )


@router.get("/topics", response_model=list[TopicPublic])
def list_topics(actor: RequireOrganiser, session: SessionDep) -> list[TopicPublic]:
    return [
        TopicPublic(id=t.id, name=t.name, description=t.description, unit_code=u.code, study_published=t.study_published, questions=n)
        for t, u, n in bank.list_topics(session=session, actor=actor)
    ]


@router.post("/questions", response_model=QuestionPublic, status_code=201)
def create_question(data: QuestionCreate, actor: RequireOrganiser, session: SessionDep) -> QuestionPublic:
    question = bank.create_question(session=session, actor=actor, data=data)
    return bank.to_public(question, bank.options_of(session=session, question_ids=[question.id])[question.id])


@router.get("/topics/{topic_id}/questions", response_model=list[QuestionPublic])
def topic_questions(
    topic_id: int,
    actor: RequireOrganiser,
    session: SessionDep,
    q: str = "",
    difficulty: str = "",
    tag: str = "",
    include_inactive: bool = Query(True),
) -> list[QuestionPublic]:
    questions = bank.list_questions(
        session=session, actor=actor, topic_id=topic_id, q=q, difficulty=difficulty, tag=tag, include_inactive=include_inactive
    )
    options = bank.options_of(session=session, question_ids=[x.id for x in questions])
    return [bank.to_public(x, options[x.id]) for x in questions]


class RescoreOut(BaseModel):
    question_id: int
    attempts_changed: int
    scores_changed: int
    rounds: list[int]
    sealed_skipped: int
    unmatched: int


@router.post("/questions/{question_id}/rescore", response_model=RescoreOut)
def rescore_question(question_id: int, actor: RequireOrganiser, session: SessionDep) -> RescoreOut:
    """Apply the question's current key to every attempt that drew it (sealed rounds excepted); audited."""
    return RescoreOut(**vars(rescoring.rescore_question(session=session, actor=actor, question_id=question_id)))
