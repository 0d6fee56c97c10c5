"""Leaderboards on a phone: a round's ranking for the whole scope or any unit subtree (with the member's own
rank card), unit standings, and a contest's standings over its closed rounds. Everything read here comes
from app.services.results.standings, which also decides who may look and what is visible; while a round is open
its board refreshes itself through small htmx fragments."""

from __future__ import annotations

from math import ceil
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.db_loop import from_memory_or_database
from app.deps import CurrentCaller, PageActor, SessionDep, get_caller, page_actor
from app.errors import Conflict
from app.models import Contest, Round, Unit
from app.models.contests import RoundStatus
from app.models.types import utcnow
from app.routers.base import direct, make_router
from app.routers.pages.common import nav_roles
from app.services.contests import contests
from app.services.contests import rules as contest_rules
from app.services.org import units
from app.services.org.access import Actor
from app.services.results import board_cache, rank_cards, standings
from app.templating import render, render_fragment, render_shared, request_locale, translate

router = make_router()
PER_PAGE = 50
MAX_PAGE = 1_000_000  # far beyond any board (2 million members is 40,000 pages), far below an OFFSET overflow


def _page(page: int) -> int:
    return min(max(page, 1), MAX_PAGE)


def _pages(total: int) -> int:
    return max(1, ceil(total / PER_PAGE))


def _trail(session: Session, scope: Unit, unit: Unit | None) -> list[Unit]:
    """The units from the scope down to `unit`, both included; empty when `unit` lies outside the scope."""
    if unit is None:
        return []
    ids = units.ancestor_ids(unit.path)
    if scope.id not in ids:
        return []
    return [u for i in ids[ids.index(scope.id) :] if (u := session.get(Unit, i)) is not None]


def _current(session: Session, scope: Unit, code: str) -> Unit:
    return units.get_by_code(session=session, code=code) if code else scope


def _phase(round_: Round) -> str:
    if round_.status == RoundStatus.closed:
        return "closed"
    return "upcoming" if utcnow() < round_.opens_at else "open"


def _board_rows(request: Request, session: Session, actor: Actor, round_: Round, contest: Contest, unit: str, page: int) -> dict[str, Any]:
    """The table fragment's context: one page of the board, or why there is none yet. The same for everyone
    who may look (shared pages): the member's own row is marked per request (board_cache.own_row)."""
    assert round_.id is not None
    try:
        total, rows = standings.round_board(
            session=session,
            actor=actor,
            round_id=round_.id,
            unit_code=unit or None,
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
            cache=request.app.state.boards,
        )
        message = None
    except Conflict as exc:
        total, rows, message = 0, [], translate(request, exc.message, **exc.params)
    query = urlencode({"unit": unit, "page": page})
    return {
        "round": round_,
        "rows": rows,
        "total": total,
        "page": page,
        "pages": _pages(total),
        "unit": unit,
        "message": message,
        "base_url": f"/rounds/{round_.id}/board",
        "board_id": "board",
        "keys": standings.shown_keys(contest, round_),
        "poll_url": f"/rounds/{round_.id}/board/rows?{query}" if round_.status != RoundStatus.closed else None,
    }


def _mine(request: Request, session: Session, actor: Actor, scope_id: int, base: str, unit: str) -> str:
    """The links to the member's own units: shared by all members of a unit, so cached per unit."""

    def make() -> str:
        scope = session.get(Unit, scope_id)
        assert scope is not None
        current = _current(session, scope, unit)
        return render_fragment(
            request, "partials/results/mine.html", {"base": base, "current": current, "own_trail": _trail(session, scope, actor.unit)}
        )

    return request.app.state.boards.get_or(
        board_cache.mine_key(request_locale(request), base, unit, actor.unit.id if actor.unit else None), make, lasting=True
    )


@router.get("/rounds/{round_id}/board", response_class=HTMLResponse)
async def round_board(request: Request, round_id: int, caller: CurrentCaller, unit: str = "", page: int = 1) -> HTMLResponse:
    """A member not seen lately is loaded in the same thread hop as the board (deps.Caller), not one of its own."""
    return await from_memory_or_database(
        request.app.state.engine,
        request.app.state.loop_reader,
        lambda session: _round_board(request, session, page_actor(caller.actor_with(session)), round_id, unit, page),
    )


def _round_board(request: Request, session: Session, actor: Actor, round_id: int, unit: str, page: int) -> HTMLResponse:
    cache = request.app.state.boards
    info = standings.round_info(session=session, actor=actor, round_id=round_id, cache=cache)  # who may look
    page = _page(page)

    def shared() -> dict[str, Any]:
        round_, contest, scope = standings.board_round(session=session, actor=actor, round_id=round_id)
        # the sub-units of the unit shown, for the picker; this also refuses a unit outside the contest's scope
        children = standings.unit_board(session=session, actor=actor, round_id=round_id, parent_code=unit or None, cache=cache)
        current = _current(session, scope, unit)
        return {
            "actor": actor,
            "contest": contest,
            "scope": scope,
            "current": current,
            "children": children,
            "trail": _trail(session, scope, current),
            "totals": standings.round_totals(session=session, round_=round_, cache=cache),
            "visible": standings.scores_visible(round_),
            "phase": _phase(round_),
            "ranking_rule": contest_rules.tie_chain(contest, locale=request_locale(request)),
            "disqualified": standings.disqualified(session=session, round_id=round_id),
            **_board_rows(request, session, actor, round_, contest, unit, page),
        }

    def card() -> str:
        mine = rank_cards.rank_card(session=session, actor=actor, round_id=round_id, cache=cache)
        return render_fragment(request, "partials/results/card.html", {"card": mine, "scope_name": info.scope_name}) if mine else ""

    def fills() -> dict[str, str]:
        # the card as HTML, kept like the rank card it shows (standings_built_at; visibility in the key)
        key = board_cache.card_key(request_locale(request), round_id, info.standings_built_at, standings.scores_visible(info), actor.id)
        return {
            "card": cache.get_or(key, card, lasting=True),
            "mine": _mine(request, session, actor, info.scope_id, f"/rounds/{round_id}/board", unit),
        }

    # a closed round's page changes only with its standings (or a name): kept while they stand
    return render_shared(
        request,
        "pages/results/boards/round.html",
        cache=cache,
        key=board_cache.page_key(nav_roles(actor), unit, page, info.standings_built_at),
        context=shared,
        fills=fills,
        mark=board_cache.own_row(actor.id),
        lasting=info.status == RoundStatus.closed,
    )


