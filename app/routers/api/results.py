"""Closing a round and reading standings (JSON). Rules in app.services.results.closing and app.services.results.standings.

What judges do (JSON): disqualify and reinstate, flags, prizes, the seal and the result files (of a round or
of a contest as a whole).
Rules in app.services.results.judging, flags, prizes, sealing and results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlmodel import Session

from app.db import from_memory_or_database
from app.deps import CurrentActor, Offset, RequireJudge, RequireOrganiser, SessionDep
from app.i18n import translate
from app.models import Attempt, ReminderSend, Unit
from app.routers.base import certificate_pdf, download, make_router, public_base_url, start_reminder
from app.services.contests.contests import zone
from app.services.org.access import Actor
from app.services.results import (
    board_cache,
    certificates,
    closing,
    flags,
    judging,
    participation,
    prizes,
    reminders,
    results,
    sealing,
    standings,
    winners,
)
from app.services.results.board_cache import BoardCache
from app.services.results.schemas import (
    AllocationOut,
    AwardOut,
    CertificateOut,
    ContestRef,
    FlagOut,
    JudgedAttempt,
    MemberDecision,
    MemberRef,
    MissingRow,
    Participation,
    PublicWinners,
    PushKeyOut,
    PushSubscriptionIn,
    ReasonIn,
    ReminderIn,
    ReminderOut,
    RoundClosed,
    RoundRef,
    Sealed,
    StandingRow,
    StandingsPage,
    Totals,
    TurnoutUnit,
    UnitRef,
    UnitStandingRow,
    UnitStandings,
    UnitWinnerRow,
    WinnerRow,
)

router = make_router(tags=["results"])


def _page(total: int, rows: list[standings.BoardRow], tz: Any) -> StandingsPage:
    return StandingsPage(
        total=total,
        rows=[
            StandingRow(
                rank=r.rank,
                member=MemberRef(id=r.member_id, full_name=r.full_name),
                unit=UnitRef(code=r.unit_code, name=r.unit_name),
                score=r.score,
                correct_count=r.correct_count,
                prediction=r.prediction,
                prediction_error=r.prediction_error,
                duration_ms=r.duration_ms,
                submitted_at=r.submitted_at.astimezone(tz),
            )
            for r in rows
        ],
    )


def _json(cache: BoardCache, key: tuple, make: Callable[[], BaseModel], lasting: bool = False) -> Response:
    """The encoded body, from the board cache (a Response goes out as it is: FastAPI does not validate and
    encode the model a second time)."""
    return Response(board_cache.json_body(cache, key, make, lasting=lasting), media_type="application/json")


@router.post("/rounds/{round_id}/close", response_model=RoundClosed)
def close_round(round_id: int, actor: RequireOrganiser, session: SessionDep) -> RoundClosed:
    round_ = closing.close_round(session=session, actor=actor, round_id=round_id)
    assert round_.id is not None
    return RoundClosed(
        id=round_.id,
        status=round_.status,
        closed_at=round_.closed_at,
        prediction_truth=round_.prediction_truth,
        totals=Totals(**round_.totals),
    )


async def _board(
    request: Request,
    actor: Actor,
    round_id: int,
    need_scores: bool,
    key: Callable[[standings.RoundInfo], tuple],
    build: Callable[[Session, BoardCache], BaseModel],
) -> Response:
    """Thousands of phones ask for the same board within seconds: answered from this worker's memory when the
    round and the encoded body are cached, else read in the thread pool (db.from_memory_or_database). Who
    may look, and whether scores may be seen, is checked on every request. The body is keyed by the round's
    standings_built_at, so it is kept while the standings stand (BoardCache)."""
    cache: BoardCache = request.app.state.boards
    check = standings.scored_round if need_scores else standings.round_info

    def answer(session: Session) -> Response:
        info = check(session=session, actor=actor, round_id=round_id, cache=cache)
        return _json(cache, key(info), lambda: build(session, cache), lasting=True)

    return await from_memory_or_database(request.app.state.engine, answer)


@router.get("/rounds/{round_id}/standings", response_model=StandingsPage)
async def round_standings(
    request: Request,
    round_id: int,
    actor: CurrentActor,
    unit_code: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: Offset = 0,
) -> Response:
    def build(session: Session, cache: BoardCache) -> BaseModel:
        total, rows = standings.round_board(
            session=session, actor=actor, round_id=round_id, unit_code=unit_code, limit=limit, offset=offset, cache=cache
        )
        info = standings.round_info(session=session, actor=actor, round_id=round_id, cache=cache)
        return _page(total, rows, ZoneInfo(info.timezone))

    return await _board(
        request,
        actor,
        round_id,
        True,
        lambda info: board_cache.round_body_key(round_id, info.standings_built_at, unit_code, limit, offset),
        build,
    )


@router.get("/rounds/{round_id}/unit-standings", response_model=UnitStandings)
async def unit_standings(request: Request, round_id: int, actor: CurrentActor, parent_code: str | None = None) -> Response:
    def build(session: Session, cache: BoardCache) -> BaseModel:
        rows = standings.unit_board(session=session, actor=actor, round_id=round_id, parent_code=parent_code, cache=cache)
        return UnitStandings(
            rows=[
                UnitStandingRow(
                    rank=r.rank,
                    unit=UnitRef(code=r.code, name=r.name),
                    participants=r.participants,
                    attempts=r.attempts,
                    headcount=r.headcount,
                    participation_rate=r.participation_rate,
                    average_score=r.average_score,
                    perfect_count=r.perfect_count,
                )
                for r in rows
            ]
        )

    def key(info: standings.RoundInfo) -> tuple:
        return board_cache.units_body_key(round_id, info.standings_built_at, parent_code, standings.scores_visible(info))

    return await _board(request, actor, round_id, False, key, build)


@router.get("/contests/{contest_id}/standings", response_model=StandingsPage)
def contest_standings(
    request: Request,
    contest_id: int,
    actor: CurrentActor,
    session: SessionDep,
    unit_code: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: Offset = 0,
) -> Response:
    cache = request.app.state.boards
    contest, total, rows = standings.contest_board(
        session=session, actor=actor, contest_id=contest_id, unit_code=unit_code, limit=limit, offset=offset, cache=cache
    )
    return _json(cache, board_cache.contest_body_key(contest_id, unit_code, limit, offset), lambda: _page(total, rows, zone(contest)))


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
        return _json(cache, key, lambda: build(session, place))

    return await from_memory_or_database(request.app.state.engine, answer)


@router.get("/rounds/{round_id}/winners", response_model=PublicWinners)
def round_winners(round_id: int, session: SessionDep) -> PublicWinners:
    """Public once the round is sealed (409 before, 404 for a round nobody may see): rank, name, unit and prize
    only, with the seal digest of the whole ranked list."""
    w = winners.round_winners(session=session, round_id=round_id)
    assert w.round.id is not None and w.contest.id is not None
    return PublicWinners(
        round=RoundRef(id=w.round.id, title=w.round.title),
        contest=ContestRef(id=w.contest.id, title=w.contest.title),
        sealed_at=w.sealed_at.astimezone(zone(w.contest)),
        digest=w.digest,
        rows=[
            WinnerRow(rank=r.rank, full_name=r.full_name, unit=UnitRef(code=r.unit_code, name=r.unit_name), prize=r.prize) for r in w.rows
        ],
        units=[UnitWinnerRow(rank=u.rank, unit=UnitRef(code=u.unit_code, name=u.unit_name), prize=u.prize) for u in w.units],
    )


PDF_ANSWER: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "The certificate (PDF)"}}


@router.get("/attempts/{attempt_id}/certificate.pdf", response_class=Response, responses=PDF_ANSWER)
def attempt_certificate(request: Request, attempt_id: int, actor: CurrentActor, session: SessionDep) -> Response:
    """The owner's certificate for the round of this attempt (participation; the prize once the round is sealed),
    once the round is closed; its verification code in X-Certificate-Code."""
    issued = certificates.for_attempt(session=session, actor=actor, attempt_id=attempt_id)
    return certificate_pdf(issued, public_base_url(request))


@router.get("/certificates/{code}", response_model=CertificateOut)
def certificate(code: str, session: SessionDep) -> CertificateOut:
    """Anyone may check a certificate by the code printed on it (404 for an unknown code)."""
    issued = certificates.verify(session=session, code=code)
    c = issued.certificate
    assert issued.contest.id is not None and issued.round.id is not None
    return CertificateOut(
        code=c.code,
        kind=c.kind,
        full_name=c.full_name,
        unit=UnitRef(code=c.unit_code, name=c.unit_name),
        contest=ContestRef(id=issued.contest.id, title=issued.contest.title),
        round=RoundRef(id=issued.round.id, title=issued.round.title),
        prize=c.prize,
        issued_at=c.issued_at.astimezone(zone(issued.contest)),
    )


def _judged(a: Attempt) -> JudgedAttempt:
    return JudgedAttempt.model_validate(a, from_attributes=True)


@router.post("/attempts/{attempt_id}/disqualify", response_model=JudgedAttempt)
def disqualify(attempt_id: int, data: ReasonIn, actor: RequireJudge, session: SessionDep) -> JudgedAttempt:
    return _judged(judging.set_disqualified(session=session, actor=actor, attempt_id=attempt_id, disqualified=True, reason=data.reason))


@router.post("/attempts/{attempt_id}/reinstate", response_model=JudgedAttempt)
def reinstate(attempt_id: int, data: ReasonIn, actor: RequireJudge, session: SessionDep) -> JudgedAttempt:
    return _judged(judging.set_disqualified(session=session, actor=actor, attempt_id=attempt_id, disqualified=False, reason=data.reason))


@router.post("/rounds/{round_id}/members/{member_id}/disqualify", response_model=MemberDecision)
def disqualify_member(round_id: int, member_id: int, data: ReasonIn, actor: RequireJudge, session: SessionDep) -> MemberDecision:
    return MemberDecision(
        changed=judging.set_member_disqualified(
            session=session, actor=actor, round_id=round_id, member_id=member_id, disqualified=True, reason=data.reason
        )
    )


@router.post("/rounds/{round_id}/members/{member_id}/reinstate", response_model=MemberDecision)
def reinstate_member(round_id: int, member_id: int, data: ReasonIn, actor: RequireJudge, session: SessionDep) -> MemberDecision:
    return MemberDecision(
        changed=judging.set_member_disqualified(
            session=session, actor=actor, round_id=round_id, member_id=member_id, disqualified=False, reason=data.reason
        )
    )


@router.get("/rounds/{round_id}/flags", response_model=list[FlagOut])
def round_flags(round_id: int, actor: RequireJudge, session: SessionDep, kind: str | None = None) -> list[FlagOut]:
    judged = judging.judge_round(session=session, actor=actor, round_id=round_id)
    return [
        FlagOut(attempt_id=f.attempt_id, member_id=f.member_id, kind=f.kind, explanation=flags.explain(f), detail=f.detail)
        for f in judging.flags_in(session=session, judged=judged, kind=kind)
    ]


@router.post("/rounds/{round_id}/flags", response_model=dict[str, int])
def recompute_flags(round_id: int, actor: RequireJudge, session: SessionDep) -> dict[str, int]:
    """Compute the round's flags again now (they are also computed when the round closes)."""
    return judging.recompute_flags(session=session, actor=actor, round_id=round_id)


