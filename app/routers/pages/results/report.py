"""The report up the tree (báo cáo kết quả) of a contest for a unit: a page, an XLSX and a PDF. Rules in
app.services.results.report."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse

from app.deps import PageActor, SessionDep
from app.routers.base import download, make_router
from app.services.results import report
from app.templating import render, request_locale

router = make_router()


@router.get("/contests/{contest_id}/report", response_class=HTMLResponse)
def report_page(request: Request, contest_id: int, actor: PageActor, session: SessionDep, unit: str = "") -> HTMLResponse:
    r = report.unit_report(session=session, actor=actor, contest_id=contest_id, unit_code=unit or None)
    return render(request, "pages/results/report.html", {"actor": actor, "r": r})


@router.get("/contests/{contest_id}/report.{fmt}")
def report_file(request: Request, contest_id: int, fmt: str, actor: PageActor, session: SessionDep, unit: str = "") -> FileResponse:
    locale = request_locale(request)
    return download(report.export(session=session, actor=actor, contest_id=contest_id, fmt=fmt, unit_code=unit or None, locale=locale))


@router.get("/essays/campaigns/{campaign_id}/report", response_class=HTMLResponse)
def campaign_report_page(request: Request, campaign_id: int, actor: PageActor, session: SessionDep, unit: str = "") -> HTMLResponse:
    r = report.campaign_report(session=session, actor=actor, campaign_id=campaign_id, unit_code=unit or None)
    return render(request, "pages/results/campaign_report.html", {"actor": actor, "r": r})


@router.get("/essays/campaigns/{campaign_id}/report.{fmt}")
def campaign_report_file(
    request: Request, campaign_id: int, fmt: str, actor: PageActor, session: SessionDep, unit: str = ""
) -> FileResponse:
    locale = request_locale(request)
    out = report.export_campaign(session=session, actor=actor, campaign_id=campaign_id, fmt=fmt, unit_code=unit or None, locale=locale)
    return download(out)
