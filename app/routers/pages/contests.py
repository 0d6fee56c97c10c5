"""Contest pages: organisers create weekly rounds and publish; anyone opens the short public link."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.deps import PageOrganiser, SessionDep
from app.errors import N_, AppError, Invalid
from app.models.contest import ContestCreate, DrawLine, PredictionIn, RoundIn, RoundUpdate
from app.routers.base import make_router
from app.routers.pages.common import FormDep, form_failure, redirect
from app.services import bank, closing, contests, sharing, units
from app.services.access import Actor
from app.templating import render

router = make_router()
TIE_BREAK_PRESETS = {
    "default": ["score", "prediction_error", "duration", "submitted_at"],
    "duration_first": ["score", "duration", "prediction_error", "submitted_at"],
    "no_prediction": ["score", "duration", "submitted_at"],
}


def _base_url(request: Request) -> str:
    return request.app.state.settings.public_url or str(request.base_url)


def _int(form: dict[str, Any], key: str, default: int) -> int:
    value = (form.get(key) or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise Invalid(N_("Ô này cần một số nguyên (đang là {value})."), field=key, value=value) from None


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def contest_from_form(form: dict[str, Any]) -> ContestCreate:
    """The create form: one round's settings repeated weekly (Monday to Monday is the common pattern)."""
    weeks = max(1, min(_int(form, "weeks", 1), 52))
    opens, closes = _when(form.get("opens_at")), _when(form.get("closes_at"))
    draw = [DrawLine(topic_id=_int(form, "topic_id", 0), count=_int(form, "count", 10),
                     difficulty=form.get("difficulty") or None)] if form.get("topic_id") else None
    prediction = (PredictionIn(kind=form["prediction_kind"], prompt=form.get("prediction_prompt") or "",
                               lock_first=bool(form.get("prediction_lock_first")))
                  if form.get("prediction_kind") else None)
    rounds = []
    for week in range(weeks):
        shift = timedelta(days=7 * week)
        rounds.append(RoundIn(
            title=f"{(form.get('round_title') or 'Tuần').strip()} {week + 1}" if weeks > 1 else (form.get("round_title") or ""),
            opens_at=opens + shift if opens else None, closes_at=closes + shift if closes else None,
            time_limit_s=_int(form, "time_limit_min", 15) * 60, draw=draw,
            shuffle_questions=bool(form.get("shuffle_questions")), shuffle_options=bool(form.get("shuffle_options")),
            attempts_allowed=_int(form, "attempts_allowed", 1), cooldown_s=_int(form, "cooldown_min", 0) * 60,
            counted_attempt=form.get("counted_attempt") or "best", points_per_question=_int(form, "points", 1),
            results_visibility=form.get("results_visibility") or "after_close", prediction=prediction))
    return ContestCreate(title=form.get("title") or "", rules_text=form.get("rules_text") or "",
                         scope_unit_code=form.get("scope_unit_code") or "",
                         tie_break=TIE_BREAK_PRESETS.get(form.get("tie_break") or "default"), rounds=rounds)


def _form_ctx(session, actor: Actor, form: dict[str, Any], **extra: Any) -> dict[str, Any]:  # noqa: ANN001
    scope = units.tree_order(units.list_in_scope(session=session, actor=actor))
    return {"actor": actor, "form": form, "units": scope, "min_depth": min((u.depth for u in scope), default=0),
            "topics": bank.list_topics(session=session, actor=actor), "errors": {}, **extra}


DEFAULT_FORM = {"weeks": "4", "time_limit_min": "15", "count": "20", "attempts_allowed": "1", "points": "1",
                "shuffle_questions": "1", "shuffle_options": "1", "counted_attempt": "best",
                "results_visibility": "after_close", "prediction_kind": "perfect_scorers", "prediction_lock_first": "1",
                "round_title": "Tuần", "tie_break": "default"}


@router.get("/contests", response_class=HTMLResponse)
def contest_list(request: Request, actor: PageOrganiser, session: SessionDep):  # noqa: ANN201
    return render(request, "pages/contests/list.html",
                  {"actor": actor, "contests": contests.list_contests(session=session, actor=actor)})


@router.get("/contests/new", response_class=HTMLResponse)
def contest_new(request: Request, actor: PageOrganiser, session: SessionDep):  # noqa: ANN201
    return render(request, "pages/contests/new.html", _form_ctx(session, actor, dict(DEFAULT_FORM)))


@router.post("/contests")
def contest_create(request: Request, actor: PageOrganiser, session: SessionDep, form: FormDep):  # noqa: ANN201
    try:
        contest = contests.create_contest(session=session, actor=actor, data=contest_from_form(form))
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(request, "pages/contests/new.html", _form_ctx(session, actor, form, error=message, errors=errors),
                      status_code=exc.status_code)
    return redirect(f"/contests/{contest.id}")


