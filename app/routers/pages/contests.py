"""Contest pages: organisers create weekly rounds and publish; anyone opens the short public link."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.deps import PageOrganiser, SessionDep
from app.errors import AppError, Invalid
from app.routers.base import make_router, public_base_url
from app.routers.pages.common import FormDep, form_failure, form_list, qr_response, redirect
from app.routers.pages.contest_forms import (
    TIE_BREAK_PRESETS,
    contest_from_form,
    draw_from_form,
    form_int,
    form_time,
    prediction_from_form,
    source_from_form,
)
from app.services.bank import questions as bank
from app.services.contests import bank_checks, contests, drawing, rounds, sharing
from app.services.contests.schemas import ContestUpdate, RoundUpdate
from app.services.org import units
from app.services.org.access import Actor
from app.services.results import closing
from app.templating import render

router = make_router()


def source_ctx(session: Session, actor: Actor, form: dict[str, Any], *, blank_rows: int = 2) -> dict[str, Any]:
    """What the question-source part of a round form shows: the draw rows with what the bank holds for each,
    the bank to pick a fixed list from, and whether the bank can serve the draw (bank_checks)."""
    topics = bank.list_topics(session=session, actor=actor)
    counts = bank_checks.active_counts(session=session, topic_ids=[t.id for t, _u, _n in topics if t.id is not None])
    try:
        lines = [line.model_dump() for line in draw_from_form(form)]
    except Invalid:
        lines = []
    shortages = bank_checks.draw_shortages(lines, counts)
    rows = [
        {
            **line,
            "available": (
                counts.get(line["topic_id"], {}).get(line["difficulty"], 0)
                if line["difficulty"]
                else sum(counts.get(line["topic_id"], {}).values())
            ),
            "short": any(x.topic_id == line["topic_id"] and x.difficulty in (None, line["difficulty"]) for x in shortages),
        }
        for line in lines
    ]
    rows += [{"topic_id": None, "difficulty": None, "count": None, "available": None, "short": False}] * blank_rows
    chosen = {str(v) for v in form_list(form, "question_ids")}
    return {
        "topics": topics,
        "counts": counts,
        "draw_rows": rows,
        "shortages": shortages,
        "draw_total": sum(line["count"] for line in lines),
        "chosen": chosen,
        "bank": bank.active_by_topic(session=session, actor=actor) if form.get("source") == "fixed" or chosen else None,
    }


def _form_ctx(session: Session, actor: Actor, form: dict[str, Any], **extra: Any) -> dict[str, Any]:
    scope = units.tree_order(units.list_in_scope(session=session, actor=actor))
    return {
        "actor": actor,
        "form": form,
        "units": scope,
        "min_depth": min((u.depth for u in scope), default=0),
        "errors": {},
        **source_ctx(session, actor, form),
        **extra,
    }


DEFAULT_FORM = {
    "weeks": "4",
    "time_limit_min": "15",
    "attempts_allowed": "1",
    "points": "1",
    "shuffle_questions": "1",
    "shuffle_options": "1",
    "counted_attempt": "best",
    "results_visibility": "after_close",
    "prediction_kind": "perfect_scorers",
    "prediction_lock_first": "1",
    "round_title": "Tuần",
    "tie_break": "default",
    "source": "draw",
}


@router.post("/contests/draw-check", response_class=HTMLResponse)
def draw_check(request: Request, actor: PageOrganiser, session: SessionDep, form: FormDep) -> HTMLResponse:
    """htmx: the question-source part of a round form again, with what the bank holds for each draw row."""
    return render(request, "partials/contests/source.html", {"form": form, "errors": {}, **source_ctx(session, actor, form, blank_rows=1)})


@router.get("/contests", response_class=HTMLResponse)
def contest_list(request: Request, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/contests/list.html", {"actor": actor, "contests": contests.list_contests(session=session, actor=actor)})


@router.get("/contests/new", response_class=HTMLResponse)
def contest_new(request: Request, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/contests/new.html", _form_ctx(session, actor, dict(DEFAULT_FORM)))


@router.post("/contests")
def contest_create(request: Request, actor: PageOrganiser, session: SessionDep, form: FormDep) -> Response:
    try:
        contest = contests.create_contest(session=session, actor=actor, data=contest_from_form(form))
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request, "pages/contests/new.html", _form_ctx(session, actor, form, error=message, errors=errors), status_code=exc.status_code
        )
    return redirect(f"/contests/{contest.id}")


@router.get("/contests/{contest_id}", response_class=HTMLResponse)
def contest_detail(request: Request, contest_id: int, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    contest = contests.get_contest(session=session, actor=actor, contest_id=contest_id)
    public = contests.contest_public(session=session, contest=contest)
    return render(
        request,
        "pages/contests/detail.html",
        {
            "actor": actor,
            "c": public,
            "share_url": sharing.contest_url(public_base_url(request), contest.slug),
            "rules_html": sharing.render_rules(contest.rules_text),
        },
    )


def _edit_form(contest: Any) -> dict[str, Any]:
    preset = next((k for k, v in TIE_BREAK_PRESETS.items() if v == list(contest.tie_break)), "default")
    return {"title": contest.title, "rules_text": contest.rules_text, "tie_break": preset, "study_draw": contest.study_draw}


@router.get("/contests/{contest_id}/edit", response_class=HTMLResponse)
def contest_edit(request: Request, contest_id: int, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    contest = contests.get_contest(session=session, actor=actor, contest_id=contest_id)
    return render(request, "pages/contests/edit.html", {"actor": actor, "contest": contest, "form": _edit_form(contest), "errors": {}})


@router.post("/contests/{contest_id}/edit", response_class=HTMLResponse)
def contest_save(request: Request, contest_id: int, actor: PageOrganiser, session: SessionDep, form: FormDep) -> Response:
    try:
        contests.update_contest(
            session=session,
            actor=actor,
            contest_id=contest_id,
            data=ContestUpdate(
                title=form.get("title") or "",
                rules_text=form.get("rules_text") or "",
                tie_break=TIE_BREAK_PRESETS.get(form.get("tie_break") or "default"),
                study_draw=bool(form.get("study_draw")),
            ),
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        contest = contests.get_contest(session=session, actor=actor, contest_id=contest_id)
        return render(
            request,
            "pages/contests/edit.html",
            {"actor": actor, "contest": contest, "form": form, "errors": errors, "error": message},
            status_code=exc.status_code,
        )
    return redirect(f"/contests/{contest_id}")


@router.post("/contests/{contest_id}/publish", response_class=HTMLResponse)
def contest_publish(request: Request, contest_id: int, actor: PageOrganiser, session: SessionDep) -> Response:
    try:
        contests.publish_contest(session=session, actor=actor, contest_id=contest_id)
    except AppError as exc:
        message, _ = form_failure(session, request, exc)
        contest = contests.get_contest(session=session, actor=actor, contest_id=contest_id)
        return render(
            request,
            "pages/contests/detail.html",
            {
                "actor": actor,
                "c": contests.contest_public(session=session, contest=contest),
                "error": message,
                "share_url": sharing.contest_url(public_base_url(request), contest.slug),
                "rules_html": sharing.render_rules(contest.rules_text),
            },
            status_code=exc.status_code,
        )
    return redirect(f"/contests/{contest_id}")


# --- public --------------------------------------------------------------------------------------------
@router.get("/c/{slug}", response_class=HTMLResponse)
def public_contest(request: Request, slug: str, session: SessionDep) -> HTMLResponse:
    contest, unit = contests.get_public(session=session, slug=slug)
    public = contests.contest_public(session=session, contest=contest)
    url = sharing.contest_url(public_base_url(request), contest.slug)
    return render(
        request,
        "pages/contests/public.html",
        {
            "c": public,
            "unit": unit,
            "share_url": url,
            "rules_html": sharing.render_rules(contest.rules_text),
            "description": " ".join(public.rules_summary[:2])[:200],
        },
    )


@router.get("/c/{slug}/qr.{ext}")
def public_qr(request: Request, slug: str, ext: str, session: SessionDep) -> Response:
    contest, _unit = contests.get_public(session=session, slug=slug)
    return qr_response(request, sharing.contest_url(public_base_url(request), contest.slug), ext)


def _round_ctx(session: Session, actor: Actor, round_id: int, **extra: Any) -> dict[str, Any]:
    round_, contest = contests.get_round(session=session, actor=actor, round_id=round_id)
    ids = contests.question_ids_of(session=session, round_ids=[round_id])[round_id]
    r = contests.round_public(round_, contest, ids)
    form: dict[str, Any] = {
        "title": r.title,
        "opens_at": r.opens_at.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": r.closes_at.strftime("%Y-%m-%dT%H:%M"),
        "time_limit_min": r.time_limit_s // 60,
        "attempts_allowed": r.attempts_allowed,
        "cooldown_min": r.cooldown_s // 60,
        "points": r.points_per_question,
        "counted_attempt": r.counted_attempt,
        "results_visibility": r.results_visibility,
        "shuffle_questions": r.shuffle_questions,
        "shuffle_options": r.shuffle_options,
        "source": "fixed" if ids else "draw",
        "question_ids": [str(i) for i in ids],
        "draw_topic_id": [str(d.topic_id) for d in r.draw],
        "draw_difficulty": [d.difficulty or "" for d in r.draw],
        "draw_count": [str(d.count) for d in r.draw],
        "prediction_kind": round_.prediction_kind or "",
        "prediction_prompt": round_.prediction_prompt,
        "prediction_lock_first": round_.prediction_lock_first,
    }
    return {
        "actor": actor,
        "contest": contest,
        "r": r,
        "round": round_,
        "form": form,
        "errors": {},
        "opened": rounds.round_is_open(round_, contest),
        "form_for": form,
        **extra,
    }


@router.get("/contests/rounds/{round_id}", response_class=HTMLResponse)
def round_edit(request: Request, round_id: int, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    ctx = _round_ctx(session, actor, round_id)
    return render(request, "pages/contests/round.html", {**ctx, **source_ctx(session, actor, ctx["form"])})


@router.post("/contests/rounds/{round_id}", response_class=HTMLResponse)
def round_update(request: Request, round_id: int, actor: PageOrganiser, session: SessionDep, form: FormDep) -> Response:
    try:
        # a locked (disabled) part of the form is not posted, and what is not posted does not change
        extra: dict[str, Any] = {}
        if "source" in form:
            extra["draw"], extra["question_ids"] = source_from_form(form)
        if "prediction_kind" in form:
            extra["prediction"] = prediction_from_form(form)
        round_ = rounds.update_round(
            session=session,
            actor=actor,
            round_id=round_id,
            data=RoundUpdate(
                title=form.get("title"),
                opens_at=form_time(form.get("opens_at")),
                closes_at=form_time(form.get("closes_at")),
                time_limit_s=form_int(form, "time_limit_min", 15) * 60,
                attempts_allowed=form_int(form, "attempts_allowed", 1),
                cooldown_s=form_int(form, "cooldown_min", 0) * 60,
                points_per_question=form_int(form, "points", 1),
                counted_attempt=form.get("counted_attempt"),
                results_visibility=form.get("results_visibility"),
                shuffle_questions=bool(form.get("shuffle_questions")),
                shuffle_options=bool(form.get("shuffle_options")),
                **extra,
            ),
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        ctx = _round_ctx(session, actor, round_id, error=message, errors=errors)
        ctx["form"] = {**ctx["form"], **form}
        return render(request, "pages/contests/round.html", {**ctx, **source_ctx(session, actor, ctx["form"])}, status_code=exc.status_code)
    return redirect(f"/contests/{round_.contest_id}")


@router.get("/contests/rounds/{round_id}/preview", response_class=HTMLResponse)
def round_preview(request: Request, round_id: int, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    """ "Xem như thí sinh": the rules and a sample draw as a member sees them; nothing is recorded."""
    round_, contest = contests.get_round(session=session, actor=actor, round_id=round_id)
    return render(
        request,
        "pages/contests/preview.html",
        {
            "actor": actor,
            "round": round_,
            "contest": contest,
            "c": contests.contest_public(session=session, contest=contest),
            "rules_html": sharing.render_rules(contest.rules_text),
            "questions": drawing.sample(session=session, round_=round_),
        },
    )


@router.post("/contests/rounds/{round_id}/close")
def round_close(round_id: int, actor: PageOrganiser, session: SessionDep) -> RedirectResponse:
    """End the round now (before its closing time), the same close the sweep does at closes_at."""
    closing.close_round(session=session, actor=actor, round_id=round_id)
    return redirect(f"/contests/rounds/{round_id}#close-round")
