"""Closing a round and reading standings (JSON). Rules in app.services.closing and app.services.standings."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Query, Request
from pydantic import BaseModel

from app.deps import CurrentActor, RequireOrganiser, SessionDep
from app.routers.base import make_router
from app.services import closing, standings
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


@router.post("/rounds/{round_id}/close", response_model=RoundClosed)
def close_round(round_id: int, actor: RequireOrganiser, session: SessionDep) -> RoundClosed:
    round_ = closing.close_round(session=session, actor=actor, round_id=round_id)
    assert round_.id is not None
    return RoundClosed(id=round_.id, status=round_.status, closed_at=round_.closed_at,
                       prediction_truth=round_.prediction_truth, totals=Totals(**round_.totals))


@router.get("/rounds/{round_id}/standings", response_model=StandingsPage)
def round_standings(request: Request, round_id: int, actor: CurrentActor, session: SessionDep,
                    unit_code: str | None = None, limit: int = Query(50, ge=1, le=500),
                    offset: int = Query(0, ge=0)) -> StandingsPage:
    cache = request.app.state.boards
    total, rows = standings.round_board(session=session, actor=actor, round_id=round_id, unit_code=unit_code,
                                        limit=limit, offset=offset, cache=cache)
    info = standings.round_info(session=session, actor=actor, round_id=round_id, cache=cache)
    return _page(total, rows, ZoneInfo(info.timezone))


@router.get("/rounds/{round_id}/unit-standings", response_model=UnitStandings)
def unit_standings(request: Request, round_id: int, actor: CurrentActor, session: SessionDep,
                   parent_code: str | None = None) -> UnitStandings:
    rows = standings.unit_board(session=session, actor=actor, round_id=round_id, parent_code=parent_code,
                                cache=request.app.state.boards)
    return UnitStandings(rows=[UnitStandingRow(
        rank=r.rank, unit=UnitRef(code=r.code, name=r.name), participants=r.participants, attempts=r.attempts,
        headcount=r.headcount, participation_rate=r.participation_rate, average_score=r.average_score,
        perfect_count=r.perfect_count) for r in rows])


@router.get("/contests/{contest_id}/standings", response_model=StandingsPage)
def contest_standings(request: Request, contest_id: int, actor: CurrentActor, session: SessionDep,
                      unit_code: str | None = None, limit: int = Query(50, ge=1, le=500),
                      offset: int = Query(0, ge=0)) -> StandingsPage:
    contest, total, rows = standings.contest_board(session=session, actor=actor, contest_id=contest_id,
                                                   unit_code=unit_code, limit=limit, offset=offset,
                                                   cache=request.app.state.boards)
    return _page(total, rows, zone(contest))