def _allocation(judged: judging.JudgedRound, allocation: prizes.Allocation) -> AllocationOut:
    return AllocationOut(
        confirmed_at=judged.round.prizes_confirmed_at,
        participants=allocation.participants,
        cap=allocation.cap,
        awards=[AwardOut.model_validate(a, from_attributes=True) for a in allocation.awards],
        unit_awards=[AwardOut.model_validate(a, from_attributes=True) for a in allocation.unit_awards],
        notes=[translate(msg, "vi", **params) for msg, params in allocation.notes],
    )


@router.put("/rounds/{round_id}/prizes", response_model=AllocationOut)
def set_prize_rules(round_id: int, data: prizes.PrizeRulesIn, actor: RequireJudge, session: SessionDep) -> AllocationOut:
    """Set the tiers (and cap, and collective tiers); answers the allocation they give, not yet confirmed."""
    prizes.set_rules(session=session, actor=actor, round_id=round_id, data=data)
    return _allocation(*prizes.preview(session=session, actor=actor, round_id=round_id))


@router.get("/rounds/{round_id}/prizes", response_model=AllocationOut)
def prize_preview(round_id: int, actor: RequireJudge, session: SessionDep) -> AllocationOut:
    return _allocation(*prizes.preview(session=session, actor=actor, round_id=round_id))