@router.get("/rounds/{round_id}/board/rows", response_class=HTMLResponse)
async def round_board_rows(request: Request, round_id: int, caller: CurrentCaller, unit: str = "", page: int = 1) -> HTMLResponse:
    """htmx: the board's table alone, polled every 10 s while the round is open."""
    return await from_memory_or_database(
        request.app.state.engine,
        request.app.state.loop_reader,
        lambda session: _round_board_rows(request, session, page_actor(caller.actor_with(session)), round_id, unit, page),
    )


def _round_board_rows(request: Request, session: Session, actor: Actor, round_id: int, unit: str, page: int) -> HTMLResponse:
    cache = request.app.state.boards
    info = standings.round_info(session=session, actor=actor, round_id=round_id, cache=cache)  # who may look
    page = _page(page)

    def shared() -> dict[str, Any]:
        round_, contest, _scope = standings.board_round(session=session, actor=actor, round_id=round_id)
        return _board_rows(request, session, actor, round_, contest, unit, page)

    return render_shared(
        request,
        "partials/results/rows.html",
        cache=cache,
        key=board_cache.page_key(nav_roles(actor), unit, page, info.standings_built_at),
        context=shared,
        mark=board_cache.own_row(actor.id),
        lasting=info.status == RoundStatus.closed,
    )


def _units_ctx(request: Request, session: Session, actor: Actor, round_id: int, parent: str) -> dict[str, Any]:
    round_, contest, scope = standings.board_round(session=session, actor=actor, round_id=round_id)
    rows = standings.unit_board(session=session, actor=actor, round_id=round_id, parent_code=parent or None, cache=request.app.state.boards)
    current = _current(session, scope, parent)
    return {
        "actor": actor,
        "round": round_,
        "contest": contest,
        "scope": scope,
        "current": current,
        "trail": _trail(session, scope, current),
        "rows": rows,
        "parent": parent,
        "visible": standings.scores_visible(round_),
        "phase": _phase(round_),
        "poll_url": (f"/rounds/{round_id}/units/rows?{urlencode({'parent': parent})}" if round_.status != RoundStatus.closed else None),
    }


@router.get("/rounds/{round_id}/units", response_class=HTMLResponse)
def unit_standings(request: Request, round_id: int, actor: PageActor, session: SessionDep, parent: str = "") -> HTMLResponse:
    return render(request, "pages/results/boards/units.html", _units_ctx(request, session, actor, round_id, parent))


@router.get("/rounds/{round_id}/units/rows", response_class=HTMLResponse)
def unit_standings_rows(request: Request, round_id: int, actor: PageActor, session: SessionDep, parent: str = "") -> HTMLResponse:
    """htmx: the unit table alone, polled every 10 s while the round is open."""
    return render(request, "partials/results/unit_rows.html", _units_ctx(request, session, actor, round_id, parent))


@router.get("/contests/{contest_id}/board", response_class=HTMLResponse)
def contest_board(request: Request, contest_id: int, actor: PageActor, session: SessionDep, unit: str = "", page: int = 1) -> HTMLResponse:
    """Members of the scope may look, unlike /contests/{id} (the organisers' page): the service checks."""
    page = _page(page)
    cache = request.app.state.boards
    contest, total, rows = standings.contest_board(
        session=session,
        actor=actor,
        contest_id=contest_id,
        unit_code=unit or None,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
        cache=cache,
    )
    base = f"/contests/{contest_id}/board"

    def shared() -> dict[str, Any]:
        scope = session.get(Unit, contest.scope_unit_id)
        assert scope is not None
        current = _current(session, scope, unit)
        rounds = contests.rounds_of(session=session, contest=contest)
        return {
            "actor": actor,
            "contest": contest,
            "scope": scope,
            "current": current,
            "trail": _trail(session, scope, current),
            "rounds": rounds,
            "keys": standings.shown_keys(contest, predicted=any(r.prediction_kind for r in rounds)),
            "ranking_rule": contest_rules.tie_chain(contest, locale=request_locale(request)),
            "rows": rows,
            "total": total,
            "page": page,
            "pages": _pages(total),
            "unit": unit,
            "message": None,
            "base_url": base,
            "board_id": "contest-board",
            "poll_url": None,
        }

    def fills() -> dict[str, str]:
        return {"mine": _mine(request, session, actor, contest.scope_unit_id, base, unit)}

    return render_shared(
        request,
        "pages/results/boards/contest.html",
        cache=cache,
        key=board_cache.page_key(nav_roles(actor), unit, page, None),
        context=shared,
        fills=fills,
        mark=board_cache.own_row(actor.id),
    )


# a round's board and its table, polled every 10 s while the round is open (routers.base.direct)
DIRECT = [
    direct("/rounds/{round_id:row_id}/board", round_board, query={"unit": str, "page": int}, caller=get_caller),
    direct("/rounds/{round_id:row_id}/board/rows", round_board_rows, query={"unit": str, "page": int}, caller=get_caller),
]
