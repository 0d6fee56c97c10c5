"""Member import over the API: one all-or-nothing request (the pages add a preview step)."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from pydantic import BaseModel

from app.deps import RequireOrganiser, SecretDep, SessionDep
from app.i18n import from_accept_language
from app.routers.base import LegacyForm, make_router
from app.services.kit.legacy_text import legacy_code
from app.services.kit.tables import MAX_BYTES
from app.services.org import member_import

router = make_router(tags=["members"])


class ImportRowError(BaseModel):
    row: int
    field: str | None
    message: str


class MemberChangeOut(BaseModel):
    """A field of an existing member the import changed (so a rename through the API is not silent either)."""

    row: int
    member_code: str
    field: str
    old: str
    new: str


class MemberImportOut(BaseModel):
    created: int
    updated: int
    # New accounts left without a password (no row password, no initial_password): they cannot log in until
    # an organiser sets one.
    without_password: int = 0
    changes: list[MemberChangeOut] = []
    errors: list[ImportRowError] = []


@router.post("/members/import", response_model=MemberImportOut)
def import_members(
    request: Request,
    actor: RequireOrganiser,
    session: SessionDep,
    secret: SecretDep,
    file: Annotated[UploadFile, File(description=".xlsx or .csv (UTF-8)")],
    initial_password: Annotated[str | None, Form()] = None,
    legacy: LegacyForm = "",
) -> MemberImportOut:
    # One byte over the limit is enough for the service to say the file is too large.
    content = file.file.read(MAX_BYTES + 1)
    result = member_import.commit(
        session=session,
        actor=actor,
        content=content,
        filename=file.filename or "",
        secret=secret,
        initial_password=initial_password,
        locale=from_accept_language(request.headers.get("accept-language")),
        legacy=legacy_code(legacy),
    )
    return MemberImportOut(
        created=result.created,
        updated=result.updated,
        without_password=result.without_password,
        changes=[MemberChangeOut(row=c.row, member_code=c.member_code, field=c.field, old=c.old, new=c.new) for c in result.changes],
    )