@router.post("/rounds/{round_id}/prizes/confirm", response_model=AllocationOut)
def confirm_prizes(round_id: int, actor: RequireJudge, session: SessionDep) -> AllocationOut:
    return _allocation(*prizes.confirm(session=session, actor=actor, round_id=round_id))


@router.post("/rounds/{round_id}/seal", response_model=Sealed)
def seal(round_id: int, actor: RequireJudge, session: SessionDep) -> Sealed:
    round_ = sealing.seal(session=session, actor=actor, round_id=round_id)
    assert round_.sealed_at is not None and round_.seal_digest is not None
    return Sealed(sealed_at=round_.sealed_at, digest=round_.seal_digest)


@router.get("/rounds/{round_id}/export.{fmt}", response_class=FileResponse)
def export(
    round_id: int,
    fmt: str,
    actor: RequireJudge,
    session: SessionDep,
    unit_code: str | None = None,
    part: str = Query("ranking", description="CSV only: ranking | units | winners"),
) -> FileResponse:
    """XLSX (ranked list, unit statistics, winners with contact data), CSV (one part) or the PDF minutes."""
    return download(results.export_round(session=session, actor=actor, round_id=round_id, fmt=fmt, unit_code=unit_code, part=part))


@router.get("/contests/{contest_id}/export.{fmt}", response_class=FileResponse)
def export_contest(contest_id: int, fmt: str, actor: RequireJudge, session: SessionDep, unit_code: str | None = None) -> FileResponse:
    """The contest's ranked list over its closed rounds (totals, then each round's score): XLSX or CSV;
    `?unit_code=` narrows it to a unit's subtree."""
    return download(results.export_contest(session=session, actor=actor, contest_id=contest_id, fmt=fmt, unit_code=unit_code))


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
