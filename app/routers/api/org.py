"""Member import over the API: one all-or-nothing request (the pages add a preview step)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Depends, File, Form, Request, Response, UploadFile

from app.deps import CurrentActor, RequireOrganiser, SecretDep, SessionDep, SettingsDep, client_ip, get_actor
from app.errors import N_, Invalid
from app.i18n import from_accept_language
from app.models import Unit
from app.routers.base import API, LegacyForm, direct, make_router
from app.services.kit.legacy_text import legacy_code
from app.services.kit.tables import MAX_BYTES
from app.services.org import auth, member_import, members, units
from app.services.org.schemas import (
    Credentials,
    MemberChangeOut,
    MemberCreate,
    MemberImportOut,
    MemberPublic,
    PasswordChange,
    TokenOut,
    UnitCreate,
    UnitPublic,
)

router = make_router(tags=["organisation"])


async def read_credentials(request: Request) -> Credentials:
    """JSON or an OAuth2-style form: both are in the contract."""
    ctype = request.headers.get("content-type", "")
    data: dict[str, object]
    if ctype.startswith("application/json"):
        try:
            data = json.loads(await request.body() or b"{}")
        except (ValueError, RecursionError):  # 100,000 nested brackets exhaust the parser's stack
            raise Invalid(N_("Nội dung JSON không hợp lệ.")) from None
        if not isinstance(data, dict):
            raise Invalid(N_("Nội dung JSON không hợp lệ."))
    else:
        data = dict(await request.form())
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not username.strip():
        raise Invalid(N_("Thiếu tên đăng nhập."), field="username")
    if not isinstance(password, str) or not password:
        raise Invalid(N_("Thiếu mật khẩu."), field="password")
    return Credentials(username=username, password=password)


@router.post("/auth/token", response_model=TokenOut)
def token(
    request: Request,
    creds: Annotated[Credentials, Depends(read_credentials)],
    session: SessionDep,
    settings: SettingsDep,
    secret: SecretDep,
) -> TokenOut:
    issued = auth.login(
        session=session, settings=settings, secret=secret, username=creds.username, password=creds.password, ip=client_ip(request)
    )
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post("/auth/password", status_code=204, responses={204: {"description": "Changed; other tokens revoked"}})
def change_password(data: PasswordChange, actor: CurrentActor, session: SessionDep, settings: SettingsDep, secret: SecretDep) -> Response:
    """The one call (with GET /me) a member who must choose a new password may make. Every token of the
    member, this one included, is revoked: log in again with the new password."""
    auth.change_password(
        session=session, settings=settings, secret=secret, actor=actor, current=data.current_password, new=data.new_password
    )
    return Response(status_code=204)


@router.get("/me", response_model=MemberPublic)
async def me(actor: CurrentActor) -> Response:
    # Everything is in the actor that authentication loaded (or found cached): no database, no thread. The JSON
    # is made here, as FastAPI would make it from MemberPublic, so that the direct route (DIRECT) sends the same.
    return Response(members.actor_public(actor).model_dump_json(), media_type="application/json")


@router.get("/units", response_model=list[UnitPublic])
def list_units(actor: CurrentActor, session: SessionDep) -> list:
    return units.list_all(session=session)


@router.post("/units", response_model=UnitPublic, status_code=201)
def create_unit(data: UnitCreate, actor: RequireOrganiser, session: SessionDep) -> Unit:
    return units.create(session=session, actor=actor, data=data)


@router.post("/members", response_model=MemberPublic, status_code=201)
def create_member(data: MemberCreate, actor: RequireOrganiser, session: SessionDep, secret: SecretDep) -> MemberPublic:
    member = members.create(session=session, actor=actor, data=data, secret=secret)
    return members.to_public(session=session, member=member)


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


# what an app asks first, of members the worker may not have seen for a while (routers.base.direct)
DIRECT = [direct(API + "/me", me, actor=get_actor)]
