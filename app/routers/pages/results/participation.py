"""Who has not taken part in a round: the figures of a unit's subtree, its child units (sortable) and the list of
members to call or text, with an XLSX of the whole list. Rules in app.services.results.participation."""

from __future__ import annotations

from math import ceil
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlmodel import Session

from app.db_loop import from_memory_or_database
from app.deps import CurrentCaller, PageActor, SessionDep, page_actor
from app.errors import N_
from app.routers.base import download, make_router, public_base_url
from app.services.org.access import Actor
from app.services.results import board_cache, participation
from app.templating import render_shared, request_locale, translate

router = make_router()
PER_PAGE = 50
MAX_PAGE = 100_000
REMINDER = N_("Mời đồng chí {name} tham gia {round} - {contest} trước {closes_at}. Vào thi tại: {link}")


def _reminder(request: Request, name: str, place: participation.Place) -> str:
    """The text a cell secretary sends by SMS or Zalo: who, which round, until when, and the link."""
    info = place.info
    link = f"{public_base_url(request).rstrip('/')}/rounds/{info.round_id}/enter"
    return translate(
        request,
        REMINDER,
        name=name,
        round=info.title,
        contest=info.contest_title,
        closes_at=info.closes_at.astimezone(ZoneInfo(info.timezone)).strftime("%H:%M %d/%m/%Y"),
        link=link,
    )


@router.get("/rounds/{round_id}/participation", response_class=HTMLResponse)
async def participation_page(
    request: Request, round_id: int, caller: CurrentCaller, unit: str = "", sort: str = "rate", page: int = 1
) -> HTMLResponse:
    """The same page for every organiser of the unit with the same roles: rendered once per few seconds and
    served from memory (as the boards)."""
    return await from_memory_or_database(
        request.app.state.engine,
        request.app.state.loop_reader,
        lambda session: _participation_page(request, session, page_actor(caller.actor_with(session)), round_id, unit, sort, page),
    )


def _participation_page(request: Request, session: Session, actor: Actor, round_id: int, unit: str, sort: str, page: int) -> HTMLResponse:
    sort = sort if sort in participation.SORTS else "rate"
    page = min(max(page, 1), MAX_PAGE)
    cache = request.app.state.boards
    place = participation.reach(session=session, actor=actor, round_id=round_id, unit_code=unit or None, cache=cache)

    def shared() -> dict[str, Any]:
        seen = participation.turnout_at(session=session, place=place, sort=sort, cache=cache)
        rows = participation.missing_at(session=session, place=place, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, cache=cache)
        return {
            "actor": actor,
            "seen": seen,
            "round": place.info,
            "people": [(m, "sms:" + m.phone + "?body=" + quote(_reminder(request, m.full_name, place))) for m in rows],
            "sort": sort,
            "page": page,
            "pages": max(1, ceil(seen.unit.missing / PER_PAGE)),
            "group_text": _reminder(request, translate(request, N_("đồng chí")), place),
        }

    roles = frozenset(g.role for g in actor.grants)
    return render_shared(
        request,
        "pages/results/participation.html",
        cache=cache,
        key=board_cache.participation_page_key(roles, place.unit_path, sort, page),
        context=shared,
    )


@router.get("/rounds/{round_id}/participation.xlsx")
def participation_file(request: Request, round_id: int, actor: PageActor, session: SessionDep, unit: str = "") -> FileResponse:
    return download(
        participation.export(session=session, actor=actor, round_id=round_id, unit_code=unit or None, locale=request_locale(request))
    )
