"""Jinja2 pages: one environment, the request's locale, and the CSRF seed cookie."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape

from app import i18n
from app.deps import csrf_cookie, csrf_session
from app.security import csrf_token_for, new_csrf_seed
from app.shared_page import Piece, SharedPage, accepts_gzip, hole

TEMPLATE_DIR = Path(__file__).parent / "templates"
_locale: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=i18n.DEFAULT)


def _gettext(message: str, **params: Any) -> str:
    text = i18n.translations(_locale.get()).gettext(message)
    return text % params if params else text


def _ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = i18n.translations(_locale.get()).ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates ship with the code, like the modules: no stat() of each file on every page
)
env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]  # the i18n extension adds it


def _number(value: int | float | None) -> str:
    return i18n.number(value, _locale.get())


def mmss(value: int | None, unit: str = "s") -> str:
    """A duration as m:ss (time left, time taken): seconds, or milliseconds with unit="ms"."""
    if value is None:
        return ""
    seconds = value // 1000 if unit == "ms" else value
    return f"{seconds // 60}:{seconds % 60:02d}"


def _pct(rate: float | None, digits: int = 1) -> str:
    return i18n.percent(rate, _locale.get(), digits)


env.filters["number"] = _number
env.filters["pct"] = _pct
env.filters["mmss"] = mmss


def request_locale(request: Request) -> str:
    return i18n.pick_locale(request.cookies.get("lang"))


env.globals["hole"] = hole
CSRF_HOLE = hole("csrf")  # the CSRF token's place in a shared page


def _csrf_seed(request: Request) -> tuple[str, str | None]:
    """The browser's CSRF seed, and a new one to set when it has none: the same all through a request, whose
    page and own pieces (render_fragment's `own`) must carry tokens of one seed."""
    seed = request.cookies.get(csrf_cookie(request))
    if seed:
        return seed, None
    made: tuple[str, str | None] | None = request.scope.get("hoithi.new_csrf_seed")
    if made is None:
        new = new_csrf_seed()
        made = request.scope["hoithi.new_csrf_seed"] = (new, new)
    return made


def _csrf_token(request: Request, seed: str) -> str:
    return csrf_token_for(seed, secret=request.app.state.secret, session=csrf_session(request))


def _render_html(request: Request, name: str, context: dict[str, Any], locale: str, csrf_token: str) -> str:
    token = _locale.set(locale)
    try:

        def local(ts: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
            return local_time(request, ts, fmt) if ts else ""

        ctx = {
            "request": request,
            "locale": locale,
            "csrf_token": csrf_token,
            "local": local,
            "path": request.scope["path"],  # request.url would build the whole URL for it
            "static_version": request.app.state.static_version,
        }
        ctx.update(context)
        return env.get_template(name).render(ctx)
    finally:
        _locale.reset(token)


def _respond(request: Request, html: str | bytes, new_seed: str | None, status_code: int, headers: dict[str, str] | None) -> HTMLResponse:
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if new_seed:
        response.set_cookie(
            csrf_cookie(request), new_seed, httponly=True, samesite="lax", secure=not request.app.state.settings.insecure_cookies, path="/"
        )
    return response


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    seed, new_seed = _csrf_seed(request)
    html = _render_html(request, name, context or {}, request_locale(request), _csrf_token(request, seed))
    return _respond(request, html, new_seed, status_code, headers)


_pieces: dict[tuple[str, ...], Piece] = {}


def piece(request: Request, name: str, **variant: str) -> Piece:
    """A template rendered once per language and `variant` (the few values that pick its text, such as the
    kind of a question: a small set, as each is kept for good) and cut at its holes ({{ hole("n") }}), for a
    part repeated many times in a page: Piece.fill fills it per use."""
    locale = request_locale(request)
    key = (name, locale, *(f"{k}={v}" for k, v in sorted(variant.items())))
    made = _pieces.get(key)
    if made is None:
        made = _pieces[key] = Piece.cut(_render_html(request, name, dict(variant), locale, ""))
    return made


def render_filled(request: Request, name: str, fills: dict[str, str]) -> HTMLResponse:
    """A small answer that depends on nothing but the locale and its holes ({{ hole("time") }}; `fills` by hole
    name, HTML already): a piece (above), filled per request. For the answer every tap gets (24 a member and
    round), where rendering the template again was a seventh of the tap's CPU
    (docs/performance.md#the-members-journey)."""
    return HTMLResponse(piece(request, name).fill(fills))


def local_time(request: Request, ts: datetime, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A timestamp in the app's time zone, as pages show it (`local` in templates)."""
    return ts.astimezone(ZoneInfo(request.app.state.settings.timezone)).strftime(fmt)


def render_fragment(request: Request, name: str, context: dict[str, Any], *, own: bool = False) -> str:
    """A piece of a page as text (a hole's filling), in the request's locale. `own`: a piece for this caller
    alone, never kept for others, which may then carry their CSRF token (a form's csrf_token)."""
    return _render_html(request, name, context, request_locale(request), _csrf_token(request, _csrf_seed(request)[0]) if own else "")


class PageCache(Protocol):
    def get_or(self, key: tuple, make: Callable[[], Any], *, lasting: bool = False) -> Any: ...


def render_shared(
    request: Request,
    name: str,
    *,
    cache: PageCache,
    key: tuple,
    context: Callable[[], dict[str, Any]],
    fills: Callable[[], dict[str, str]] = dict,
    mark: tuple[str, str] | None = None,
    lasting: bool = False,
    status_code: int = 200,
    path: str | None = None,
) -> HTMLResponse:
    """A page that thousands of people ask for in the same minutes and that is the same for all of them but
    for a few personal pieces (a leaderboard): rendered once per path, `key` and locale into `cache` (and
    compressed once, app.shared_page), with the CSRF token and each personal piece left as a hole
    ({{ hole("name") }} in the template), which the CSRF token and `fills()` (pieces by hole name) fill per
    request; `mark` = (text, replacement) marks one spot of the shared text for this person (their own row).
    Everything `context()` returns is shown to everyone who gets the same key, so it must hold nothing
    personal; the key must name whatever else the page depends on (e.g. the roles that decide the
    navigation). `lasting`: see BoardCache. `path`: the page is kept under this path instead of the request's,
    for the pages of many paths that show the same (the quiz page of every attempt of a round); the request's
    own path (base.html's language links) then goes in a hole."""
    locale = request_locale(request)
    own_path = {"next": escape(quote(request.scope["path"]))} if path else {}
    shared: SharedPage = cache.get_or(
        ("html", locale, path or request.scope["path"], *key),
        lambda: SharedPage.cut(
            _render_html(request, name, {**context(), **({"next_path": hole("next")} if path else {})}, locale, CSRF_HOLE)
        ),
        lasting=lasting,
    )
    seed, new_seed = _csrf_seed(request)
    body, gzipped = shared.body(
        {**fills(), **own_path, "csrf": _csrf_token(request, seed)},
        mark=mark,
        gzip=accepts_gzip(request.headers.get("accept-encoding", "")),
    )
    # compressed here, the gzip middleware passes it on as it is (and says Vary for a plain answer itself)
    return _respond(request, body, new_seed, status_code, {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"} if gzipped else None)


def translate(request: Request, msgid: str, /, **params: Any) -> str:
    return i18n.translate(msgid, request_locale(request), **params)