@router.get("/contests/{contest_id}", response_class=HTMLResponse)
def contest_detail(request: Request, contest_id: int, actor: PageOrganiser, session: SessionDep):  # noqa: ANN201
    contest = contests.get_contest(session=session, actor=actor, contest_id=contest_id)
    public = contests.contest_public(session=session, contest=contest)
    return render(request, "pages/contests/detail.html", {
        "actor": actor, "c": public, "share_url": sharing.contest_url(_base_url(request), contest.slug)})


@router.post("/contests/{contest_id}/publish", response_class=HTMLResponse)
def contest_publish(request: Request, contest_id: int, actor: PageOrganiser, session: SessionDep):  # noqa: ANN201
    try:
        contests.publish_contest(session=session, actor=actor, contest_id=contest_id)
    except AppError as exc:
        message, _ = form_failure(session, request, exc)
        contest = contests.get_contest(session=session, actor=actor, contest_id=contest_id)
        return render(request, "pages/contests/detail.html", {
            "actor": actor, "c": contests.contest_public(session=session, contest=contest), "error": message,
            "share_url": sharing.contest_url(_base_url(request), contest.slug)}, status_code=exc.status_code)
    return redirect(f"/contests/{contest_id}")


# --- public --------------------------------------------------------------------------------------------
@router.get("/c/{slug}", response_class=HTMLResponse)
def public_contest(request: Request, slug: str, session: SessionDep):  # noqa: ANN201
    contest, unit = contests.get_public(session=session, slug=slug)
    public = contests.contest_public(session=session, contest=contest)
    url = sharing.contest_url(_base_url(request), contest.slug)
    return render(request, "pages/contests/public.html", {
        "c": public, "unit": unit, "share_url": url, "rules_html": sharing.render_rules(contest.rules_text),
        "description": " ".join(public.rules_summary[:2])[:200]})


@router.get("/c/{slug}/qr.{ext}")
def public_qr(request: Request, slug: str, ext: str, session: SessionDep) -> Response:
    contest, _unit = contests.get_public(session=session, slug=slug)
    url = sharing.contest_url(_base_url(request), contest.slug)
    headers = {"Cache-Control": "public, max-age=86400"}
    if ext == "svg":
        return Response(sharing.qr_svg(url), media_type="image/svg+xml", headers=headers)
    if ext == "png":
        return Response(sharing.qr_png(url), media_type="image/png", headers=headers)
    return Response(status_code=404)



def _round_ctx(session, actor: Actor, round_id: int, **extra: Any) -> dict[str, Any]:  # noqa: ANN001
    round_, contest = contests.get_round(session=session, actor=actor, round_id=round_id)
    ids = contests.question_ids_of(session=session, round_ids=[round_id])[round_id]
    r = contests.round_public(round_, contest, ids)
    form = {"title": r.title, "opens_at": r.opens_at.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": r.closes_at.strftime("%Y-%m-%dT%H:%M"), "time_limit_min": r.time_limit_s // 60,
            "attempts_allowed": r.attempts_allowed, "cooldown_min": r.cooldown_s // 60, "points": r.points_per_question,
            "counted_attempt": r.counted_attempt, "results_visibility": r.results_visibility,
            "shuffle_questions": r.shuffle_questions, "shuffle_options": r.shuffle_options}
    return {"actor": actor, "contest": contest, "r": r, "round": round_, "form": form, "errors": {},
            "opened": contests.round_is_open(round_, contest), **extra}


@router.get("/contests/rounds/{round_id}", response_class=HTMLResponse)
def round_edit(request: Request, round_id: int, actor: PageOrganiser, session: SessionDep):  # noqa: ANN201
    return render(request, "pages/contests/round.html", _round_ctx(session, actor, round_id))


@router.post("/contests/rounds/{round_id}", response_class=HTMLResponse)
def round_update(request: Request, round_id: int, actor: PageOrganiser, session: SessionDep, form: FormDep):  # noqa: ANN201
    try:
        round_ = contests.update_round(session=session, actor=actor, round_id=round_id, data=RoundUpdate(
            title=form.get("title"), opens_at=_when(form.get("opens_at")), closes_at=_when(form.get("closes_at")),
            time_limit_s=_int(form, "time_limit_min", 15) * 60, attempts_allowed=_int(form, "attempts_allowed", 1),
            cooldown_s=_int(form, "cooldown_min", 0) * 60, points_per_question=_int(form, "points", 1),
            counted_attempt=form.get("counted_attempt"), results_visibility=form.get("results_visibility"),
            shuffle_questions=bool(form.get("shuffle_questions")), shuffle_options=bool(form.get("shuffle_options"))))
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        ctx = _round_ctx(session, actor, round_id, error=message, errors=errors)
        ctx["form"] = {**ctx["form"], **form}
        return render(request, "pages/contests/round.html", ctx, status_code=exc.status_code)
    return redirect(f"/contests/{round_.contest_id}")


@router.post("/contests/rounds/{round_id}/close")
def round_close(round_id: int, actor: PageOrganiser, session: SessionDep):  # noqa: ANN201
    """End the round now (before its closing time), the same close the sweep does at closes_at."""
    closing.close_round(session=session, actor=actor, round_id=round_id)
    return redirect(f"/contests/rounds/{round_id}#close-round")
