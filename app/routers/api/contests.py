"""Contests and rounds over the API, as the public API contract fixes them. Times go out in the contest's time zone."""

from __future__ import annotations

from app.deps import RequireOrganiser, SessionDep
from app.routers.base import make_router
from app.services.contests import contests, rounds
from app.services.contests.schemas import ContestCreate, ContestPublic, ContestUpdate, RoundPublic, RoundUpdate

router = make_router(tags=["contests"])


@router.post("/contests", response_model=ContestPublic, status_code=201)
def create_contest(data: ContestCreate, actor: RequireOrganiser, session: SessionDep) -> ContestPublic:
    contest = contests.create_contest(session=session, actor=actor, data=data)
    return contests.contest_public(session=session, contest=contest)


@router.get("/contests", response_model=list[ContestPublic])
def list_contests(actor: RequireOrganiser, session: SessionDep) -> list[ContestPublic]:
    return [contests.contest_public(session=session, contest=c) for c in contests.list_contests(session=session, actor=actor)]


@router.get("/contests/{contest_id}", response_model=ContestPublic)
def get_contest(contest_id: int, actor: RequireOrganiser, session: SessionDep) -> ContestPublic:
    contest = contests.get_contest(session=session, actor=actor, contest_id=contest_id)
    return contests.contest_public(session=session, contest=contest)


@router.patch("/contests/{contest_id}", response_model=ContestPublic)
def update_contest(contest_id: int, data: ContestUpdate, actor: RequireOrganiser, session: SessionDep) -> ContestPublic:
    contest = contests.update_contest(session=session, actor=actor, contest_id=contest_id, data=data)
    return contests.contest_public(session=session, contest=contest)


@router.post("/contests/{contest_id}/publish", response_model=ContestPublic)
def publish_contest(contest_id: int, actor: RequireOrganiser, session: SessionDep) -> ContestPublic:
    contest = contests.publish_contest(session=session, actor=actor, contest_id=contest_id)
    return contests.contest_public(session=session, contest=contest)


@router.post("/contests/{contest_id}/close", response_model=ContestPublic)
def close_contest(contest_id: int, actor: RequireOrganiser, session: SessionDep) -> ContestPublic:
    contest = contests.close_contest(session=session, actor=actor, contest_id=contest_id)
    return contests.contest_public(session=session, contest=contest)


@router.patch("/rounds/{round_id}", response_model=RoundPublic)
def update_round(round_id: int, data: RoundUpdate, actor: RequireOrganiser, session: SessionDep) -> RoundPublic:
    round_ = rounds.update_round(session=session, actor=actor, round_id=round_id, data=data)
    _round, contest = contests.get_round(session=session, actor=actor, round_id=round_id)
    ids = contests.question_ids_of(session=session, round_ids=[round_id])[round_id]
    return contests.round_public(round_, contest, ids)
