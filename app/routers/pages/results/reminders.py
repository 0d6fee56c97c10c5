"""Reminders on the pages: the service worker phones register for Web Push, and the organiser's page that
sends a reminder to the unit's members who have not taken part and shows the earlier sends.
Rules in app.services.results.reminders."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from app.deps import PageActor, SessionDep
from app.models import Contest
from app.routers.base import make_router, start_reminder
from app.routers.pages.common import FormDep, redirect
from app.services.results import participation, reminders
from app.templating import render

router = make_router()
SERVICE_WORKER = Path(__file__).resolve().parents[3] / "static" / "sw.js"


@router.get("/sw.js", include_in_schema=False)
def service_worker() -> FileResponse:
    # served from the root so that its scope is the whole site (a worker under /static/ would only see /static/)
    return FileResponse(SERVICE_WORKER, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/rounds/{round_id}/reminders", response_class=HTMLResponse)
def reminders_page(request: Request, round_id: int, actor: PageActor, session: SessionDep, unit: str = "", sent: int = 0) -> HTMLResponse:
    place = participation.reach(session=session, actor=actor, round_id=round_id, unit_code=unit or None)
    sends = reminders.history(session=session, actor=actor, round_id=round_id, unit_code=place.unit_code)
    contest = session.get(Contest, place.info.contest_id)
    context = {"actor": actor, "place": place, "sends": sends, "sent": sent, "auto": bool(contest and contest.auto_reminders)}
    context["may_switch"] = actor.covers_path(place.info.scope_path)
    context["reach"] = reminders.reachable(session=session, place=place)
    return render(request, "pages/results/reminders.html", context)


@router.post("/rounds/{round_id}/reminders/auto")
def switch_auto(round_id: int, actor: PageActor, session: SessionDep, form: FormDep) -> RedirectResponse:
    reminders.set_auto(session=session, actor=actor, round_id=round_id, on=form.get("on") == "1")
    return redirect(f"/rounds/{round_id}/reminders?unit={form.get('unit') or ''}")


@router.post("/rounds/{round_id}/reminders")
def send_reminder(request: Request, round_id: int, actor: PageActor, session: SessionDep, form: FormDep) -> RedirectResponse:
    unit = str(form.get("unit") or "")
    send = start_reminder(request, session, actor, round_id, unit or None)
    return redirect(f"/rounds/{round_id}/reminders?unit={unit}&sent={send.id}")
