"""Leaderboards on a phone: a round's ranking for the whole scope or any unit subtree (with the member's own
rank card), unit standings, and a contest's standings over its closed rounds. Everything read here comes
from app.services.standings, which also decides who may look and what is visible; while a round is open
its board refreshes itself through small htmx fragments."""
from __future__ import annotations

from math import ceil
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.deps import PageActor, SessionDep
from app.errors import Conflict
from app.models import Round, Unit
from app.models.types import utcnow
from app.routers.base import make_router
from app.services import contests, standings, units
from app.services.access import Actor
from app.templating import render, translate

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
    ids = [int(x) for x in unit.path.strip("/").split("/") if x]
    if scope.id not in ids:
        return []
    return [u for i in ids[ids.index(scope.id):] if (u := session.get(Unit, i)) is not None]


def _current(session: Session, scope: Unit, code: str) -> Unit:
    return units.get_by_code(session=session, code=code) if code else scope


def _phase(round_: Round) -> str:
    if round_.status == "closed":
        return "closed"
    return "upcoming" if utcnow() < round_.opens_at else "open"


def _board_rows(request: Request, session: Session, actor: Actor, round_: Round, unit: str, page: int) -> dict[str, Any]:
    """The table fragment's context: one page of the board, or why there is none yet."""
    assert round_.id is not None
    try:
        total, rows = standings.round_board(session=session, actor=actor, round_id=round_.id, unit_code=unit or None,
                                            limit=PER_PAGE, offset=(page - 1) * PER_PAGE, cache=request.app.state.boards)
        message = None
    except Conflict as exc:
        total, rows, message = 0, [], translate(request, exc.message, **exc.params)
    query = urlencode({"unit": unit, "page": page})
    return {"round": round_, "rows": rows, "total": total, "page": page, "pages": _pages(total), "unit": unit,
            "message": message, "me": actor.id, "base_url": f"/rounds/{round_.id}/board", "board_id": "board",
            "poll_url": f"/rounds/{round_.id}/board/rows?{query}" if round_.status != "closed" else None}


@router.get("/rounds/{round_id}/board", response_class=HTMLResponse)
def round_board(request: Request, round_id: int, actor: PageActor, session: SessionDep, unit: str = "",
                page: int = 1):  # noqa: ANN201
    round_, contest, scope = standings.board_round(session=session, actor=actor, round_id=round_id)
    # the sub-units of the unit shown, for the picker; this also refuses a unit outside the contest's scope
    cache = request.app.state.boards
    children = standings.unit_board(session=session, actor=actor, round_id=round_id, parent_code=unit or None,
                                    cache=cache)
    current = _current(session, scope, unit)
    visible = standings.scores_visible(round_)
    return render(request, "pages/boards/round.html", {
        "actor": actor, "contest": contest, "scope": scope, "current": current, "children": children,
        "trail": _trail(session, scope, current), "own_trail": _trail(session, scope, actor.unit),
        "card": standings.rank_card(session=session, actor=actor, round_id=round_id, cache=cache),
        "totals": standings.round_totals(session=session, round_=round_, cache=cache), "visible": visible,
        "phase": _phase(round_), **_board_rows(request, session, actor, round_, unit, _page(page))})


@router.get("/rounds/{round_id}/board/rows", response_class=HTMLResponse)
def round_board_rows(request: Request, round_id: int, actor: PageActor, session: SessionDep, unit: str = "",
                     page: int = 1):  # noqa: ANN201
    """htmx: the board's table alone, polled every 10 s while the round is open."""
    round_, _contest, _scope = standings.board_round(session=session, actor=actor, round_id=round_id)
    return render(request, "partials/boards/rows.html", _board_rows(request, session, actor, round_, unit, _page(page)))


def _units_ctx(request: Request, session: Session, actor: Actor, round_id: int, parent: str) -> dict[str, Any]:
    round_, contest, scope = standings.board_round(session=session, actor=actor, round_id=round_id)
    rows = standings.unit_board(session=session, actor=actor, round_id=round_id, parent_code=parent or None,
                                cache=request.app.state.boards)
    current = _current(session, scope, parent)
    return {"actor": actor, "round": round_, "contest": contest, "scope": scope, "current": current,
            "trail": _trail(session, scope, current), "rows": rows, "parent": parent,
            "visible": standings.scores_visible(round_), "phase": _phase(round_),
            "poll_url": (f"/rounds/{round_id}/units/rows?{urlencode({'parent': parent})}"
                         if round_.status != "closed" else None)}


@router.get("/rounds/{round_id}/units", response_class=HTMLResponse)
def unit_standings(request: Request, round_id: int, actor: PageActor, session: SessionDep,
                   parent: str = ""):  # noqa: ANN201
    return render(request, "pages/boards/units.html", _units_ctx(request, session, actor, round_id, parent))


@router.get("/rounds/{round_id}/units/rows", response_class=HTMLResponse)
def unit_standings_rows(request: Request, round_id: int, actor: PageActor, session: SessionDep,
                        parent: str = ""):  # noqa: ANN201
    """htmx: the unit table alone, polled every 10 s while the round is open."""
    return render(request, "partials/boards/unit_rows.html", _units_ctx(request, session, actor, round_id, parent))


@router.get("/contests/{contest_id}/board", response_class=HTMLResponse)
def contest_board(request: Request, contest_id: int, actor: PageActor, session: SessionDep, unit: str = "",
                  page: int = 1):  # noqa: ANN201
    """Members of the scope may look, unlike /contests/{id} (the organisers' page): the service checks."""
    page = _page(page)
    contest, total, rows = standings.contest_board(session=session, actor=actor, contest_id=contest_id,
                                                   unit_code=unit or None, limit=PER_PAGE,
                                                   offset=(page - 1) * PER_PAGE, cache=request.app.state.boards)
    scope = session.get(Unit, contest.scope_unit_id)
    assert scope is not None
    current = _current(session, scope, unit)
    return render(request, "pages/boards/contest.html", {
        "actor": actor, "contest": contest, "scope": scope, "current": current,
        "trail": _trail(session, scope, current), "own_trail": _trail(session, scope, actor.unit),
        "rounds": contests.rounds_of(session=session, contest=contest),
        "rows": rows, "total": total, "page": page, "pages": _pages(total), "unit": unit, "message": None,
        "me": actor.id, "base_url": f"/contests/{contest_id}/board", "board_id": "contest-board", "poll_url": None})
