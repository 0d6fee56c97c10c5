"""The public winners of a sealed round, with the image shown when the link is shared (no login).
Rules in app.services.results.winners."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.deps import SessionDep
from app.routers.base import make_router, public_base_url
from app.services.contests import contests
from app.services.results import winners
from app.templating import render, request_locale

router = make_router()


@router.get("/rounds/{round_id}/winners", response_class=HTMLResponse)
def winners_page(request: Request, round_id: int, session: SessionDep) -> HTMLResponse:
    w = winners.round_winners(session=session, round_id=round_id)
    base = public_base_url(request).rstrip("/")
    return render(
        request,
        "pages/results/winners.html",
        {
            "w": w,
            "tz": contests.zone(w.contest),
            "share_url": f"{base}/rounds/{round_id}/winners",
            "image_url": f"{base}/rounds/{round_id}/winners.png",
        },
    )


@router.get("/rounds/{round_id}/winners.png")
def winners_image(request: Request, round_id: int, session: SessionDep) -> Response:
    site = public_base_url(request).rstrip("/").split("://")[-1] or "hoithi"
    png = winners.card(session=session, round_id=round_id, site=site, locale=request_locale(request))
    # sealed results do not change: phones and the link previews of Zalo and Facebook may keep the image
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/contests/{contest_id}/winners", response_class=HTMLResponse)
def contest_winners_page(request: Request, contest_id: int, session: SessionDep) -> HTMLResponse:
    """A contest's winners, round by round, once its last round is sealed (public)."""
    w = winners.contest_winners(session=session, contest_id=contest_id)
    return render(request, "pages/results/contest_winners.html", {"w": w, "tz": contests.zone(w.contest)})
