"""Live games over the API: the host's steps, joining (members with their login, guests with a name and a unit),
answering, the state, the results and the event stream (Server-Sent Events; GET .../state is the polling
fallback for phones without them). A guest sends the token join-guest gave as the X-Live-Guest header. Rules in
app.services.live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import anyio.to_thread
from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine

from app.db import session_scope
from app.deps import Caller, CurrentActor, LiveCaller, LiveWho, SessionDep, SettingsDep, client_ip
from app.models.live import LiveStatus
from app.models.types import utcnow
from app.routers.base import make_router
from app.services.live import answers, games, guests, play
from app.services.live.guests import GuestPass
from app.services.live.hub import Hub
from app.services.live.schemas import (
    Accepted,
    AnswerIn,
    GuestJoined,
    GuestJoinIn,
    Joined,
    JoinIn,
    LiveGameCreated,
    LiveGameIn,
    Opened,
    OptionCount,
    RescueIn,
    Results,
    Revealed,
    StateOut,
)

router = make_router(tags=["live"])


@router.post("/live-games", response_model=LiveGameCreated, status_code=201)
def create_game(data: LiveGameIn, actor: CurrentActor, session: SessionDep) -> LiveGameCreated:
    """An organiser makes a game of bank questions (picked, or drawn by topic and difficulty) for a unit subtree."""
    game = games.create(session=session, actor=actor, data=data)
    return LiveGameCreated(id=game.id or 0, pin=game.pin, status=game.status)


@router.post("/live-games/join", response_model=Joined)
def join_game(data: JoinIn, actor: CurrentActor, session: SessionDep) -> Joined:
    """A member of the game's scope joins with its PIN; joining again gives the same player."""
    game, player = play.join(session=session, actor=actor, pin=data.pin)
    return Joined(game_id=game.id or 0, player_id=player.id or 0)


@router.post("/live-games/join-guest", response_model=GuestJoined)
def join_as_guest(request: Request, data: GuestJoinIn, session: SessionDep, settings: SettingsDep) -> GuestJoined:
    """Someone without an account joins a game that lets guests in, with their name and a unit of its scope (no
    login, no cookie). Send `guest_token` as the X-Live-Guest header of .../state, .../answer, .../events and
    .../results. Each join makes a new player; joins are limited per address (429)."""
    game, player, credential = guests.join(
        session=session,
        pin=data.pin,
        full_name=data.full_name,
        unit_code=data.unit_code,
        ip=client_ip(request),
        per_ip=settings.live_guest_joins_per_ip,
    )
    return GuestJoined(game_id=game.id or 0, player_id=player.id or 0, guest_token=credential)


def _opened(game_status: str, index: int) -> Opened:
    return Opened(status=game_status, question_index=index)


@router.post("/live-games/{game_id}/next", response_model=Opened)
def next_question(game_id: int, actor: CurrentActor, session: SessionDep) -> Opened:
    """Open the next question, or finish the game after the last one."""
    game = games.open_next(session=session, actor=actor, game_id=game_id)
    return _opened(game.status, game.question_index)


@router.post("/live-games/{game_id}/reveal", response_model=Revealed)
def reveal(game_id: int, actor: CurrentActor, session: SessionDep) -> Revealed:
    """Close the open question, judge its answers and show the right options with how many chose each."""
    question, counts = games.reveal(session=session, actor=actor, game_id=game_id)
    return Revealed(
        correct_option_ids=list(question.correct_ids),
        distribution=[OptionCount(option_id=o["id"], count=counts.get(o["id"], 0)) for o in question.options],
    )


@router.post("/live-games/{game_id}/pause", response_model=Opened)
def pause(game_id: int, actor: CurrentActor, session: SessionDep) -> Opened:
    game = games.pause(session=session, actor=actor, game_id=game_id)
    return _opened(game.status, game.question_index)


@router.post("/live-games/{game_id}/resume", response_model=Opened)
def resume(game_id: int, actor: CurrentActor, session: SessionDep) -> Opened:
    game = games.resume(session=session, actor=actor, game_id=game_id)
    return _opened(game.status, game.question_index)


