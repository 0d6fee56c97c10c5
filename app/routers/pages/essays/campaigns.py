"""Essay campaign pages for organisers and judges: create and edit a campaign, the cell's review page (who has
handed in, who has not, search, files), the judges' queue. Rules in app.services.essays.campaigns, essays,
essay_grading and essay_exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import Session

from app.deps import PageActor, PageJudge, PageOrganiser, SessionDep
from app.errors import N_, AppError, Invalid
from app.models.essays import EssayCampaign
from app.routers.base import download, make_router
from app.routers.pages.common import FormDep, form_failure, redirect
from app.services.contests import contests
from app.services.essays import campaigns as essay_campaigns
from app.services.essays import essays, overview
from app.services.essays import exports as essay_exports
from app.services.essays import grading as essay_grading
from app.services.essays.campaigns import DEFAULT_RUBRIC
from app.services.essays.schemas import CriterionIn, EssayCampaignCreate, EssayCampaignUpdate
from app.services.org import units
from app.services.org.access import Actor
from app.templating import render, request_locale, translate

router = make_router()
QUEUE_SHOWS = ("todo", "flagged", "all")


# --- the campaign form -------------------------------------------------------------------------------------------
def _status_label(request: Request) -> Callable[[str], str]:
    return lambda status: translate(request, essays.STATUS_LABELS.get(status, status))


def _number(form: dict[str, Any], key: str, default: float, kind: type = int) -> Any:
    value = (form.get(key) or "").strip().replace(",", ".")
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise Invalid(N_("Ô này cần một số (đang là {value})."), field=key, value=value) from None


def _when(form: dict[str, Any], key: str) -> datetime | None:
    try:
        return datetime.fromisoformat(form[key]) if form.get(key) else None
    except ValueError:
        raise Invalid(N_("Thời gian không hợp lệ."), field=key) from None


def _rubric(text: str) -> list[CriterionIn]:
    """One criterion per line: «Tên tiêu chí | điểm tối đa»."""
    out = []
    for n, line in enumerate((x.strip() for x in (text or "").splitlines()), start=1):
        if not line:
            continue
        label, sep, points = line.rpartition("|")
        try:
            out.append(CriterionIn(label=label.strip(), max_points=float(points.strip().replace(",", "."))))
        except ValueError:
            sep = ""
        if not sep:
            raise Invalid(N_("Thang điểm, dòng {n}: ghi «Tên tiêu chí | điểm tối đa»."), field="rubric", n=n)
    return out


def _values(form: dict[str, Any]) -> dict[str, Any]:
    contest_id = _number(form, "contest_id", 0)
    return dict(
        title=form.get("title") or "",
        prompt=form.get("prompt") or "",
        topics=(form.get("topics") or "").splitlines(),
        opens_at=_when(form, "opens_at"),
        closes_at=_when(form, "closes_at"),
        min_words=_number(form, "min_words", 0),
        max_words=_number(form, "max_words", 3000),
        allow_edit_after_submit=bool(form.get("allow_edit_after_submit")),
        rubric=_rubric(form.get("rubric") or ""),
        graders_per_essay=_number(form, "graders_per_essay", 2),
        disagreement_share=_number(form, "disagreement_pct", 20, float) / 100,
        contest_id=contest_id or None,
        contest_weight=_number(form, "contest_weight", 0, float) if contest_id else 0.0,
    )


def _as_form(c: EssayCampaign) -> dict[str, Any]:
    tz = essay_campaigns.zone(c)
    return {
        "title": c.title,
        "prompt": c.prompt,
        "topics": "\n".join(c.topics),
        "min_words": c.min_words,
        "max_words": c.max_words,
        "allow_edit_after_submit": c.allow_edit_after_submit,
        "opens_at": c.opens_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": c.closes_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "rubric": "\n".join(f"{x['label']} | {x['max_points']:g}" for x in c.rubric),
        "graders_per_essay": c.graders_per_essay,
        "disagreement_pct": f"{c.disagreement_share * 100:g}",
        "contest_id": c.contest_id or "",
        "contest_weight": f"{c.contest_weight:g}",
    }


DEFAULT_FORM = {
    "min_words": 300,
    "max_words": 1500,
    "allow_edit_after_submit": True,
    "graders_per_essay": 2,
    "disagreement_pct": "20",
    "rubric": "\n".join(f"{x['label']} | {x['max_points']}" for x in DEFAULT_RUBRIC),
}


def _form_ctx(session: Session, actor: Actor, form: dict[str, Any], campaign: EssayCampaign | None = None, **extra: Any) -> dict[str, Any]:
    scope = units.tree_order(units.list_in_scope(session=session, actor=actor))
    return {
        "actor": actor,
        "form": form,
        "campaign": campaign,
        "units": scope,
        "min_depth": min((u.depth for u in scope), default=0),
        "contests": contests.list_contests(session=session, actor=actor),
        "errors": {},
        **extra,
    }


@router.get("/essays/campaigns/new", response_class=HTMLResponse)
def campaign_new(request: Request, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/essays/campaign_form.html", _form_ctx(session, actor, dict(DEFAULT_FORM)))


@router.post("/essays/campaigns", response_class=HTMLResponse)
def campaign_create(request: Request, actor: PageOrganiser, session: SessionDep, form: FormDep) -> Response:
    try:
        c = essay_campaigns.create(
            session=session, actor=actor, data=EssayCampaignCreate(**_values(form), scope_unit_code=form.get("scope_unit_code") or "")
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request,
            "pages/essays/campaign_form.html",
            _form_ctx(session, actor, form, error=message, errors=errors),
            status_code=exc.status_code,
        )
    return redirect(f"/essays/campaigns/{c.id}/review")


@router.get("/essays/campaigns/{campaign_id}/edit", response_class=HTMLResponse)
def campaign_edit(request: Request, campaign_id: int, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    c, _scope = essay_campaigns.get_managed(session=session, actor=actor, campaign_id=campaign_id)
    return render(request, "pages/essays/campaign_form.html", _form_ctx(session, actor, _as_form(c), campaign=c))


@router.post("/essays/campaigns/{campaign_id}/edit", response_class=HTMLResponse)
def campaign_save(request: Request, campaign_id: int, actor: PageOrganiser, session: SessionDep, form: FormDep) -> Response:
    try:
        essay_campaigns.update(session=session, actor=actor, campaign_id=campaign_id, data=EssayCampaignUpdate(**_values(form)))
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        c, _scope = essay_campaigns.get_managed(session=session, actor=actor, campaign_id=campaign_id)
        return render(
            request,
            "pages/essays/campaign_form.html",
            _form_ctx(session, actor, form, campaign=c, error=message, errors=errors),
            status_code=exc.status_code,
        )
    return redirect(f"/essays/campaigns/{campaign_id}/review?done=saved")


# --- the cell's review page ----------------------------------------------------------------------------------------
def _units_inside(session: Session, actor: Actor, scope_path: str) -> list:
    return [u for u in units.tree_order(units.list_in_scope(session=session, actor=actor)) if u.path.startswith(scope_path)]


@router.get("/essays/campaigns/{campaign_id}/review", response_class=HTMLResponse)
def review_page(
    request: Request, campaign_id: int, actor: PageOrganiser, session: SessionDep, unit_code: str = "", q: str = "", status: str = ""
) -> HTMLResponse:
    view = overview.overview(
        session=session,
        actor=actor,
        campaign_id=campaign_id,
        unit_code=unit_code or None,
        q=q,
        status=status if status in essays.STATUS_LABELS else None,
    )
    reached = view.reach
    picker = _units_inside(session, actor, reached.scope.path)
    return render(
        request,
        "pages/essays/review.html",
        {
            "actor": actor,
            "view": view,
            "c": reached.campaign,
            "unit": reached.unit,
            "q": q,
            "status": status,
            "units": picker,
            "min_depth": min((u.depth for u in picker), default=0),
            "shares": essay_exports.participation(session=session, campaign=reached.campaign, unit=reached.unit),
            "may_edit": actor.covers(reached.scope),
            "state": essay_campaigns.state(reached.campaign),
            "status_label": _status_label(request),
            "flash": translate(request, N_("Đã lưu.")) if request.query_params.get("done") == "saved" else None,
        },
    )


@router.get("/essays/campaigns/{campaign_id}/export.{fmt}")
def export(
    request: Request, campaign_id: int, fmt: str, actor: PageActor, session: SessionDep, unit_code: str | None = None
) -> FileResponse:
    out = essay_exports.export(
        session=session, actor=actor, campaign_id=campaign_id, fmt=fmt, unit_code=unit_code or None, locale=request_locale(request)
    )
    return download(out)


# --- the judges ------------------------------------------------------------------------------------------------------
@router.get("/essays/grading", response_class=HTMLResponse)
def grading_home(request: Request, actor: PageJudge, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "pages/essays/grading.html",
        {
            "actor": actor,
            "campaigns": essay_campaigns.list_visible(session=session, actor=actor, roles=("judge", "admin")),
            "state": essay_campaigns.state,
        },
    )


@router.get("/essays/campaigns/{campaign_id}/grading", response_class=HTMLResponse)
def grading_queue(
    request: Request, campaign_id: int, actor: PageJudge, session: SessionDep, show: str = "todo", unit_code: str = ""
) -> HTMLResponse:
    show = show if show in QUEUE_SHOWS else "todo"
    q = essay_grading.queue(session=session, actor=actor, campaign_id=campaign_id, unit_code=unit_code or None, show=show)
    return render(
        request,
        "pages/essays/queue.html",
        {
            "actor": actor,
            "q": q,
            "c": q.reach.campaign,
            "unit": q.reach.unit,
            "show": show,
            "rubric_max": essay_campaigns.rubric_max(q.reach.campaign),
        },
    )
