"""Who has not taken part, and the reminders to them (Web Push subscriptions and sends)."""

from __future__ import annotations

from fastapi import Query, Request, Response
from sqlmodel import Session

from app.db_loop import from_memory_or_database
from app.deps import CurrentActor, Offset, SessionDep
from app.models import ReminderSend, Unit
from app.routers.api.results.boards import cached_json
from app.routers.base import make_router, start_reminder
from app.services.results import (
    board_cache,
    participation,
    reminders,
)
from app.services.results.board_cache import BoardCache
from app.services.results.schemas import (
    MissingRow,
    Participation,
    PushKeyOut,
    PushSubscriptionIn,
    ReminderIn,
    ReminderOut,
    RoundRef,
    TurnoutUnit,
    UnitRef,
)

router = make_router(tags=["results"])


def _turnout_unit(u: participation.UnitTurnout) -> TurnoutUnit:
    return TurnoutUnit(
        unit=UnitRef(code=u.code, name=u.name),
        headcount=u.headcount,
        members=u.members,
        participants=u.participants,
        missing_count=u.missing,
        participation_rate=u.rate,
    )


@router.get("/rounds/{round_id}/participation", response_model=Participation)
async def round_participation(
    request: Request,
    round_id: int,
    actor: CurrentActor,
    unit_code: str | None = None,
    sort: str = "rate",
    limit: int = Query(50, ge=1, le=participation.MAX_PAGE),
    offset: Offset = 0,
) -> Response:
    """Who has not taken part yet, for organisers of the unit and judges: the unit's subtree figures, its child
    units (sorted by `rate`, `missing` or `name`) and one page of the members without a finished attempt.
    Answered from this worker's memory while the figures are fresh (a few seconds), like the boards."""
    participation.check_sort(sort)
    cache: BoardCache = request.app.state.boards

    def build(session: Session, place: participation.Place) -> Participation:
        seen = participation.turnout_at(session=session, place=place, sort=sort, cache=cache)
        rows = participation.missing_at(session=session, place=place, limit=limit, offset=offset, cache=cache)
        whole = _turnout_unit(seen.unit)
        return Participation(
            round=RoundRef(id=place.info.round_id, title=place.info.title),
            unit=whole.unit,
            headcount=whole.headcount,
            members=whole.members,
            participants=whole.participants,
            missing_count=whole.missing_count,
            participation_rate=whole.participation_rate,
            missing=[
                MissingRow(id=m.id, full_name=m.full_name, phone=m.phone, unit=UnitRef(code=m.unit_code, name=m.unit_name)) for m in rows
            ],
            limit=limit,
            offset=offset,
            units=[_turnout_unit(u) for u in seen.children],
        )

    def answer(session: Session) -> Response:
        place = participation.reach(session=session, actor=actor, round_id=round_id, unit_code=unit_code, cache=cache)
        key = board_cache.participation_body_key(round_id, place.unit_path, sort, limit, offset)
        return cached_json(cache, key, lambda: build(session, place))

    return await from_memory_or_database(request.app.state.engine, request.app.state.loop_reader, answer)


@router.get("/push/key", response_model=PushKeyOut)
def push_key(request: Request) -> PushKeyOut:
    """The server's Web Push key (applicationServerKey) a phone subscribes with."""
    return PushKeyOut(public_key=request.app.state.push_key)


@router.post("/push/subscriptions", status_code=201)
def push_subscribe(data: PushSubscriptionIn, actor: CurrentActor, session: SessionDep) -> dict[str, int]:
    """Allow reminders on this phone (the subscription a browser's PushManager gave)."""
    found = reminders.subscribe(session=session, actor=actor, endpoint=data.endpoint, p256dh=data.keys.p256dh, auth=data.keys.auth)
    session.flush()
    return {"id": found.id or 0}


@router.delete("/push/subscriptions", status_code=204)
def push_unsubscribe(actor: CurrentActor, session: SessionDep, endpoint: str | None = None) -> Response:
    """Turn reminders off on this phone (endpoint), or on all of the member's phones."""
    reminders.unsubscribe(session=session, actor=actor, endpoint=endpoint)
    return Response(status_code=204)


def _reminder(send: ReminderSend, unit: Unit) -> ReminderOut:
    return ReminderOut(
        id=send.id or 0,
        round_id=send.round_id,
        unit=UnitRef(code=unit.code, name=unit.name),
        kind=send.kind,
        members=send.members,
        targets=send.targets,
        delivered=send.delivered,
        failed=send.failed,
        removed=send.removed,
        created_at=send.created_at,
        finished_at=send.finished_at,
    )


@router.post("/rounds/{round_id}/reminders", response_model=ReminderOut, status_code=202)
def send_reminder(request: Request, round_id: int, data: ReminderIn, actor: CurrentActor, session: SessionDep) -> ReminderOut:
    """Remind the members of the unit's subtree who have not taken part (those who allowed notifications);
    queued at once, sent in the background: GET /reminders/{id} tells how it went."""
    out = start_reminder(request, session, actor, round_id, data.unit_code)
    unit = session.get(Unit, out.unit_id)
    assert unit is not None
    return _reminder(out, unit)


@router.get("/reminders/{send_id}", response_model=ReminderOut)
def reminder_status(send_id: int, actor: CurrentActor, session: SessionDep) -> ReminderOut:
    send = reminders.get(session=session, actor=actor, send_id=send_id)
    unit = session.get(Unit, send.unit_id)
    assert unit is not None
    return _reminder(send, unit)
