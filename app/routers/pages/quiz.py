"""Taking a round on a phone: start or resume, tap to save (htmx), or post the whole form without JS; review
what is unanswered, submit, see the result the round's visibility rule allows."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import escape
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.db import NeedsDatabase
from app.deps import CurrentCaller, PageActor, Position, SessionDep, client_ip, get_caller, get_page_actor, page_actor
from app.errors import N_, AppError, Conflict, Invalid, TooManyRequests
from app.i18n import number
from app.models import Attempt, Round
from app.models.quiz import AttemptStatus
from app.models.types import utcnow
from app.routers.base import direct, make_router
from app.routers.pages.common import FormDep, form_failure, nav_roles, on_loop_or_pool, redirect
from app.services.org.access import Actor
from app.services.quiz import attempts, member_rounds, rules, saving, sheet, starting
from app.services.quiz import review as attempt_review
from app.services.results import share
from app.shared_page import escape_all
from app.templating import local_time, mmss, piece, render, render_filled, render_fragment, render_shared, request_locale, translate

router = make_router()


def _chosen(posted: Any) -> list[str]:
    """The options posted for one question (one value or a list): the page tap's and the whole form's alike.
    Checkbox questions carry an empty hidden field, dropped here, so unticking every box clears the answer."""
    return [v for v in (posted if isinstance(posted, list) else [posted]) if isinstance(v, str) and v]


def _prediction(text: str) -> int:
    text = text.strip().replace(".", "").replace(",", "").replace(" ", "")
    if not text.isdigit():
        raise Invalid(N_("Dự đoán phải là một số nguyên không âm."), field="prediction")
    return int(text)


def _take_page(
    request: Request,
    actor: Actor,
    session: Session,
    attempt: Attempt,
    *,
    error: str | None = None,
    status_code: int = 200,
    reads: Connection | None = None,
    read: sheet.Sheet | None = None,
) -> HTMLResponse:
    """The quiz page: shared by every attempt of the round but for the attempt's own parts (holes), which are
    filled from pieces; the round's title and prediction settings come from its offer. `read`: the attempt's sheet,
    when read with it (attempts.own_sheet)."""
    read = read or sheet.sheet(session=session, attempt=attempt, reads=reads)
    offer = attempts.round_offer(session, attempt.round_id, request.app.state.boards)
    assert offer is not None
    round_ = offer[0]
    remaining = sheet.remaining_s(attempt, utcnow())
    own = {
        "attempt": str(attempt.id),
        "answered": str(sum(1 for ids in read.answers.values() if ids)),
        "total": str(len(read.questions)),
        "remaining": str(remaining),
        "left": mmss(remaining),
        "alerts": _alerts(request, error),
        "prediction": _prediction_part(request, session, attempt, round_, reads) if round_.prediction_kind else "",
    }
    own["links"], own["cards"] = _questions(request, attempt, read)
    return render_shared(
        request,
        "pages/quiz/take.html",
        cache=request.app.state.boards,
        key=("take", nav_roles(actor)),
        path=f"/rounds/{attempt.round_id}/take",
        context=lambda: {"actor": actor, "round": round_},
        fills=lambda: own,
        status_code=status_code,
    )


def _alerts(request: Request, error: str | None) -> str:
    alerts = [piece(request, _PARTS, part="error").fill({"message": escape(error)})] if error else []
    if request.query_params.get("saved"):
        alerts.append(piece(request, _PARTS, part="saved").fill({}))
    return "".join(alerts)


def _prediction_part(request: Request, session: Session, attempt: Attempt, round_: Round, reads: Connection | None) -> str:
    """The prediction's field, or the value locked by the member's first submitted attempt (the round's rule)."""
    locked = attempts.locked_prediction(session=session, attempt=attempt, reads=reads) if round_.prediction_lock_first else None
    if locked is not None:
        return piece(request, _PARTS, part="prediction_locked").fill({"value": escape(number(locked, request_locale(request)))})
    saved = piece(request, _QUESTION, part="saved").fill({}) if attempt.prediction is not None else ""
    value = "" if attempt.prediction is None else str(attempt.prediction)
    return piece(request, _PARTS, part="prediction_open").fill({"attempt": str(attempt.id), "value": value, "saved": saved})


_QUESTION, _PARTS = "partials/quiz/question.html", "partials/quiz/take_parts.html"


def _questions(request: Request, attempt: Attempt, read: sheet.Sheet) -> tuple[str, str]:
    """The quiz page's grid of question links and its question cards, filled from pieces rendered once
    (templating.piece). The texts and option ids go in escaped here, as the template would escape them."""
    link, saved = piece(request, _QUESTION, part="link"), piece(request, _QUESTION, part="saved").fill({})
    kinds = {q.kind for q in read.questions}
    card_of = {k: piece(request, _QUESTION, part="card", kind=k) for k in kinds}
    option_of = {k: piece(request, _QUESTION, part="option", kind=k) for k in kinds}
    total, attempt_id = str(len(read.questions)), str(attempt.id)
    texts = []  # each question's text, then each of its options' id and text
    for q in read.questions:
        texts.append(q.text)
        for o in q.options:
            texts += (o["id"], o["text"])
    escaped = iter(escape_all(texts))
    links, cards = [], []
    for q in read.questions:
        n, chosen, option = str(q.position), read.answers.get(q.position) or [], option_of[q.kind]
        links.append(link.fill({"n": n, "done": ' class="done"' if chosen else ""}))
        text, options = next(escaped), []
        for o in q.options:
            oid, label = next(escaped), next(escaped)
            options.append(option.fill({"n": n, "id": oid, "checked": " checked" if o["id"] in chosen else "", "label": label}))
        card = {"n": n, "total": total, "attempt": attempt_id, "text": text, "options": "".join(options), "saved": saved if chosen else ""}
        cards.append(card_of[q.kind].fill(card))
    return "".join(links), "".join(cards)


def _enter_page(
    request: Request,
    actor: Actor,
    session: Session,
    round_id: int,
    error: str | None = None,
    status_code: int = 200,
    reads: Connection | None = None,
) -> HTMLResponse:
    cache = request.app.state.boards
    card = member_rounds.card_for(session=session, actor=actor, round_id=round_id, cache=cache, reads=reads)

    def shared() -> dict[str, Any]:
        contest, rules_html = member_rounds.rules_page_part(
            session=session, contest=card.contest, locale=request_locale(request), cache=cache
        )
        return {"actor": actor, "r": card.round, "contest_title": card.contest.title, "c": contest, "rules_html": rules_html}

    def own(part: str) -> str:
        return render_fragment(request, "partials/quiz/enter_own.html", {"part": part, "card": card, "error": error}, own=True)

    # the same for every member of the round but for their own state: rendered once per round, roles and language
    return render_shared(
        request,
        "pages/quiz/enter.html",
        cache=cache,
        key=("enter", nav_roles(actor)),
        context=shared,
        fills=lambda: {"state": own("state"), "start": own("start")},
        status_code=status_code,
    )


@router.get("/rounds/{round_id}/enter", response_class=HTMLResponse)
async def enter(request: Request, round_id: int, caller: CurrentCaller) -> Response:
    """The round's rules and its start step: the timer starts only with "Bắt đầu làm bài"."""
    return await on_loop_or_pool(
        request, lambda session, reads: _enter_page(request, page_actor(caller.actor_with(session)), session, round_id, reads=reads)
    )


@router.post("/rounds/{round_id}/start")
def start(request: Request, round_id: int, actor: PageActor, session: SessionDep) -> Response:
    try:
        attempt, _created = starting.start(
            session=session,
            actor=actor,
            round_id=round_id,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            cache=request.app.state.boards,
        )
    except (Conflict, TooManyRequests) as exc:  # no attempt left, a wait, a closed round: say so on the rules page
        message, _ = form_failure(session, request, exc)
        return _enter_page(request, actor, session, round_id, error=message, status_code=exc.status_code)
    return redirect(f"/attempts/{attempt.id}")


@router.get("/attempts/{attempt_id}", response_class=HTMLResponse)
async def take(request: Request, attempt_id: int, caller: CurrentCaller) -> Response:
    """The quiz page, opened once an attempt starts and again on every reload: made like the rules page."""

    def page(session: Session, reads: Connection | None) -> Response:
        actor = page_actor(caller.actor_with(session))
        attempt, read = attempts.own_sheet(session=session, actor=actor, attempt_id=attempt_id, reads=reads)
        if attempt.status != AttemptStatus.in_progress:
            return redirect(f"/attempts/{attempt_id}/result")
        return _take_page(request, actor, session, attempt, reads=reads, read=read)

    return await on_loop_or_pool(request, page)


def _saved_ok(request: Request, saved_at: datetime) -> HTMLResponse:
    """What a save answers under its field: "✓ Đã lưu 14:05:09"."""
    return render_filled(request, "partials/quiz/saved_ok.html", {"time": local_time(request, saved_at, "%H:%M:%S")})


@router.post("/attempts/{attempt_id}/answer/{position}", response_class=HTMLResponse)
async def save_one(request: Request, attempt_id: int, position: Position, actor: PageActor) -> HTMLResponse:
    """htmx: one question's choice, saved at once, the same way as the API's (saving.save_tap_async). The
    form is read here, not through FormDep: every tap of every member comes through (see also DIRECT)."""
    form = await request.form()
    try:
        saved_at = await saving.save_tap_async(
            _saver(request, actor), attempt_id=attempt_id, position=position, option_ids=_chosen(form.getlist(f"q{position}"))
        )
    except AppError as exc:  # save_tap's own unit of work has already rolled back
        return _not_saved(request, exc)
    return _saved_ok(request, saved_at)


def _saver(request: Request, actor: Actor) -> saving.Saver:
    """The page's actor has had its session checked (PageActor): the tap writer need not check it again."""
    return saving.Saver.checked(request.app.state.engine, request.app.state.taps, actor)


def _not_saved(request: Request, exc: AppError) -> HTMLResponse:
    return render(
        request, "partials/quiz/saved.html", {"message": translate(request, exc.message, **exc.params)}, status_code=exc.status_code
    )


@router.post("/attempts/{attempt_id}/prediction", response_class=HTMLResponse)
async def save_prediction(request: Request, attempt_id: int, actor: PageActor) -> HTMLResponse:
    """htmx: the prediction, saved as soon as the field changes, the way a tap is (save_one)."""
    form = await request.form()
    try:
        saved_at = await saving.save_prediction_async(
            _saver(request, actor), attempt_id=attempt_id, value=_prediction(str(form.get("prediction") or ""))
        )
    except AppError as exc:
        return _not_saved(request, exc)
    return _saved_ok(request, saved_at)


@router.post("/attempts/{attempt_id}/events", status_code=204)
def page_event(attempt_id: int, actor: PageActor, session: SessionDep, form: FormDep) -> Response:
    """navigator.sendBeacon from the page: hidden / shown again. Nothing to show, so no body."""
    attempts.record_event(session=session, actor=actor, attempt_id=attempt_id, kind=str(form.get("kind") or ""))
    return Response(status_code=204)


@router.post("/attempts/{attempt_id}", response_class=HTMLResponse)
def save_all(request: Request, attempt_id: int, actor: PageActor, session: SessionDep, form: FormDep) -> Response:
    """Without JavaScript the whole form comes at once: save every answer and the prediction, then go to
    the review step (or back to the questions). A bad field does not undo the others."""
    attempt = attempts.get_own(session=session, actor=actor, attempt_id=attempt_id, grace=True)
    if attempt.status != AttemptStatus.in_progress:
        return redirect(f"/attempts/{attempt_id}/result")
    answers = {int(key[1:]): _chosen(form[key]) for key in form if re.fullmatch(r"q\d{1,4}", key)}
    problems: list[str] = []
    try:
        for position, exc in attempts.save_answers(session=session, actor=actor, attempt_id=attempt_id, answers=answers).items():
            problems.append(translate(request, N_("Câu {n}:"), n=position) + " " + translate(request, exc.message, **exc.params))
    except Conflict as exc:  # time is up: what was saved before stands, the attempt is finalised below
        problems.append(translate(request, exc.message, **exc.params))
    if (form.get("prediction") or "").strip():
        try:
            attempts.save_prediction(session=session, actor=actor, attempt_id=attempt_id, value=_prediction(form["prediction"]))
        except AppError as exc:
            problems.append(translate(request, exc.message, **exc.params))
    attempt = attempts.get_own(session=session, actor=actor, attempt_id=attempt_id)
    if attempt.status != AttemptStatus.in_progress:
        return redirect(f"/attempts/{attempt_id}/result")
    if problems:
        return _take_page(request, actor, session, attempt, error=" ".join(problems), status_code=422)
    if form.get("review"):
        return redirect(f"/attempts/{attempt_id}/review")
    return redirect(f"/attempts/{attempt_id}?saved=1")


@router.get("/attempts/{attempt_id}/review", response_class=HTMLResponse)
def review_before_submit(request: Request, attempt_id: int, actor: PageActor, session: SessionDep) -> Response:
    attempt = attempts.get_own(session=session, actor=actor, attempt_id=attempt_id)
    if attempt.status != AttemptStatus.in_progress:
        return redirect(f"/attempts/{attempt_id}/result")
    a = sheet.public(session=session, attempt=attempt)
    return render(
        request,
        "pages/quiz/review.html",
        {
            "actor": actor,
            "a": a,
            "round": session.get(Round, attempt.round_id),
            "unanswered": attempt_review.unanswered(session=session, attempt=attempt),
        },
    )


@router.post("/attempts/{attempt_id}/submit")
def submit(attempt_id: int, actor: PageActor, session: SessionDep) -> RedirectResponse:
    attempts.submit(session=session, actor=actor, attempt_id=attempt_id)
    return redirect(f"/attempts/{attempt_id}/result")


def _share_url(request: Request, attempt: Attempt, visible: bool) -> str | None:
    """The link to the member's result card, once the round's scores may be seen."""
    if not visible:
        return None
    return "/r/" + share.code_for(round_id=attempt.round_id, member_id=attempt.member_id, secret=request.app.state.secret)


@router.get("/attempts/{attempt_id}/result", response_class=HTMLResponse)
async def result(request: Request, attempt_id: int, caller: CurrentCaller) -> Response:
    """The page after a submit: made like the rules page while the round's scores are hidden."""
    return await on_loop_or_pool(
        request, lambda session, reads: _result(request, page_actor(caller.actor_with(session)), session, reads, attempt_id)
    )


def _result(request: Request, actor: Actor, session: Session, reads: Connection | None, attempt_id: int) -> Response:
    # attempts left and the start button: the round's offer as the rules page reads it (kept a few seconds)
    attempt, card = member_rounds.card_of_attempt(
        session=session, actor=actor, attempt_id=attempt_id, cache=request.app.state.boards, reads=reads
    )
    if attempt.status == AttemptStatus.in_progress:
        return redirect(f"/attempts/{attempt_id}")
    if reads is not None:
        # the round kept a few seconds may hide the scores, never show them (nor the key): its closing
        # time may have moved, its results been made to wait. Once they may be seen, from the database.
        if rules.results_shown(card.round, card.now):
            raise NeedsDatabase("scores to show")
        round_, visible = card.round, False
    else:
        fresh = session.get(Round, attempt.round_id)
        assert fresh is not None
        round_, visible = fresh, rules.results_shown(fresh, card.now)  # the attempt is finished: the round's rule
    own = {
        "attempt": attempt,
        "round": round_,
        "visible": visible,
        "share_url": _share_url(request, attempt, visible),
        "items": attempt_review.review(session=session, attempt=attempt) if visible else [],
        "history": attempt_review.history(card, shown=visible),
        "left": card.left,
        "again": card.can_start,
    }
    # the same for every member of the round but for their own part: rendered once per round, roles and language
    return render_shared(
        request,
        "pages/quiz/result.html",
        cache=request.app.state.boards,
        key=("result", nav_roles(actor)),
        path=f"/rounds/{round_.id}/result",
        context=lambda: {"actor": actor, "round": round_},
        fills=lambda: {"own": render_fragment(request, "partials/quiz/result_own.html", own, own=True)},
    )


# What every member asks for when a round opens, called without FastAPI's route search and dependency solving
# (routers.base.direct): all but the boards of a journey's 33 requests, 25 of them the taps and the prediction.
DIRECT = [
    direct("/attempts/{attempt_id:row_id}/answer/{position:position}", save_one, method="POST", actor=get_page_actor),
    direct("/attempts/{attempt_id:row_id}/prediction", save_prediction, method="POST", actor=get_page_actor),
    direct("/rounds/{round_id:row_id}/enter", enter, caller=get_caller),
    direct("/rounds/{round_id:row_id}/start", start, method="POST", session=True, actor=get_page_actor),
    direct("/attempts/{attempt_id:row_id}", take, caller=get_caller),
    direct("/attempts/{attempt_id:row_id}/submit", submit, method="POST", session=True, actor=get_page_actor),
    direct("/attempts/{attempt_id:row_id}/result", result, caller=get_caller),
]
