from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.deps import CurrentCaller, page_actor
from app.errors import N_
from app.routers.base import make_router
from app.routers.pages.common import on_loop_or_pool
from app.services.bank import study
from app.services.essays import campaigns as essay_campaigns
from app.services.org import units
from app.services.org.access import JUDGE, Actor
from app.services.quiz import member_rounds
from app.templating import render, translate

router = make_router()
_MESSAGES = {"password_changed": N_("Đã đổi mật khẩu.")}


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, caller: CurrentCaller, msg: str = "") -> Response:
    """The first page of every member when a round opens: made as the rules page (common.on_loop_or_pool)."""
    return await on_loop_or_pool(
        request, lambda session, reads: _home(request, page_actor(caller.actor_with(session)), session, reads, msg)
    )


def _home(request: Request, actor: Actor, session: Session, reads: Connection | None, msg: str) -> HTMLResponse:
    unit = actor.unit
    cache = request.app.state.boards  # what the member's unit is offered, read once per unit (kit.offers)
    flash = translate(request, _MESSAGES[msg]) if msg in _MESSAGES else None
    judge_units = sorted({g.unit_code for g in actor.grants if g.role in JUDGE})
    mine = member_rounds.own(session=session, actor=actor, reads=reads, rounds=True)  # one read for the cards and the results
    return render(
        request,
        "pages/home.html",
        {
            "actor": actor,
            "unit": unit,
            "flash": flash,
            "manage": units.summaries(session=session, actor=actor),
            "judge_units": judge_units,
            "cards": member_rounds.cards_for(session=session, actor=actor, cache=cache, mine=mine),
            "study_sets": len(study.sets_for(session=session, actor=actor, cache=cache)),
            "results": member_rounds.my_results(session=session, actor=actor, reads=reads, mine=mine),
            "past": member_rounds.past_contests(session=session, actor=actor, cache=cache),
            "essay_campaigns": essay_campaigns.open_for_member(session=session, actor=actor, cache=cache),
            "push_key": request.app.state.push_key,
        },
    )


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}
