"""The judges' pages: the rounds they judge, a round's standings with filters and flags, one attempt in full
with the disqualify / reinstate form, prizes (rules, the allocation shown, confirmation), the seal and the
result files. Rules in app.services.results.judging, prizes, sealing and results."""

from __future__ import annotations

from collections.abc import Callable
from math import ceil
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from app.deps import PageJudge, SessionDep
from app.errors import N_, AppError, Invalid
from app.models.results import FlagKind
from app.routers.base import download, make_router
from app.routers.pages.common import FormDep, form_failure, redirect
from app.services.org import units
from app.services.org.access import Actor
from app.services.results import auditing, contest_results, judging, prizes, results, sealing, standings
from app.templating import render, request_locale, translate

router = make_router()
PER_PAGE = 50
FLAG_LABELS = {
    FlagKind.too_fast: N_("Làm quá nhanh"),
    FlagKind.shared_ip: N_("Chung địa chỉ IP"),
    FlagKind.duplicate_identity: N_("Nghi trùng người"),
    FlagKind.identical_answers: N_("Đáp án giống hệt"),
}
FLAG_KINDS = tuple(FLAG_LABELS)
MAX_NUMBER = 1_000_000
DONE = ("disqualified", "reinstated", "disqualified-member", "reinstated-member")


def _flag_label(request: Request) -> Callable[[str], str]:
    return lambda kind: translate(request, FLAG_LABELS.get(kind, kind))


