from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import CurrentActor, SecretDep, SessionDep, SettingsDep, client_ip, require_csrf
from app.errors import AppError
from app.routers.base import make_router
from app.routers.pages.common import clear_token_cookie, form_failure, redirect, safe_next, set_token_cookie
from app.services.org import auth
from app.templating import render

router = make_router()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "pages/org/login.html", {"next": safe_next(next)})


@router.post("/login", dependencies=[Depends(require_csrf)])
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    secret: SecretDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        issued = auth.login(session=session, settings=settings, secret=secret, username=username, password=password, ip=client_ip(request))
    except AppError as exc:
        message, _ = form_failure(session, request, exc)
        return render(
            request,
            "pages/org/login.html",
            {"error": message, "username": username, "next": safe_next(next)},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    target = "/password" if issued.member.must_change_password else safe_next(next)
    response = redirect(target)
    set_token_cookie(response, issued.access_token, settings)
    return response


@router.post("/logout")
def logout(actor: CurrentActor, session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    auth.logout(session=session, actor=actor)
    response = redirect("/login")
    clear_token_cookie(response, settings)
    return response


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, actor: CurrentActor) -> HTMLResponse:
    return render(request, "pages/org/password.html", {"actor": actor, "forced": actor.member.must_change_password})


@router.post("/password")
def password_submit(
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    secret: SecretDep,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    forced = actor.member.must_change_password
    try:
        issued = auth.change_password(
            session=session,
            settings=settings,
            secret=secret,
            actor=actor,
            current=current_password,
            new=new_password,
            confirm=confirm_password,
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request,
            "pages/org/password.html",
            {"actor": actor, "forced": forced, "error": message, "errors": errors},
            status_code=exc.status_code,
        )
    response = redirect("/?msg=password_changed")
    set_token_cookie(response, issued.access_token, settings)
    return response


@router.get("/lang/{code}")
def set_language(code: str, settings: SettingsDep, next: str = "/") -> RedirectResponse:
    response = redirect(safe_next(next))
    if code in ("vi", "en"):
        response.set_cookie("lang", code, max_age=365 * 86400, samesite="lax", secure=not settings.insecure_cookies)
    return response
