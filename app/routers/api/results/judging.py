"""What judges do (JSON): disqualify and reinstate, flags, prizes, the seal and the result files (of a round or
of a contest as a whole). Rules in app.services.results.judging, flags, prizes, sealing and results."""

from __future__ import annotations

from fastapi import Query
from fastapi.responses import FileResponse

from app.deps import RequireJudge, SessionDep
from app.i18n import translate
from app.models import Attempt
from app.routers.base import download, make_router
from app.services.results import (
    contest_results,
    flags,
    judging,
    prizes,
    results,
    sealing,
)
from app.services.results.schemas import (
    AllocationOut,
    AwardOut,
    FlagOut,
    JudgedAttempt,
    MemberDecision,
    ReasonIn,
    Sealed,
)

router = make_router(tags=["results"])


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
    return download(contest_results.export_contest(session=session, actor=actor, contest_id=contest_id, fmt=fmt, unit_code=unit_code))
