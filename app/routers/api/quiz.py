from __future__ import annotations

from fastapi import Request, Response

from app.deps import Caller, CurrentActor, CurrentCaller, Position, SessionDep, client_ip, get_actor, get_caller
from app.routers.base import API, direct, make_router
from app.services.quiz import attempts, saving, sheet, starting
from app.services.quiz.schemas import AnswerIn, AttemptOut, EventIn, PredictionValue, Saved, Submitted

router = make_router(tags=["quiz"])


@router.post(
    "/rounds/{round_id}/attempts",
    response_model=AttemptOut,
    status_code=201,
    responses={200: {"model": AttemptOut, "description": "The attempt already in progress, resumed"}},
)
def start_attempt(request: Request, round_id: int, actor: CurrentActor, session: SessionDep) -> Response:
    """201 and the new attempt, or 200 and the attempt already in progress (resumed). Answered with the JSON
    FastAPI would make of AttemptOut, so that the direct route (DIRECT) answers the same."""
    out, created = starting.start_public(
        session=session,
        actor=actor,
        round_id=round_id,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        cache=request.app.state.boards,
    )
    return Response(out, status_code=201 if created else 200, media_type="application/json")


@router.get("/attempts/{attempt_id}", response_model=AttemptOut)
def get_attempt(attempt_id: int, actor: CurrentActor, session: SessionDep) -> Response:
    """The owner, or a judge whose scope holds the member's unit."""
    attempt = attempts.get_readable(session=session, actor=actor, attempt_id=attempt_id)
    return Response(sheet.json_of(sheet.public_values(session=session, attempt=attempt)), media_type="application/json")


@router.put("/attempts/{attempt_id}/answers/{position}", response_model=Saved)
async def save_answer(request: Request, attempt_id: int, position: Position, data: AnswerIn, caller: CurrentCaller) -> Response:
    """The busiest endpoint (every tap of every member): in the usual case no thread hop and no member load
    (the tap's own read checks the session), saved with the other waiting taps in one transaction; anything
    unusual goes through the full service, in the thread pool, which explains it."""
    saved = await saving.save_tap_async(_saver(request, caller), attempt_id=attempt_id, position=position, option_ids=data.option_ids)
    return Response(Saved(saved_at=saved).model_dump_json(), media_type="application/json")


@router.put("/attempts/{attempt_id}/prediction", response_model=Saved)
async def save_prediction(request: Request, attempt_id: int, data: PredictionValue, actor: CurrentActor) -> Saved:
    """Saved as a tap is (save_answer above), for the caller as get_actor checks them (a member who must first
    choose a new password is sent to do that, as before)."""
    state = request.app.state
    saver = saving.Saver.checked(state.engine, state.taps, actor)
    return Saved(saved_at=await saving.save_prediction_async(saver, attempt_id=attempt_id, value=data.value))


def _saver(request: Request, caller: Caller) -> saving.Saver:
    """The token was checked on the event loop; its member is loaded only if the long way needs it."""
    state = request.app.state
    return saving.Saver(state.engine, state.taps, caller.claims.member_id, caller.claims.token_version, caller.actor_now)


@router.post("/attempts/{attempt_id}/submit", response_model=Submitted, response_model_exclude_none=True)
def submit(attempt_id: int, actor: CurrentActor, session: SessionDep) -> Submitted:
    attempt = attempts.submit(session=session, actor=actor, attempt_id=attempt_id)
    assert attempt.id is not None
    out = Submitted(id=attempt.id, status=attempt.status, submitted_at=attempt.submitted_at)
    if attempts.score_visible(session=session, attempt=attempt):
        out.score, out.correct_count = attempt.score, attempt.correct_count
    return out


@router.post("/attempts/{attempt_id}/events", status_code=204)
def page_event(attempt_id: int, data: EventIn, actor: CurrentActor, session: SessionDep) -> Response:
    """The app was hidden or shown again: a soft signal kept for the judges."""
    attempts.record_event(session=session, actor=actor, attempt_id=attempt_id, kind=data.kind)
    return Response(status_code=204)


# the two requests of a start storm and of every tap from an app (routers.base.direct)
DIRECT = [
    direct(API + "/rounds/{round_id:row_id}/attempts", start_attempt, method="POST", session=True, actor=get_actor),
    direct(
        API + "/attempts/{attempt_id:row_id}/answers/{position:position}",
        save_answer,
        method="PUT",
        body=("data", AnswerIn),
        caller=get_caller,
    ),
]
