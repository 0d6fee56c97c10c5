"""What every page router needs: token cookie, safe redirects, and form errors shown in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.config import Settings
from app.db import NO_DATABASE
from app.db_loop import from_memory_or_database, loop_reads
from app.deps import TOKEN_COOKIE
from app.errors import N_, AppError, Invalid
from app.services.contests import sharing
from app.services.org.access import Actor
from app.templating import translate


async def on_loop_or_pool(request: Request, page: Callable[[Session, Connection | None], Response]) -> Response:
    """A member's page that every member opens when a round opens: on SQLite made on the event loop, from
    what is kept in memory and the member's own rows read there (db_loop.loop_reads: page(NO_DATABASE, a
    connection)); else, or when that cannot be (an attempt past its time to finalise), in the thread pool
    on a session that commits (page(session, None))."""
    loop_reader = request.app.state.loop_reader

    def answer(session: Session) -> Response:
        if session is not NO_DATABASE:
            return page(session, None)
        with loop_reads(loop_reader) as conn:
            return page(session, conn)

    return await from_memory_or_database(request.app.state.engine, request.app.state.loop_reader, answer, commit=True)


def nav_roles(actor: Actor) -> frozenset[str]:
    """What decides a page's navigation (base.html): part of the key of a page shared by many (render_shared)."""
    return frozenset(g.role for g in actor.grants)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: an open redirect would let a phishing link borrow our login page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def set_private_cookie(response: RedirectResponse, name: str, value: str, *, max_age: int, settings: Settings) -> None:
    """A cookie that proves who someone is (a login, a live game guest): HttpOnly, SameSite=Lax, the whole site,
    over HTTPS only unless HOITHI_INSECURE_COOKIES (a plain-HTTP trial on a LAN)."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=not settings.insecure_cookies, path="/")


def set_token_cookie(response: RedirectResponse, token: str, settings: Settings) -> None:
    set_private_cookie(response, TOKEN_COOKIE, token, max_age=settings.token_lifetime_s, settings=settings)


def clear_token_cookie(response: RedirectResponse, settings: Settings) -> None:
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="lax", secure=not settings.insecure_cookies)


def form_failure(session: Session, request: Request, exc: AppError) -> tuple[str, dict[str, str]]:
    """Undo the failed action and give (message, {field: message}) for the form to show."""
    session.rollback()
    message = translate(request, exc.message, **exc.params)
    field = exc.field if isinstance(exc, Invalid) else exc.extra.get("field")
    return message, ({field: message} if field else {})


async def form_fields(request: Request) -> dict[str, Any]:
    """The posted form as a dict (for forms with too many fields, or fields
    named by data, for one parameter each)."""
    form = await request.form()
    return {k: (form.getlist(k) if len(form.getlist(k)) > 1 or k.startswith("opt_correct") else form.get(k)) for k in form.keys()}


FormDep = Annotated[dict[str, Any], Depends(form_fields)]


def qr_response(request: Request, url: str, ext: str) -> Response:
    """A share link as a QR code (SVG or PNG), cached a day by phones and proxies when its address is the
    configured public one (never a request's own Host header)."""
    fixed = bool(request.app.state.settings.public_url)
    headers = {"Cache-Control": "public, max-age=86400" if fixed else "no-store"}
    if ext == "svg":
        return Response(sharing.qr_svg(url), media_type="image/svg+xml", headers=headers)
    if ext == "png":
        return Response(sharing.qr_png(url), media_type="image/png", headers=headers)
    return Response(status_code=404)


def whole_number(value: Any, field: str, default: int) -> int:
    """A form's whole number: `default` when left empty, a message naming the field when it is not one."""
    text = str(value or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise Invalid(N_("Ô này cần một số nguyên (đang là {value})."), field=field, value=text) from None


def form_list(form: dict[str, Any], key: str) -> list[str]:
    """All the values a form sent under `key` (repeated fields, a multiple select), none when it sent none."""
    value = form.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