@router.post("/live-games/{game_id}/rescue", response_model=Opened)
def rescue(game_id: int, data: RescueIn, actor: CurrentActor, session: SessionDep) -> Opened:
    """ "Cứu trợ" in an elimination game: everyone out comes back, or the next question is a rescue question."""
    game = games.rescue(session=session, actor=actor, game_id=game_id, mode=data.mode)
    return _opened(game.status, game.question_index)


@router.post("/live-games/{game_id}/end", response_model=Opened)
def end(game_id: int, actor: CurrentActor, session: SessionDep) -> Opened:
    game = games.end(session=session, actor=actor, game_id=game_id)
    return _opened(game.status, game.question_index)


@router.get("/live-games/{game_id}/state", response_model=StateOut)
def state(game_id: int, who: LiveWho, session: SessionDep) -> StateOut:
    """What the player's phone (or the host's screen) shows now; the polling fallback of the event stream."""
    return play.state(session=session, seat=play.seat(session=session, who=who, game_id=game_id))


@router.put("/live-games/{game_id}/answer", response_model=Accepted)
async def answer(request: Request, game_id: int, data: AnswerIn, caller: LiveCaller) -> Accepted:
    """One answer per player and question, inside the window (409 for a second one or a late one). Thousands
    come at once: a member's is taken with the others waiting in one transaction (live.answers); a guest's, and
    anything unusual, goes through the full service in the thread pool, which explains it."""
    now = utcnow()
    accepted: datetime | None = None
    if isinstance(caller, Caller):
        given = answers.Given(game_id, caller.claims.member_id, caller.claims.token_version, data.option_ids, now)
        accepted = await request.app.state.live_answers.take(given)
    if accepted is None:
        accepted = await anyio.to_thread.run_sync(_answer_fully, request.app.state.engine, caller, game_id, data.option_ids, now)
    return Accepted(accepted_at=accepted)


def _answer_fully(engine: Engine, caller: Caller | GuestPass, game_id: int, option_ids: list[int], now: datetime) -> datetime:
    who = caller.actor_now() if isinstance(caller, Caller) else caller
    with session_scope(engine) as session:
        return play.answer(session=session, who=who, game_id=game_id, option_ids=option_ids, now=now).accepted_at


@router.get("/live-games/{game_id}/results", response_model=Results)
def results(game_id: int, who: LiveWho, session: SessionDep) -> Results:
    """The ranking of the moment (final once the game is over): members, then guests (`guest`), each with
    their own ranks; and the units' standings of the moment (members only)."""
    rows = play.results(session=session, seat=play.seat(session=session, who=who, game_id=game_id))
    return Results(rows=rows, units=play.unit_board(rows))


EVENTS_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events: `state`, one per change of the game"}
}


@router.get("/live-games/{game_id}/events", response_class=StreamingResponse, responses=EVENTS_ANSWER)
async def events(request: Request, game_id: int, who: LiveWho) -> StreamingResponse:
    """The game's changes as Server-Sent Events: each `state` event holds the state (as GET .../state) and the
    player's own part; a comment line every 15 s of quiet. Reconnecting with Last-Event-ID gets only newer."""
    engine = request.app.state.engine
    seated = await anyio.to_thread.run_sync(_seat, engine, who, game_id)
    hub: Hub = request.app.state.live
    since = int(request.headers.get("last-event-id", "-1") or -1) if request.headers.get("last-event-id", "").isdigit() else -1
    return StreamingResponse(
        _stream(hub, game_id, seated, since),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _seat(engine: Engine, who: play.Who, game_id: int) -> int | None:
    """The player's id (None for a host who does not play), checked once: the stream holds no connection."""
    with session_scope(engine, write=False) as session:
        seated = play.seat(session=session, who=who, game_id=game_id)
        return seated.player.id if seated.player is not None else None


async def _stream(hub: Hub, game_id: int, player_id: int | None, since: int) -> AsyncIterator[bytes]:
    yield b"retry: 1000\n\n"
    async for version in hub.follow(game_id, since):  # Starlette ends it when the phone goes away
        if version is None:
            yield b": keep-alive\n\n"
            continue
        views = await hub.views(game_id, version)
        mine = views.mine.get(player_id or 0, b"null")
        yield b'event: state\nid: %d\ndata: {"state":%s,"me":%s}\n\n' % (version, views.state, mine)
        if views.status == LiveStatus.finished:
            return
