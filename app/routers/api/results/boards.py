"""Closing a round and reading its boards (standings, unit standings, a contest's standings) as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Query, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.db_loop import from_memory_or_database
from app.deps import CurrentActor, Offset, RequireOrganiser, SessionDep
from app.routers.base import make_router
from app.services.contests.contests import zone
from app.services.org.access import Actor
from app.services.results import (
    board_cache,
    closing,
    standings,
)
from app.services.results.board_cache import BoardCache
from app.services.results.schemas import (
    MemberRef,
    RoundClosed,
    StandingRow,
    StandingsPage,
    Totals,
    UnitRef,
    UnitStandingRow,
    UnitStandings,
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


def cached_json(cache: BoardCache, key: tuple, make: Callable[[], BaseModel], lasting: bool = False) -> Response:
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
    round and the encoded body are cached, else read in the thread pool (db_loop.from_memory_or_database). Who
    may look, and whether scores may be seen, is checked on every request. The body is keyed by the round's
    standings_built_at, so it is kept while the standings stand (BoardCache)."""
    cache: BoardCache = request.app.state.boards
    check = standings.scored_round if need_scores else standings.round_info

    def answer(session: Session) -> Response:
        info = check(session=session, actor=actor, round_id=round_id, cache=cache)
        return cached_json(cache, key(info), lambda: build(session, cache), lasting=True)

    return await from_memory_or_database(request.app.state.engine, request.app.state.loop_reader, answer)


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
    return cached_json(cache, board_cache.contest_body_key(contest_id, unit_code, limit, offset), lambda: _page(total, rows, zone(contest)))
