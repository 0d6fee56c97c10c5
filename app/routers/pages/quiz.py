"""Taking a round on a phone: start or resume, tap to save (htmx), or post the whole form without JS."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.deps import PageActor, SessionDep, client_ip
from app.errors import AppError
from app.models import Round
from app.routers.base import make_router
from app.routers.pages.bank import FormDep
from app.routers.pages.common import form_failure, redirect
from app.services import attempts
from app.templating import render

router = make_router()


@router.post("/rounds/{round_id}/start")
def start(request: Request, round_id: int, actor: PageActor, session: SessionDep):  # noqa: ANN201
    attempt, _created = attempts.start(session=session, actor=actor, round_id=round_id, ip=client_ip(request),
                                       user_agent=request.headers.get("user-agent"))
    return redirect(f"/attempts/{attempt.id}")


@router.get("/attempts/{attempt_id}", response_class=HTMLResponse)
def quiz(request: Request, attempt_id: int, actor: PageActor, session: SessionDep):  # noqa: ANN201
    attempt = attempts.get_own(session=session, actor=actor, attempt_id=attempt_id)
    if attempt.status != "in_progress":
        return redirect(f"/attempts/{attempt_id}/result")
    round_ = session.get(Round, attempt.round_id)
    return render(request, "pages/quiz/take.html", {
        "actor": actor, "a": attempts.public(session=session, attempt=attempt), "round": round_})


@router.post("/attempts/{attempt_id}/answer/{position}", response_class=HTMLResponse)
def save_one(request: Request, attempt_id: int, position: int, actor: PageActor, session: SessionDep,
             form: FormDep):  # noqa: ANN201
    """htmx: one question's choice, saved at once; the fragment says so (or why not)."""
    chosen = form.get(f"q{position}")
    option_ids = chosen if isinstance(chosen, list) else [chosen] if chosen else []
    try:
        saved_at = attempts.save_answer(session=session, actor=actor, attempt_id=attempt_id, position=position,
                                        option_ids=option_ids)
    except AppError as exc:
        message, _ = form_failure(session, request, exc)
        return render(request, "partials/quiz/saved.html", {"ok": False, "message": message},
                      status_code=exc.status_code)
    return render(request, "partials/quiz/saved.html", {"ok": True, "saved_at": saved_at})


@router.post("/attempts/{attempt_id}", response_class=HTMLResponse)
def save_all(request: Request, attempt_id: int, actor: PageActor, session: SessionDep, form: FormDep):  # noqa: ANN201
    """Without JavaScript the whole form comes at once: save every answer (and the prediction), then
    submit if that button was pressed."""
    attempt = attempts.get_own(session=session, actor=actor, attempt_id=attempt_id)
    public = attempts.public(session=session, attempt=attempt)
    try:
        for q in public.questions:
            chosen = form.get(f"q{q.position}")
            if chosen:
                attempts.save_answer(session=session, actor=actor, attempt_id=attempt_id, position=q.position,
                                     option_ids=chosen if isinstance(chosen, list) else [chosen])
        if (form.get("prediction") or "").strip():
            attempts.save_prediction(session=session, actor=actor, attempt_id=attempt_id,
                                     value=int(form["prediction"]) if form["prediction"].strip().isdigit() else -1)
        if form.get("submit"):
            attempts.submit(session=session, actor=actor, attempt_id=attempt_id)
            return redirect(f"/attempts/{attempt_id}/result")
    except AppError as exc:
        message, _ = form_failure(session, request, exc)
        round_ = session.get(Round, attempt.round_id)
        return render(request, "pages/quiz/take.html", {
            "actor": actor, "a": attempts.public(session=session, attempt=attempt), "round": round_,
            "error": message}, status_code=exc.status_code)
    return redirect(f"/attempts/{attempt_id}")


@router.get("/attempts/{attempt_id}/result", response_class=HTMLResponse)
def result(request: Request, attempt_id: int, actor: PageActor, session: SessionDep):  # noqa: ANN201
    attempt = attempts.get_own(session=session, actor=actor, attempt_id=attempt_id)
    visible = attempts.score_visible(session=session, attempt=attempt)
    round_ = session.get(Round, attempt.round_id)
    return render(request, "pages/quiz/result.html", {"actor": actor, "attempt": attempt, "visible": visible,
                                                      "round": round_})
