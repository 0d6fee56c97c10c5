"""Question bank files over the API: import into a topic (all or nothing), export a topic, the templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from app.deps import RequireOrganiser, SessionDep
from app.i18n import from_accept_language
from app.routers.base import LegacyForm, make_router
from app.services.bank import question_export, question_import
from app.services.bank import questions as bank
from app.services.bank.schemas import (
    QuestionCreate,
    QuestionImportOut,
    QuestionPublic,
    RescoreOut,
    SkippedQuestion,
    TopicCreate,
    TopicPublic,
)
from app.services.kit.files import XLSX, attachment
from app.services.kit.legacy_text import legacy_code
from app.services.kit.tables import MAX_BYTES
from app.services.results import rescoring

router = make_router(tags=["question bank"])


@router.post("/topics", response_model=TopicPublic, status_code=201)
def create_topic(data: TopicCreate, actor: RequireOrganiser, session: SessionDep) -> TopicPublic:
    topic = bank.create_topic(session=session, actor=actor, data=data)
    assert topic.id is not None
    _topic, unit = bank.get_topic(session=session, actor=actor, topic_id=topic.id)
    return TopicPublic(
        id=topic.id, name=topic.name, description=topic.description, unit_code=unit.code, study_published=topic.study_published
    )


@router.get("/topics", response_model=list[TopicPublic])
def list_topics(actor: RequireOrganiser, session: SessionDep) -> list[TopicPublic]:
    return [
        TopicPublic(id=t.id, name=t.name, description=t.description, unit_code=u.code, study_published=t.study_published, questions=n)
        for t, u, n in bank.list_topics(session=session, actor=actor)
        if t.id is not None
    ]


@router.post("/questions", response_model=QuestionPublic, status_code=201)
def create_question(data: QuestionCreate, actor: RequireOrganiser, session: SessionDep) -> QuestionPublic:
    question = bank.create_question(session=session, actor=actor, data=data)
    assert question.id is not None
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
    options = bank.options_of(session=session, question_ids=[x.id for x in questions if x.id is not None])
    return [bank.to_public(x, options[x.id]) for x in questions if x.id is not None]


@router.post("/questions/{question_id}/rescore", response_model=RescoreOut)
def rescore_question(question_id: int, actor: RequireOrganiser, session: SessionDep) -> RescoreOut:
    """Apply the question's current key to every attempt that drew it (sealed rounds excepted); audited."""
    return RescoreOut(**vars(rescoring.rescore_question(session=session, actor=actor, question_id=question_id)))


@router.post("/questions/import", response_model=QuestionImportOut)
def import_questions(
    request: Request,
    actor: RequireOrganiser,
    session: SessionDep,
    file: Annotated[UploadFile, File(description=".xlsx, .csv, Aiken .txt, GIFT .gift or Moodle .xml")],
    topic_id: Annotated[int, Form()],
    legacy: LegacyForm = "",
) -> QuestionImportOut:
    # One byte over the limit is enough for the service to say the file is too large.
    content = file.file.read(MAX_BYTES + 1)
    result = question_import.commit(
        session=session,
        actor=actor,
        topic_id=topic_id,
        content=content,
        filename=file.filename or "",
        locale=from_accept_language(request.headers.get("accept-language")),
        legacy=legacy_code(legacy),
    )
    return QuestionImportOut(
        created=result.created, skipped=[SkippedQuestion(**s) for s in result.skipped], notes=[SkippedQuestion(**s) for s in result.notes]
    )


def _download(export: question_export.Export) -> Response:
    return Response(
        export.content,
        media_type=export.media_type,
        headers={"Content-Disposition": attachment(export.filename, display=export.display_name)},
    )


@router.get("/topics/{topic_id}/export.xlsx", response_class=Response)
def export_xlsx(topic_id: int, actor: RequireOrganiser, session: SessionDep, include_inactive: bool = False) -> Response:
    return _download(question_export.to_xlsx(session=session, actor=actor, topic_id=topic_id, include_inactive=include_inactive))


@router.get("/topics/{topic_id}/export.xml", response_class=Response)
def export_moodle_xml(topic_id: int, actor: RequireOrganiser, session: SessionDep, include_inactive: bool = False) -> Response:
    return _download(question_export.to_moodle_xml(session=session, actor=actor, topic_id=topic_id, include_inactive=include_inactive))


@router.get("/questions/import/template.xlsx", response_class=Response)
def template_xlsx(actor: RequireOrganiser) -> Response:
    return Response(
        question_import.template_xlsx(), media_type=XLSX, headers={"Content-Disposition": attachment("mau-ngan-hang-cau-hoi.xlsx")}
    )


@router.get("/questions/import/template.csv", response_class=Response)
def template_csv(actor: RequireOrganiser) -> Response:
    return Response(
        question_import.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment("mau-ngan-hang-cau-hoi.csv")},
    )