def _int(value: Any) -> int | None:
    """A number typed into a filter, kept within what a score or a page can be (2^70 was a 500)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return max(-MAX_NUMBER, min(MAX_NUMBER, number))


@router.get("/judging", response_class=HTMLResponse)
def judging_home(request: Request, actor: PageJudge, session: SessionDep) -> HTMLResponse:
    by_contest: dict[int, tuple[Any, list[Any]]] = {}
    for r, c in judging.rounds_for(session=session, actor=actor):
        assert c.id is not None
        by_contest.setdefault(c.id, (c, []))[1].append(r)
    return render(request, "pages/results/judging/rounds.html", {"actor": actor, "contests": list(by_contest.values())})


def _round_ctx(request: Request, session: Any, actor: Actor, round_id: int, **extra: Any) -> dict[str, Any]:
    q = request.query_params
    unit_code = q.get("unit_code") or None
    judged = judging.judge_round(session=session, actor=actor, round_id=round_id, unit_code=unit_code)
    flag = q.get("flag") if q.get("flag") in FLAG_KINDS else None
    page = max(_int(q.get("page")) or 1, 1)  # at most MAX_NUMBER: an OFFSET that fits
    min_score, max_score = _int(q.get("min_score")), _int(q.get("max_score"))
    total, rows = judging.board(
        session=session, judged=judged, min_score=min_score, max_score=max_score, flag=flag, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    counts = judging.flag_counts(session=session, judged=judged)
    filters = {
        k: v for k, v in (("unit_code", unit_code), ("flag", flag), ("min_score", min_score), ("max_score", max_score)) if v is not None
    }
    return {
        "actor": actor,
        "j": judged,
        "round": judged.round,
        "contest": judged.contest,
        "rows": rows,
        "total": total,
        "totals": standings.round_totals(session=session, round_=judged.round, cache=request.app.state.boards),
        "units": units.in_subtree(session=session, unit=judging.reach_unit(session=session, actor=actor, judged=judged)),
        "page": page,
        "pages": max(1, ceil(total / PER_PAGE)),
        "filters": filters,
        "query": urlencode(filters),
        "flag_counts": counts,
        "flag_kinds": FLAG_KINDS,
        "out": judging.disqualified(session=session, judged=judged),
        "query_without_flag": urlencode({k: v for k, v in filters.items() if k != "flag"}),
        "flag_label": _flag_label(request),
        "contest_rounds_closed": len(contest_results.closed_rounds(session=session, contest=judged.contest)),
        **extra,
    }


@router.get("/judging/rounds/{round_id}", response_class=HTMLResponse)
def judging_round(request: Request, round_id: int, actor: PageJudge, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/results/judging/round.html", _round_ctx(request, session, actor, round_id))


@router.post("/judging/rounds/{round_id}/flags")
def judging_flags(round_id: int, actor: PageJudge, session: SessionDep) -> RedirectResponse:
    judging.recompute_flags(session=session, actor=actor, round_id=round_id)
    return redirect(f"/judging/rounds/{round_id}#flags")


@router.post("/judging/rounds/{round_id}/seal", response_class=HTMLResponse)
def judging_seal(request: Request, round_id: int, actor: PageJudge, session: SessionDep, form: FormDep) -> Response:
    try:
        if form.get("confirm") != "yes":
            raise Invalid(N_("Hãy đánh dấu ô xác nhận trước khi niêm phong."), field="confirm")
        sealing.seal(session=session, actor=actor, round_id=round_id)
    except AppError as exc:
        message, _ = form_failure(session, request, exc)
        return render(
            request,
            "pages/results/judging/round.html",
            _round_ctx(request, session, actor, round_id, error=message),
            status_code=exc.status_code,
        )
    return redirect(f"/judging/rounds/{round_id}#seal")


@router.get("/judging/rounds/{round_id}/export.{fmt}")
def judging_export(
    request: Request, round_id: int, fmt: str, actor: PageJudge, session: SessionDep, unit_code: str | None = None, part: str = "ranking"
) -> FileResponse:
    return download(
        results.export_round(
            session=session, actor=actor, round_id=round_id, fmt=fmt, unit_code=unit_code or None, part=part, locale=request_locale(request)
        )
    )


@router.get("/judging/contests/{contest_id}/export.{fmt}")
def judging_contest_export(
    request: Request, contest_id: int, fmt: str, actor: PageJudge, session: SessionDep, unit_code: str | None = None
) -> FileResponse:
    return download(
        contest_results.export_contest(
            session=session, actor=actor, contest_id=contest_id, fmt=fmt, unit_code=unit_code or None, locale=request_locale(request)
        )
    )


# --- one attempt -----------------------------------------------------------------------------------------
@router.get("/judging/attempts/{attempt_id}", response_class=HTMLResponse)
def judging_attempt(request: Request, attempt_id: int, actor: PageJudge, session: SessionDep) -> HTMLResponse:
    view = auditing.attempt_audit(session=session, actor=actor, attempt_id=attempt_id)
    done = request.query_params.get("done")
    return render(request, "pages/results/judging/attempt.html", _attempt_ctx(actor, view, done=done if done in DONE else None))


def _attempt_ctx(actor: Actor, view: auditing.AttemptAudit, **extra: Any) -> dict[str, Any]:
    return {"actor": actor, "v": view, "a": view.attempt, **extra}


@router.post("/judging/attempts/{attempt_id}/decision", response_class=HTMLResponse)
def judging_decision(request: Request, attempt_id: int, actor: PageJudge, session: SessionDep, form: FormDep) -> Response:
    whole_member = form.get("scope") == "member"
    try:
        if form.get("confirm") != "yes" and (form.get("reason") or "").strip():  # a missing reason is said first
            raise Invalid(N_("Hãy đánh dấu ô xác nhận trước khi quyết định."), field="confirm")
        if whole_member:
            view = auditing.attempt_audit(session=session, actor=actor, attempt_id=attempt_id)
            judging.set_member_disqualified(
                session=session,
                actor=actor,
                round_id=view.attempt.round_id,
                member_id=view.attempt.member_id,
                disqualified=form.get("action") != "reinstate",
                reason=form.get("reason"),
            )
        else:
            judging.set_disqualified(
                session=session,
                actor=actor,
                attempt_id=attempt_id,
                disqualified=form.get("action") != "reinstate",
                reason=form.get("reason"),
            )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        view = auditing.attempt_audit(session=session, actor=actor, attempt_id=attempt_id)
        return render(
            request,
            "pages/results/judging/attempt.html",
            _attempt_ctx(actor, view, error=message, errors=errors, reason=form.get("reason", "")),
            status_code=exc.status_code,
        )
    done = "reinstated" if form.get("action") == "reinstate" else "disqualified"
    return redirect(f"/judging/attempts/{attempt_id}?done={done}{'-member' if whole_member else ''}#decision")


# --- prizes ------------------------------------------------------------------------------------------------
def _tier_rows(form: dict[str, Any], prefix: str) -> list[prizes.TierIn]:
    out = []
    for i in range(1, prizes.MAX_TIERS + 1):
        name, count = (form.get(f"{prefix}name_{i}") or "").strip(), (form.get(f"{prefix}count_{i}") or "").strip()
        if name or count:
            out.append(prizes.TierIn(name=name, count=_int(count) or 0))
    return out


def _prizes_ctx(request: Request, session: Any, actor: Actor, round_id: int, **extra: Any) -> dict[str, Any]:
    judged, allocation = prizes.preview(session=session, actor=actor, round_id=round_id)
    r = judged.round
    form = {"cap": f"{r.prize_cap_share * 100:g}" if r.prize_cap_share else ""}
    for prefix, tiers in (("", r.prize_tiers), ("unit_", r.unit_prize_tiers)):
        for i, t in enumerate(tiers, start=1):
            form[f"{prefix}name_{i}"], form[f"{prefix}count_{i}"] = t["name"], t["count"]
    return {
        "actor": actor,
        "j": judged,
        "round": r,
        "contest": judged.contest,
        "alloc": allocation,
        "form": form,
        "notes": [translate(request, msg, **params) for msg, params in allocation.notes],
        "errors": {},
        **extra,
    }


@router.get("/judging/rounds/{round_id}/prizes", response_class=HTMLResponse)
def judging_prizes(request: Request, round_id: int, actor: PageJudge, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/results/judging/prizes.html", _prizes_ctx(request, session, actor, round_id))


@router.post("/judging/rounds/{round_id}/prizes", response_class=HTMLResponse)
def judging_prizes_save(request: Request, round_id: int, actor: PageJudge, session: SessionDep, form: FormDep) -> Response:
    try:
        cap = (form.get("cap") or "").replace(",", ".").strip()
        try:
            share = float(cap) / 100 if cap else None
        except ValueError:
            share = -1.0  # the service names the field
        prizes.set_rules(
            session=session,
            actor=actor,
            round_id=round_id,
            data=prizes.PrizeRulesIn(tiers=_tier_rows(form, ""), cap_share=share, unit_tiers=_tier_rows(form, "unit_")),
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        ctx = _prizes_ctx(request, session, actor, round_id, error=message, errors=errors)
        ctx["form"] = {**ctx["form"], **form}
        return render(request, "pages/results/judging/prizes.html", ctx, status_code=exc.status_code)
    return redirect(f"/judging/rounds/{round_id}/prizes")


@router.post("/judging/rounds/{round_id}/prizes/confirm", response_class=HTMLResponse)
def judging_prizes_confirm(request: Request, round_id: int, actor: PageJudge, session: SessionDep) -> Response:
    """Confirm the allocation shown on the page (the rules are saved first, so it is the one the judges saw)."""
    try:
        prizes.confirm(session=session, actor=actor, round_id=round_id)
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request,
            "pages/results/judging/prizes.html",
            _prizes_ctx(request, session, actor, round_id, error=message),
            status_code=exc.status_code,
        )
    return redirect(f"/judging/rounds/{round_id}/prizes")
