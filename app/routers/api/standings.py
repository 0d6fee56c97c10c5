"""Closing a round and reading standings (JSON). Rules in app.services.closing and app.services.standings."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from fastapi import Query, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.db import session_scope
from app.deps import CurrentActor, RequireOrganiser, SessionDep
from app.routers.base import make_router
from app.services import closing, standings
from app.services.access import Actor
from app.services.contests import zone

router = make_router(tags=["standings"])


class Totals(BaseModel):
    participants: int
    attempts: int
    perfect_scorers: int


class RoundClosed(BaseModel):
    id: int
    status: str
    closed_at: datetime | None
    prediction_truth: int | None
    totals: Totals


class MemberRef(BaseModel):
    id: int
    full_name: str


class UnitRef(BaseModel):
    code: str
    name: str


class StandingRow(BaseModel):
    rank: int
    member: MemberRef
    unit: UnitRef
    score: int
    correct_count: int
    prediction: int | None
    prediction_error: int | None
    duration_ms: int
    submitted_at: datetime


class StandingsPage(BaseModel):
    total: int
    rows: list[StandingRow]


class UnitStandingRow(BaseModel):
    rank: int
    unit: UnitRef
    participants: int
    attempts: int
    headcount: int
    participation_rate: float | None
    average_score: float | None
    perfect_count: int | None


class UnitStandings(BaseModel):
    rows: list[UnitStandingRow]


def _page(total: int, rows: list[standings.BoardRow], tz: Any) -> StandingsPage:
    return StandingsPage(total=total, rows=[StandingRow(
        rank=r.rank, member=MemberRef(id=r.member_id, full_name=r.full_name), unit=UnitRef(code=r.unit_code, name=r.unit_name),
        score=r.score, correct_count=r.correct_count, prediction=r.prediction, prediction_error=r.prediction_error,
        duration_ms=r.duration_ms, submitted_at=r.submitted_at.astimezone(tz)) for r in rows])


def _json(cache: standings.BoardCache, key: tuple, make: Callable[[], BaseModel]) -> Response:
    """The encoded body, from the board cache (a Response goes out as it is: FastAPI does not validate and
    encode the model a second time)."""
    return Response(cache.get_or(key, lambda: make().model_dump_json().encode()), media_type="application/json")


@router.post("/rounds/{round_id}/close", response_model=RoundClosed)
def close_round(round_id: int, actor: RequireOrganiser, session: SessionDep) -> RoundClosed:
    round_ = closing.close_round(session=session, actor=actor, round_id=round_id)
    assert round_.id is not None
    return RoundClosed(id=round_.id, status=round_.status, closed_at=round_.closed_at,
                       prediction_truth=round_.prediction_truth, totals=Totals(**round_.totals))


async def _board(request: Request, actor: Actor, round_id: int, key: Callable[[], tuple], need_scores: bool,
                 build: Callable[[Session, standings.BoardCache], BaseModel]) -> Response:
    """Thousands of phones ask for the same board within seconds. When this worker has the round and the
    encoded page cached, answer from memory here (the scope and visibility checks run on the cached
    round); otherwise read the database in the thread pool, as a sync endpoint would."""
    cache: standings.BoardCache = request.app.state.boards
    if standings.check_cached(actor=actor, round_id=round_id, cache=cache, need_scores=need_scores):
        body = cache.peek(key())
        if body is not None:
            return Response(body, media_type="application/json")

    def from_database() -> Response:
        with session_scope(request.app.state.engine, write=False) as session:
            model = build(session, cache)  # the service checks scope and visibility again
            return _json(cache, key(), lambda: model)

    return await anyio.to_thread.run_sync(from_database)


@router.get("/rounds/{round_id}/standings", response_model=StandingsPage)
async def round_standings(request: Request, round_id: int, actor: CurrentActor, unit_code: str | None = None,
                          limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> Response:
    def build(session: Session, cache: standings.BoardCache) -> BaseModel:
        total, rows = standings.round_board(session=session, actor=actor, round_id=round_id, unit_code=unit_code,
                                            limit=limit, offset=offset, cache=cache)
        info = standings.round_info(session=session, actor=actor, round_id=round_id, cache=cache)
        return _page(total, rows, ZoneInfo(info.timezone))

    return await _board(request, actor, round_id,
                        lambda: ("api-round", round_id, (unit_code or "").upper(), limit, offset), True, build)


@router.get("/rounds/{round_id}/unit-standings", response_model=UnitStandings)
async def unit_standings(request: Request, round_id: int, actor: CurrentActor, parent_code: str | None = None) -> Response:
    def build(session: Session, cache: standings.BoardCache) -> BaseModel:
        rows = standings.unit_board(session=session, actor=actor, round_id=round_id, parent_code=parent_code,
                                    cache=cache)
        return UnitStandings(rows=[UnitStandingRow(
            rank=r.rank, unit=UnitRef(code=r.code, name=r.name), participants=r.participants, attempts=r.attempts,
            headcount=r.headcount, participation_rate=r.participation_rate, average_score=r.average_score,
            perfect_count=r.perfect_count) for r in rows])

    def key() -> tuple:  # the scores in the table depend on visibility, so the key does too
        info = request.app.state.boards.peek(("info", round_id))
        return ("api-units", round_id, (parent_code or "").upper(), info is not None and standings.scores_visible(info))

    return await _board(request, actor, round_id, key, False, build)


@router.get("/contests/{contest_id}/standings", response_model=StandingsPage)
def contest_standings(request: Request, contest_id: int, actor: CurrentActor, session: SessionDep,
                      unit_code: str | None = None, limit: int = Query(50, ge=1, le=500),
                      offset: int = Query(0, ge=0)) -> StandingsPage:
    cache = request.app.state.boards
    contest, total, rows = standings.contest_board(session=session, actor=actor, contest_id=contest_id,
                                                   unit_code=unit_code, limit=limit, offset=offset, cache=cache)
    return _json(cache, ("api-contest", contest_id, (unit_code or "").upper(), limit, offset),
                 lambda: _page(total, rows, zone(contest)))
