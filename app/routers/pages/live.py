"""Live games in the browser: the organiser's list and form, the host's console (a laptop), the projector view,
joining with the PIN (members logged in, or guests with a name and a unit when the game lets them in) and
playing on a phone, and the results. The pages are shells: app/static/live.js draws the game's state from the
API (app/routers/api/live.py). Rules in app.services.live."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.deps import (
    GUEST_COOKIE,
    OptionalActor,
    PageActor,
    PageLiveWho,
    PageOrganiser,
    SessionDep,
    SettingsDep,
    client_ip,
    require_csrf,
)
from app.errors import N_, AppError, Invalid, NotFound
from app.models import LiveGame, Unit
from app.models.live import LiveMode, LiveStatus
from app.models.types import is_db_id
from app.routers.base import download, make_router, public_base_url
from app.routers.pages.common import FormDep, form_failure, form_list, qr_response, redirect, set_private_cookie, whole_number
from app.services.bank import questions as bank
from app.services.live import games, guests, play, review
from app.services.live.schemas import DrawIn, LiveGameIn, ResultRow
from app.services.org import units
from app.services.org.access import Actor
from app.templating import render, request_locale

router = make_router()
DRAW_ROWS = 3  # the form always shows at least this many draw lines
TOP_ROWS = 100  # the results page shows this many of each table; the spreadsheet has everyone
GUEST_COOKIE_S = 12 * 3600  # a guest's cookie lasts a long evening of games
DEFAULT_FORM: dict[str, Any] = {
    "mode": LiveMode.points,
    "seconds_per_question": "20",
    "survivors": "1",
    "streak_bonus": "1",
    "draw_count": ["10"],
}


# --- the organiser's list and form -----------------------------------------------------------------------------------
def _draw_rows(form: dict[str, Any]) -> list[dict[str, str]]:
    """The draw lines as posted (topic, difficulty, count), padded with blank ones."""
    topics, diffs, counts = form_list(form, "draw_topic_id"), form_list(form, "draw_difficulty"), form_list(form, "draw_count")
    size = max(len(topics), len(diffs), len(counts))
    rows = [
        {
            "topic_id": topics[i] if i < len(topics) else "",
            "difficulty": diffs[i] if i < len(diffs) else "",
            "count": counts[i] if i < len(counts) else "",
        }
        for i in range(size)
    ]
    filled = [r for r in rows if r["topic_id"].strip()]
    blank = {"topic_id": "", "difficulty": "", "count": ""}
    return (filled or rows[:1]) + [blank] * max(1, DRAW_ROWS - len(filled or rows[:1]))


def _topic_id(value: str) -> int:
    topic_id = whole_number(value, "draw", 0)
    if not is_db_id(topic_id):  # beyond a database id: no such topic (and no overflow in the query)
        raise Invalid(N_("Không tìm thấy chủ đề."), field="draw")
    return topic_id


def game_from_form(form: dict[str, Any]) -> LiveGameIn:
    """The create form as the API's body: questions drawn by topic (a line without a topic is a blank line)."""
    draw = [
        DrawIn(topic_id=_topic_id(r["topic_id"]), difficulty=r["difficulty"] or None, count=whole_number(r["count"], "draw", 0))
        for r in _draw_rows(form)
        if r["topic_id"].strip()
    ]
    mode: Literal["points", "elimination"] = "elimination" if form.get("mode") == "elimination" else "points"
    try:
        return LiveGameIn(
            title=str(form.get("title") or ""),
            scope_unit_code=str(form.get("scope_unit_code") or ""),
            draw=draw,
            mode=mode,
            seconds_per_question=whole_number(form.get("seconds_per_question"), "seconds_per_question", 20),
            streak_bonus=bool(form.get("streak_bonus")),
            allow_guests=bool(form.get("allow_guests")),
            survivors=whole_number(form.get("survivors"), "survivors", 1),
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() and exc.errors()[0]["loc"] else None
        raise Invalid(N_("Dữ liệu không hợp lệ."), field=field) from None


def _list_ctx(session: Session, actor: Actor, form: dict[str, Any], **extra: Any) -> dict[str, Any]:
    scope = units.tree_order(units.list_in_scope(session=session, actor=actor))
    widest = min(scope, key=lambda u: u.depth).code if scope else ""
    return {
        "actor": actor,
        "games": games.list_games(session=session, actor=actor),
        "form": {"scope_unit_code": widest, **form},
        "draw_rows": _draw_rows(form),
        "units": scope,
        "min_depth": min((u.depth for u in scope), default=0),
        "topics": bank.list_topics(session=session, actor=actor),
        "errors": {},
        **extra,
    }


@router.get("/live", response_class=HTMLResponse)
def live_list(request: Request, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/live/list.html", _list_ctx(session, actor, dict(DEFAULT_FORM)))


@router.post("/live")
def live_create(request: Request, actor: PageOrganiser, session: SessionDep, form: FormDep) -> Response:
    try:
        game = games.create(session=session, actor=actor, data=game_from_form(form))
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        ctx = _list_ctx(session, actor, form, error=message, errors=errors)
        return render(request, "pages/live/list.html", ctx, status_code=exc.status_code)
    return redirect(f"/live/{game.id}/host")


# --- the host's console and the projector view --------------------------------------------------------------------------
def _hosted(session: Session, actor: Actor, game_id: int) -> LiveGame:
    """The game, for an organiser of its scope; for anyone else it does not exist (the 404 page)."""
    seated = play.seat(session=session, who=actor, game_id=game_id)
    if not seated.host:
        raise NotFound(N_("Không tìm thấy trò chơi."))
    return seated.game


def join_url(request: Request, pin: str) -> str:
    return f"{public_base_url(request).rstrip('/')}/play?pin={pin}"


def _host_ctx(request: Request, session: Session, game: LiveGame, **extra: Any) -> dict[str, Any]:
    url = join_url(request, game.pin)
    return {
        "game": game,
        "scope": session.get(Unit, game.scope_unit_id),
        "join_url": url,
        "join_site": url.split("://", 1)[-1].split("?", 1)[0],
        "pin": f"{game.pin[:3]} {game.pin[3:]}",
        "elimination": game.mode == LiveMode.elimination,
        **extra,
    }


@router.get("/live/{game_id}/host", response_class=HTMLResponse)
def live_host(request: Request, game_id: int, actor: PageActor, session: SessionDep) -> HTMLResponse:
    game = _hosted(session, actor, game_id)
    return render(request, "pages/live/host.html", _host_ctx(request, session, game, actor=actor))


@router.get("/live/{game_id}/screen", response_class=HTMLResponse)
def live_screen(request: Request, game_id: int, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """The big screen: no navigation (the page is given no actor), the whole width."""
    game = _hosted(session, actor, game_id)
    return render(request, "pages/live/screen.html", _host_ctx(request, session, game))


@router.get("/live/{game_id}/qr.svg")
def live_qr(request: Request, game_id: int, actor: PageActor, session: SessionDep) -> Response:
    """The QR code of the join link (with the PIN): for the host and the screen only."""
    game = _hosted(session, actor, game_id)
    response = qr_response(request, join_url(request, game.pin), "svg")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- joining and playing -------------------------------------------------------------------------------------------------
def _digits(pin: str) -> str:
    return "".join(ch for ch in pin if ch.isdigit())[:8]


@router.get("/play", response_class=HTMLResponse)
def join_page(request: Request, session: SessionDep, actor: OptionalActor, pin: str = "") -> Response:
    """The PIN form. Someone not logged in (a scanned QR code) gets a link to log in and come back with the PIN
    and, when the PIN's game lets guests in, the guest form (a name and a unit)."""
    if actor is not None:
        return render(request, "pages/live/join.html", {"actor": actor, "pin": _digits(pin)})
    return _guest_page(request, session, _digits(pin))


def _guest_page(
    request: Request, session: Session, pin: str, *, form: dict[str, Any] | None = None, failed: AppError | None = None
) -> Response:
    """The PIN page of someone not logged in; after a failed guest join, its message (in place when it names a
    field) and the values typed."""
    ctx: dict[str, Any] = {"pin": pin, "login_url": "/login?next=" + quote(f"/play?pin={pin}", safe=""), "form": form or {}, "errors": {}}
    status = 200
    if failed is not None:
        ctx["error"], ctx["errors"] = form_failure(session, request, failed)
        status = failed.status_code
    if pin:
        try:
            ctx["door"] = guests.door(session=session, pin=pin, credential=request.cookies.get(GUEST_COOKIE))
        except AppError as exc:  # no such game running: say so, with the PIN form again
            message, _errors = form_failure(session, request, exc)
            ctx.setdefault("error", message)
            status = status if failed is not None else exc.status_code
    headers = failed.headers if failed is not None else None
    return render(request, "pages/live/guest.html", ctx, status_code=status, headers=headers)


@router.post("/play/guest", dependencies=[Depends(require_csrf)])
def join_as_guest(request: Request, session: SessionDep, settings: SettingsDep, actor: OptionalActor, form: FormDep) -> Response:
    """A guest joins: the credential goes in an HttpOnly cookie, and the phone goes to the game."""
    pin = _digits(str(form.get("pin") or ""))
    if actor is not None:  # a member logged in plays as themself
        return redirect(f"/play?pin={pin}")
    try:
        game, _player, credential = guests.join(
            session=session,
            pin=pin,
            full_name=str(form.get("full_name") or ""),
            unit_code=str(form.get("unit_code") or ""),
            ip=client_ip(request),
            per_ip=settings.live_guest_joins_per_ip,
        )
    except AppError as exc:
        return _guest_page(request, session, pin, form=form, failed=exc)
    response = redirect(f"/live/{game.id}/play")
    set_private_cookie(response, GUEST_COOKIE, credential, max_age=GUEST_COOKIE_S, settings=settings)
    return response


@router.post("/play")
def join(request: Request, actor: PageActor, session: SessionDep, form: FormDep) -> Response:
    pin = str(form.get("pin") or "")
    try:
        game, _player = play.join(session=session, actor=actor, pin=pin)
    except AppError as exc:
        message, _errors = form_failure(session, request, exc)
        return render(request, "pages/live/join.html", {"actor": actor, "pin": pin, "error": message}, status_code=exc.status_code)
    return redirect(f"/live/{game.id}/play")


@router.get("/live/{game_id}/play", response_class=HTMLResponse)
def live_play(request: Request, game_id: int, who: PageLiveWho, session: SessionDep) -> Response:
    """The phone's page (a member's or a guest's): a shell that live.js fills from GET .../state, then the
    event stream. A host who does not play goes to the console."""
    seated = play.seat(session=session, who=who, game_id=game_id)
    if seated.player is None:
        return redirect(f"/live/{game_id}/host")
    return render(request, "pages/live/play.html", {"actor": _actor(who), "game": seated.game, "player": seated.player})


def _actor(who: play.Who) -> Actor | None:
    """The member for the page's navigation; a guest has none."""
    return who if isinstance(who, Actor) else None


# --- results -----------------------------------------------------------------------------------------------------------------
def _shown(rows: list[ResultRow], mine: int | None) -> list[ResultRow]:
    return rows[:TOP_ROWS] + [r for r in rows[TOP_ROWS:] if r.player.id == mine]


@router.get("/live/{game_id}/results", response_class=HTMLResponse)
def live_results(request: Request, game_id: int, who: PageLiveWho, session: SessionDep) -> HTMLResponse:
    """The ranking for the host and the players, the members' and the guests' apart; a player also sees their
    own answers once the game is over."""
    seated = play.seat(session=session, who=who, game_id=game_id)
    rows = play.results(session=session, seat=seated)
    members, guest_rows = [r for r in rows if not r.guest], [r for r in rows if r.guest]
    mine = seated.player.id if seated.player is not None else None
    my_row = next((r for r in rows if r.player.id == mine), None)
    finished = seated.game.status == LiveStatus.finished
    return render(
        request,
        "pages/live/results.html",
        {
            "actor": _actor(who),
            "game": seated.game,
            "host": seated.host,
            "rows": _shown(members, mine),
            "total": len(members),
            "guest_rows": _shown(guest_rows, mine),
            "guest_total": len(guest_rows),
            "mine": mine,
            "my_row": my_row,
            "my_total": len(guest_rows if my_row is not None and my_row.guest else members),
            "answers": review.my_answers(session=session, seat=seated) if finished and mine else None,
            "finished": finished,
            "elimination": seated.game.mode == LiveMode.elimination,
        },
    )


@router.get("/live/{game_id}/results.xlsx")
def live_results_file(request: Request, game_id: int, actor: PageActor, session: SessionDep) -> FileResponse:
    tz = ZoneInfo(request.app.state.settings.timezone)
    seated = play.seat(session=session, who=actor, game_id=game_id)
    return download(review.export(session=session, seat=seated, locale=request_locale(request), tz=tz))
