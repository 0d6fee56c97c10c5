"""Jinja2 pages: one environment, the request's locale, and the CSRF seed cookie."""
from __future__ import annotations

import contextvars
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app import i18n
from app.deps import CSRF_COOKIE
from app.security import csrf_token_for, new_csrf_seed

TEMPLATE_DIR = Path(__file__).parent / "templates"
_locale: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=i18n.DEFAULT)


def _gettext(message: str, **params: Any) -> str:
    text = i18n.translations(_locale.get()).gettext(message)
    return text % params if params else text


def _ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = i18n.translations(_locale.get()).ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]),
                  extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]


def _number(value: int | float | None) -> str:
    """Vietnamese digit grouping: 8.292."""
    if value is None:
        return ""
    text = f"{value:,}"
    return text.replace(",", ".") if _locale.get() == "vi" else text


def _mmss(value: int | None, unit: str = "s") -> str:
    """A duration as m:ss (time left, time taken): seconds, or milliseconds with unit="ms"."""
    if value is None:
        return ""
    seconds = value // 1000 if unit == "ms" else value
    return f"{seconds // 60}:{seconds % 60:02d}"


env.filters["number"] = _number
env.filters["mmss"] = _mmss


def request_locale(request: Request) -> str:
    return i18n.pick_locale(request.cookies.get("lang"))


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    locale = request_locale(request)
    token = _locale.set(locale)
    try:
        settings = request.app.state.settings
        seed = request.cookies.get(CSRF_COOKIE)
        new_seed = None
        if not seed:
            seed = new_seed = new_csrf_seed()
        tz = ZoneInfo(settings.timezone)

        def local(ts: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
            return ts.astimezone(tz).strftime(fmt) if ts else ""

        ctx = {"request": request, "locale": locale, "csrf_token": csrf_token_for(seed, secret=request.app.state.secret),
               "local": local, "path": request.url.path, "static_version": request.app.state.static_version}
        ctx.update(context or {})
        html = env.get_template(name).render(ctx)
    finally:
        _locale.reset(token)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if new_seed:
        response.set_cookie(CSRF_COOKIE, new_seed, httponly=True, samesite="lax",
                            secure=not settings.insecure_cookies, path="/")
    return response


def translate(request: Request, msgid: str, /, **params: Any) -> str:
    return i18n.translate(msgid, request_locale(request), **params)
