"""Who has not taken part in a round: the figures of a unit's subtree, its child units (sortable) and the list of
members to call or text, with an XLSX of the whole list. Rules in app.services.results.participation."""

from __future__ import annotations

from math import ceil
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse

from app.deps import PageActor, SessionDep
from app.errors import N_
from app.routers.base import download, make_router, public_base_url
from app.services.contests import contests
from app.services.results import participation
from app.templating import render, request_locale, translate

router = make_router()
PER_PAGE = 50
MAX_PAGE = 100_000
REMINDER = N_("Mời đồng chí {name} tham gia {round} - {contest} trước {closes_at}. Vào thi tại: {link}")


def _reminder(request: Request, name: str, seen: participation.Turnout) -> str:
    """The text a cell secretary sends by SMS or Zalo: who, which round, until when, and the link."""
    tz = contests.zone(seen.contest)
    link = f"{public_base_url(request).rstrip('/')}/rounds/{seen.round.id}/enter"
    return translate(
        request,
        REMINDER,
        name=name,
        round=seen.round.title,
        contest=seen.contest.title,
        closes_at=seen.round.closes_at.astimezone(tz).strftime("%H:%M %d/%m/%Y"),
        link=link,
    )


@router.get("/rounds/{round_id}/participation", response_class=HTMLResponse)
def participation_page(
    request: Request, round_id: int, actor: PageActor, session: SessionDep, unit: str = "", sort: str = "rate", page: int = 1
) -> HTMLResponse:
    sort = sort if sort in participation.SORTS else "rate"
    page = min(max(page, 1), MAX_PAGE)
    cache = request.app.state.boards
    seen = participation.turnout(session=session, actor=actor, round_id=round_id, unit_code=unit or None, sort=sort, cache=cache)
    rows = participation.missing(
        session=session, actor=actor, round_id=round_id, unit_code=seen.unit.code, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, cache=cache
    )
    people = [(m, "sms:" + m.phone + "?body=" + quote(_reminder(request, m.full_name, seen))) for m in rows]
    return render(
        request,
        "pages/results/participation.html",
        {
            "actor": actor,
            "seen": seen,
            "round": seen.round,
            "contest": seen.contest,
            "people": people,
            "sort": sort,
            "page": page,
            "pages": max(1, ceil(seen.unit.missing / PER_PAGE)),
            "group_text": _reminder(request, translate(request, N_("đồng chí")), seen),
            "locale": request_locale(request),
        },
    )


@router.get("/rounds/{round_id}/participation.xlsx")
def participation_file(request: Request, round_id: int, actor: PageActor, session: SessionDep, unit: str = "") -> FileResponse:
    return download(
        participation.export(session=session, actor=actor, round_id=round_id, unit_code=unit or None, locale=request_locale(request))
    )
