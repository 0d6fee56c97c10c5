"""Essay pages (bài thu hoạch) for members: the campaigns open to them, the write page (a textarea with a live word
count, drafts autosaved by htmx, or a plain form post without JavaScript), the receipt. And one essay read by an
organiser (accept or return it) or a judge (grade it on the rubric). Rules in app.services.essays.essays and grading;
the campaign, review and grading lists are in app.routers.pages.essays.campaigns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.deps import PageActor, SessionDep
from app.errors import N_, AppError, Invalid
from app.models.essays import EssayCampaign
from app.routers.base import make_router
from app.routers.pages.common import FormDep, form_failure, redirect
from app.services.essays import campaigns as essay_campaigns
from app.services.essays import essays
from app.services.essays import grading as essay_grading
from app.services.org.access import JUDGE, MANAGE, Actor
from app.templating import render, translate

router = make_router()
_DONE = {
    "saved": N_("Đã lưu bản nháp."),
    "reviewed": N_("Đã ghi nhận: chi bộ đã xem bài."),
    "returned": N_("Đã trả lại bài cho hội viên sửa."),
    "graded": N_("Đã lưu điểm của bạn."),
}


def _flash(request: Request) -> str | None:
    done = request.query_params.get("done")
    return translate(request, _DONE[done]) if done in _DONE else None


def _my_label(request: Request) -> Callable[[str], str]:
    return lambda state: translate(request, essays.MY_STATES.get(state, state))


def _status(request: Request) -> Callable[[str | None], str]:
    return lambda status: translate(request, essays.STATUS_LABELS.get(status, status)) if status else ""


@router.get("/essays", response_class=HTMLResponse)
def essay_home(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    opened = essay_campaigns.open_for_member(session=session, actor=actor)
    found = essays.mine_in(session=session, actor=actor, campaign_ids=[c.id for c in opened if c.id is not None])
    mine = {c.id: essays.view_of(c, found.get(c.id)) for c in opened if c.id is not None}
    managed = essay_campaigns.list_managed(session=session, actor=actor) if actor.has_role(*MANAGE) else []
    judged = essay_campaigns.list_visible(session=session, actor=actor, roles=JUDGE) if actor.has_role(*JUDGE) else []
    return render(
        request,
        "pages/essays/index.html",
        {
            "actor": actor,
            "opened": opened,
            "mine": mine,
            "managed": managed,
            "judged": judged,
            "state": essay_campaigns.state,
            "covers": lambda unit: actor.covers(unit),
            "status_label": _status(request),
            "my_label": _my_label(request),
        },
    )


# --- writing -----------------------------------------------------------------------------------------------------
def _write_ctx(request: Request, session: Session, actor: Actor, campaign_id: int, **extra: Any) -> dict[str, Any]:
    campaign, essay = essays.own(session, actor, campaign_id)
    mine = essays.view_of(campaign, essay)
    form = {"topic": mine.draft_topic, "text": mine.draft_text}
    return {
        "actor": actor,
        "c": campaign,
        "mine": mine,
        "form": form,
        "state": essay_campaigns.state(campaign),
        "paragraphs": essays.paragraphs,
        "status_label": _status(request),
        "flash": _flash(request),
        "errors": {},
        "my_label": _my_label(request),
        **extra,
    }


@router.get("/essays/campaigns/{campaign_id}/write", response_class=HTMLResponse)
def write(request: Request, campaign_id: int, actor: PageActor, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/essays/write.html", _write_ctx(request, session, actor, campaign_id))


@router.post("/essays/campaigns/{campaign_id}/write", response_class=HTMLResponse)
def write_post(request: Request, campaign_id: int, actor: PageActor, session: SessionDep, form: FormDep) -> Response:
    """The plain form (also without JavaScript): "save" keeps the draft, "submit" saves and hands it in."""
    topic, text = form.get("topic") or "", form.get("text") or ""
    try:
        if form.get("action") == "submit":
            essays.submit(session=session, actor=actor, campaign_id=campaign_id, topic=topic, text=text)
        else:
            essays.save_draft(session=session, actor=actor, campaign_id=campaign_id, topic=topic, text=text)
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        if form.get("action") == "submit" and isinstance(exc, Invalid):  # refused, but what was typed is kept
            try:
                essays.save_draft(session=session, actor=actor, campaign_id=campaign_id, topic=topic, text=text)
            except AppError:
                session.rollback()
        ctx = _write_ctx(request, session, actor, campaign_id, error=message, errors=errors)
        ctx["form"] = {"topic": topic, "text": text}
        return render(request, "pages/essays/write.html", ctx, status_code=exc.status_code)
    if form.get("action") == "submit":
        return redirect(f"/essays/campaigns/{campaign_id}/receipt")
    return redirect(f"/essays/campaigns/{campaign_id}/write?done=saved")


@router.post("/essays/campaigns/{campaign_id}/draft", response_class=HTMLResponse)
def autosave(request: Request, campaign_id: int, actor: PageActor, session: SessionDep, form: FormDep) -> HTMLResponse:
    """htmx, debounced while typing: save the working copy and say when (or why not)."""
    try:
        essay = essays.save_draft(
            session=session, actor=actor, campaign_id=campaign_id, topic=form.get("topic") or "", text=form.get("text") or ""
        )
    except AppError as exc:
        message, _ = form_failure(session, request, exc)
        return render(request, "partials/essays/saved.html", {"ok": False, "message": message}, status_code=exc.status_code)
    return render(request, "partials/essays/saved.html", {"ok": True, "essay": essay})


@router.get("/essays/campaigns/{campaign_id}/receipt", response_class=HTMLResponse)
def receipt(request: Request, campaign_id: int, actor: PageActor, session: SessionDep) -> Response:
    ctx = _write_ctx(request, session, actor, campaign_id)
    if ctx["mine"].submitted_at is None:
        return redirect(f"/essays/campaigns/{campaign_id}/write")
    return render(request, "pages/essays/receipt.html", ctx)


# --- one essay, read by the cell or a judge ----------------------------------------------------------------------
def _essay_ctx(request: Request, session: Session, actor: Actor, essay_id: int, **extra: Any) -> dict[str, Any]:
    view = essays.readable(session=session, actor=actor, essay_id=essay_id)
    campaign: EssayCampaign = view.campaign
    grades = essay_grading.grades_of(session=session, essay_ids=[essay_id])[essay_id]
    own = next((g for g, _name in grades if g.judge_id == actor.id), None)
    given = own.scores if own else {}
    scores = {c["key"]: f"{given[c['key']]:g}" if c["key"] in given else "" for c in campaign.rubric}
    return {
        "actor": actor,
        "v": view,
        "e": view.essay,
        "c": campaign,
        "grades": grades,
        "own": own,
        "scores": scores,
        "comment": own.comment if own else "",
        "rubric_max": essay_campaigns.rubric_max(campaign),
        "paragraphs": essays.paragraphs,
        "status_label": _status(request),
        "flash": _flash(request),
        "errors": {},
        "open": essay_campaigns.state(campaign) == "open",
        **extra,
    }


@router.get("/essays/{essay_id:int}", response_class=HTMLResponse)
def read_essay(request: Request, essay_id: int, actor: PageActor, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/essays/essay.html", _essay_ctx(request, session, actor, essay_id))


@router.post("/essays/{essay_id:int}/review", response_class=HTMLResponse)
def review(request: Request, essay_id: int, actor: PageActor, session: SessionDep, form: FormDep) -> Response:
    action = form.get("action") or ""
    try:
        essays.review(session=session, actor=actor, essay_id=essay_id, action=action, comment=form.get("comment"))
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request,
            "pages/essays/essay.html",
            _essay_ctx(request, session, actor, essay_id, error=message, errors=errors, review_comment=form.get("comment") or ""),
            status_code=exc.status_code,
        )
    return redirect(f"/essays/{essay_id}?done={action}")


def _points(value: Any) -> Any:
    text = str(value or "").strip().replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        return text  # the service names the criterion


@router.post("/essays/{essay_id:int}/grade", response_class=HTMLResponse)
def grade(request: Request, essay_id: int, actor: PageActor, session: SessionDep, form: FormDep) -> Response:
    view = essays.readable(session=session, actor=actor, essay_id=essay_id)
    scores = {c["key"]: _points(form.get(f"score_{c['key']}")) for c in view.campaign.rubric}
    try:
        essay_grading.grade(
            session=session,
            actor=actor,
            essay_id=essay_id,
            comment=form.get("comment"),
            scores={k: v for k, v in scores.items() if v is not None},
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        ctx = _essay_ctx(request, session, actor, essay_id, error=message, errors=errors)
        ctx["scores"], ctx["comment"] = {k: form.get(f"score_{k}") or "" for k in scores}, form.get("comment") or ""
        return render(request, "pages/essays/essay.html", ctx, status_code=exc.status_code)
    return redirect(f"/essays/{essay_id}?done=graded")
