"""Question bank files over the API: import into a topic (all or nothing), export a topic, the templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from app.deps import RequireOrganiser, SessionDep
from app.i18n import from_accept_language
from app.routers.base import LegacyForm, make_router
from app.services.bank import question_export, question_import
from app.services.kit.files import XLSX, attachment
from app.services.kit.legacy_text import legacy_code
from app.services.kit.tables import MAX_BYTES

router = make_router(tags=["question bank"])


class SkippedQuestion(BaseModel):
    line: int
    reason: str


class ImportRowError(BaseModel):
    row: int
    field: str | None
    message: str


class QuestionImportOut(BaseModel):
    created: int
    skipped: list[SkippedQuestion] = []
    notes: list[SkippedQuestion] = []  # imported, but not quite as the file wrote it (the reason says how)
    errors: list[ImportRowError] = []


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
