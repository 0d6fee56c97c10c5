from __future__ import annotations

from fastapi import Request, Response

from app.deps import CurrentActor, SessionDep, client_ip
from app.models.attempt import AttemptOut
from app.routers.base import make_router
from app.services import attempts

router = make_router(tags=["attempts"])


@router.post("/rounds/{round_id}/attempts", response_model=AttemptOut, status_code=201)
def start_attempt(request: Request, response: Response, round_id: int, actor: CurrentActor,
                  session: SessionDep) -> AttemptOut:
    attempt, created = attempts.start(session=session, actor=actor, round_id=round_id, ip=client_ip(request),
                                      user_agent=request.headers.get("user-agent"))
    if not created:
        response.status_code = 200  # the attempt already in progress, resumed
    return attempts.public(session=session, attempt=attempt)


@router.get("/attempts/{attempt_id}", response_model=AttemptOut)
def get_attempt(attempt_id: int, actor: CurrentActor, session: SessionDep) -> AttemptOut:
    attempt = attempts.get_own(session=session, actor=actor, attempt_id=attempt_id)
    return attempts.public(session=session, attempt=attempt)
