from __future__ import annotations

import json
from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel, Field

from app.deps import CurrentActor, SecretDep, SessionDep, SettingsDep, client_ip
from app.errors import N_, Invalid
from app.routers.base import make_router
from app.services.org import auth

router = make_router(tags=["auth"])


class Credentials(BaseModel):
    username: str
    password: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


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


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)


@router.post("/auth/password", status_code=204, responses={204: {"description": "Changed; other tokens revoked"}})
def change_password(data: PasswordChange, actor: CurrentActor, session: SessionDep, settings: SettingsDep, secret: SecretDep) -> Response:
    """The one call (with GET /me) a member who must choose a new password may make. Every token of the
    member, this one included, is revoked: log in again with the new password."""
    auth.change_password(
        session=session, settings=settings, secret=secret, actor=actor, current=data.current_password, new=data.new_password
    )
    return Response(status_code=204)
