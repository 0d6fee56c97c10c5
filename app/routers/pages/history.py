"""A member's history across contests (rounds, scores, ranks, certificates of rounds and of whole contests,
essays) and the public archive of finished contests with their winners. Rules in app.services.quiz.member_rounds,
app.services.results.certificates and app.services.essays."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.deps import PageActor, SessionDep
from app.routers.base import make_router
from app.services.essays import essays
from app.services.quiz import member_rounds
from app.services.results import certificates
from app.templating import render

router = make_router()
HISTORY_LIMIT = 200


@router.get("/me/history", response_class=HTMLResponse)
def my_history(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    results = member_rounds.my_results(session=session, actor=actor, limit=HISTORY_LIMIT)
    return render(
        request,
        "pages/history.html",
        {
            "actor": actor,
            "results": results,
            "certifiable": {x.last.id for x in results if certificates.certifiable(x.round, x.last)},
            "essays": essays.history_of(session=session, actor=actor),
            "certified": certificates.contests_certified(session=session, actor=actor),
        },
    )


@router.get("/archive", response_class=HTMLResponse)
def archive(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/archive.html", {"finished": member_rounds.archive(session=session)})
