from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import escape
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.deps import CurrentCaller, get_caller, page_actor
from app.errors import N_
from app.routers.base import direct, make_router
from app.routers.pages.common import nav_roles, on_loop_or_pool
from app.services.bank import study
from app.services.essays import campaigns as essay_campaigns
from app.services.org import units
from app.services.org.access import JUDGE, Actor
from app.services.quiz import member_rounds
from app.templating import piece, render_fragment, render_shared, translate

router = make_router()
_MESSAGES = {"password_changed": N_("Đã đổi mật khẩu.")}


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, caller: CurrentCaller, msg: str = "") -> Response:
    """The first page of every member when a round opens: made as the rules page (common.on_loop_or_pool)."""
    return await on_loop_or_pool(
        request, lambda session, reads: _home(request, page_actor(caller.actor_with(session)), session, reads, msg)
    )


def _home(request: Request, actor: Actor, session: Session, reads: Connection | None, msg: str) -> HTMLResponse:
    """Shared by the members offered the same with the same roles (render_shared), whatever their unit: what
    is offered is read once (kit.offers) and rendered once; the member's own parts fill its holes."""
    unit = actor.unit
    assert unit is not None
    cache = request.app.state.boards
    mine = member_rounds.own(session=session, actor=actor, reads=reads, rounds=True)  # one read for the cards and the results
    rounds = {
        "cards": member_rounds.cards_for(session=session, actor=actor, cache=cache, mine=mine),
        "results": member_rounds.my_results(session=session, actor=actor, reads=reads, mine=mine),
    }
    manage = units.summaries(session=session, actor=actor)
    judge_units = sorted({g.unit_code for g in actor.grants if g.role in JUDGE})
    flash = translate(request, _MESSAGES[msg]) if msg in _MESSAGES else None

    def own() -> dict[str, str]:
        who: dict[str, str] = {"name": escape(actor.member.full_name), "code": escape(actor.member.member_code or "")}
        who |= {"unit_name": escape(unit.name), "unit_code": escape(unit.code), "flash": escape(flash or "")}
        return {
            "who": piece(request, "partials/home/who.html", flash="1" if flash else "").fill(who),
            "rounds": render_fragment(request, "partials/home/rounds.html", rounds),
            "staff": render_fragment(request, "partials/home/staff.html", {"manage": manage, "judge_units": judge_units})
            if manage or judge_units
            else "",
        }

    study_sets = len(study.sets_for(session=session, actor=actor, cache=cache))
    past = member_rounds.past_contests(session=session, actor=actor, cache=cache)
    campaigns = essay_campaigns.open_for_member(session=session, actor=actor, cache=cache)
    # keyed by what it shows, not by unit: a few shared pages for a whole union, whose cells are offered the same
    key = ("home", nav_roles(actor), study_sets > 0, tuple(c.id for c in past), tuple(c.id for c in campaigns))
    return render_shared(
        request,
        "pages/home.html",
        cache=cache,
        key=key,
        context=lambda: {
            "actor": actor,
            "study_sets": study_sets,
            "past": past,
            "essay_campaigns": campaigns,
            "push_key": request.app.state.push_key,
        },
        fills=own,
    )


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _msg(request: Request) -> str:
    return request.query_params.get("msg", "")


DIRECT = [direct("/", home, caller=get_caller, msg=_msg)]  # the first page of every member (routers.base.direct)
