"""The report up the tree (báo cáo kết quả) of a contest, of an essay campaign, and of a period across them,
for a unit: a page, an XLSX and a PDF. Rules in app.services.results.report and period_report."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from app.deps import PageActor, SessionDep
from app.errors import Invalid, NotFound
from app.routers.base import download, make_router
from app.routers.pages.common import form_failure
from app.services.results import participation, period_report, report
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


# `from` is a Python keyword: the period's ends are read under their query names.
DateFrom = Annotated[str, Query(alias="from")]
DateTo = Annotated[str, Query(alias="to")]


@router.get("/reports", response_class=HTMLResponse)
def period_report_page(
    request: Request, actor: PageActor, session: SessionDep, unit: str = "", date_from: DateFrom = "", date_to: DateTo = ""
) -> HTMLResponse:
    """The form (unit, from, to) and the report; a wrong date or unit is said on the page, above the form."""
    grants = sorted({g.unit_code for g in actor.grants if g.role in participation.SEES})
    try:
        r = period_report.period_report(session=session, actor=actor, unit_code=unit or None, date_from=date_from, date_to=date_to)
    except (Invalid, NotFound) as exc:
        widest = period_report.widest_grant(actor)
        if widest is None:  # not an organiser nor a judge: there is no such page for them
            raise
        message, errors = form_failure(session, request, exc)
        form = {"unit": unit or widest.unit_code, "from": date_from, "to": date_to}
        ctx = {"actor": actor, "r": None, "form": form, "error": message, "errors": errors, "grants": grants}
        return render(request, "pages/results/period_report.html", ctx, status_code=exc.status_code)
    form = {"unit": r.unit.code, "from": r.period.start.isoformat(), "to": r.period.end.isoformat()}
    return render(request, "pages/results/period_report.html", {"actor": actor, "r": r, "form": form, "errors": {}, "grants": grants})


def _period_file(
    request: Request, actor: PageActor, session: SessionDep, fmt: str, unit: str, date_from: str, date_to: str
) -> FileResponse:
    out = period_report.export(
        session=session,
        actor=actor,
        fmt=fmt,
        unit_code=unit or None,
        date_from=date_from,
        date_to=date_to,
        locale=request_locale(request),
    )
    return download(out)


@router.get("/reports.xlsx")
def period_report_xlsx(
    request: Request, actor: PageActor, session: SessionDep, unit: str = "", date_from: DateFrom = "", date_to: DateTo = ""
) -> FileResponse:
    return _period_file(request, actor, session, "xlsx", unit, date_from, date_to)


@router.get("/reports.pdf")
def period_report_pdf(
    request: Request, actor: PageActor, session: SessionDep, unit: str = "", date_from: DateFrom = "", date_to: DateTo = ""
) -> FileResponse:
    return _period_file(request, actor, session, "pdf", unit, date_from, date_to)
