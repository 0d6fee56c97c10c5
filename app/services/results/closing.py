"""Closing a round (by hand, or by itself at closes_at) and keeping live standings fresh while it is open.

Closing: finalise the attempts still open with their saved answers, freeze the official counts and the
prediction truth on the round, build the ranked standings. It is idempotent (a closed round is returned
as it is, so closing twice gives the same standings) and safe when several workers try at once: on
PostgreSQL the round's row is locked (the sweep skips rows another worker holds), on SQLite the writing
transaction is exclusive; the status is checked under that lock either way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, exists, or_, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from app.errors import N_, Conflict
from app.models import Attempt, Contest, Prize, Round
from app.models.contests import ContestStatus, RoundStatus
from app.models.quiz import AttemptStatus
from app.models.types import utcnow
from app.services.contests import contests
from app.services.kit import audit
from app.services.org.access import Actor
from app.services.quiz import attempts
from app.services.results import flags, ranking

LIVE_EVERY = timedelta(seconds=5)  # live standings are rebuilt at most this often, whatever the viewers


def _locked_round(session: Session, round_id: int, *, skip_locked: bool = False) -> Round | None:
    stmt = select(Round).where(Round.id == round_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=skip_locked)
    round_ = session.exec(stmt).first()
    if round_ is not None:
        session.refresh(round_)  # what the lock protects, not what this session saw before it
    return round_


def _close(session: Session, round_: Round, *, now: datetime, actor_id: int | None, ip: str | None) -> Round:
    assert round_.id is not None
    open_ = session.exec(select(Attempt).where(Attempt.round_id == round_.id, Attempt.status == AttemptStatus.in_progress)).all()
    for attempt in open_:  # the round ends now for everyone: what was saved is what counts
        attempts.finalise(session=session, attempt=attempt, at=min(attempt.deadline_at, now))
    counts = ranking.official_counts(session=session, round_id=round_.id)
    round_.totals = counts
    round_.prediction_truth = ranking.truth_of(round_, counts)
    round_.status = RoundStatus.closed
    round_.closed_at = now
    session.add(round_)
    session.flush()
    ranking.build_round(session=session, round_=round_, truth=round_.prediction_truth, now=now)
    contest = session.get(Contest, round_.contest_id)
    assert contest is not None
    ranking.build_contest(session=session, contest=contest)
    raised = flags.compute_round_flags(session=session, round_id=round_.id, now=now)
    audit.record(
        session=session,
        actor_id=actor_id,
        action="round.close",
        entity="round",
        entity_id=round_.id,
        ip=ip,
        unit_id=contest.scope_unit_id,
        detail={
            "totals": counts,
            "prediction_truth": round_.prediction_truth,
            "finalised": len(open_),
            "early": now < round_.closes_at,
            "flags": raised,
        },
    )
    session.flush()
    return round_


def close_round(*, session: Session, actor: Actor, round_id: int, now: datetime | None = None) -> Round:
    """By hand (organiser of the contest's scope); before closes_at it ends the round early."""
    round_, contest = contests.get_round(session=session, actor=actor, round_id=round_id)
    if contest.status == ContestStatus.draft:
        raise Conflict(N_("Cuộc thi chưa công bố: chưa có gì để đóng."))
    locked = _locked_round(session, round_id)
    assert locked is not None
    if locked.status == RoundStatus.closed:
        return locked
    now = now or utcnow()
    if now < locked.opens_at:
        raise Conflict(N_("Vòng thi chưa mở nên chưa đóng được."))
    return _close(session, locked, now=now, actor_id=actor.id, ip=actor.ip)


def close_due(*, session: Session, now: datetime | None = None, batch: int = 5) -> int:
    """The sweep's part: close rounds of published contests whose closes_at has passed."""
    now = now or utcnow()
    stmt = (
        select(Round.id)
        .join(Contest, col(Contest.id) == Round.contest_id)
        .where(Round.status != RoundStatus.closed, Round.closes_at <= now, Contest.status != ContestStatus.draft)
        .order_by(col(Round.closes_at))
        .limit(batch)
    )
    closed = 0
    for round_id in session.exec(stmt).all():
        assert round_id is not None
        round_ = _locked_round(session, round_id, skip_locked=True)
        if round_ is None or round_.status == RoundStatus.closed:
            continue  # another worker has it, or had it
        _close(session, round_, now=now, actor_id=None, ip=None)
        closed += 1
    return closed


def refresh_live(*, session: Session, now: datetime | None = None) -> int:
    """Rebuild the provisional standings of open rounds that have new submissions since their last build,
    at most every LIVE_EVERY (where results come after close, the boards show participation only: the
    services hide the scores). The round's standings_built_at is claimed with a
    conditional UPDATE, so of several workers only one rebuilds a round in each interval."""
    now = now or utcnow()
    newer = exists().where(
        col(Attempt.round_id) == Round.id,
        col(Attempt.submitted_at).is_not(None),
        or_(col(Round.standings_built_at).is_(None), col(Attempt.submitted_at) > Round.standings_built_at),
    )
    due = session.exec(
        select(Round.id)
        .join(Contest, col(Contest.id) == Round.contest_id)
        .where(
            Contest.status == ContestStatus.published,
            Round.status != RoundStatus.closed,
            Round.opens_at <= now,
            Round.closes_at > now,
            or_(col(Round.standings_built_at).is_(None), col(Round.standings_built_at) <= now - LIVE_EVERY),
            newer,
        )
    ).all()
    rebuilt = 0
    for round_id in due:
        # An UPDATE's result is a CursorResult (with the row count), though Session.execute is typed as a Result.
        claimed = cast(
            "CursorResult[Any]",
            session.execute(
                update(Round)
                .where(
                    col(Round.id) == round_id,
                    col(Round.status) != RoundStatus.closed,
                    or_(col(Round.standings_built_at).is_(None), col(Round.standings_built_at) <= now - LIVE_EVERY),
                )
                .values(standings_built_at=now)
            ),
        )
        if claimed.rowcount != 1:
            continue
        round_ = session.get(Round, round_id)
        assert round_ is not None and round_id is not None
        session.refresh(round_)
        counts = ranking.official_counts(session=session, round_id=round_id)
        ranking.build_round(session=session, round_=round_, truth=ranking.truth_of(round_, counts), now=now)
        rebuilt += 1
    return rebuilt


def rebuild_after_change(*, session: Session, round_: Round) -> None:
    """After a re-score or a disqualification: a closed round gets new official counts, truth and
    standings (unless sealed: then nothing may change it); an open one gets a fresh live build."""
    assert round_.id is not None
    if round_.sealed_at is not None:
        raise Conflict(N_("Kết quả vòng thi đã được niêm phong; không thay đổi được."))
    counts = ranking.official_counts(session=session, round_id=round_.id)
    truth = ranking.truth_of(round_, counts)
    if round_.status == RoundStatus.closed:
        round_.totals, round_.prediction_truth = counts, truth
        void_prizes(session=session, round_=round_)
        session.add(round_)
    ranking.build_round(session=session, round_=round_, truth=truth)
    if round_.status == RoundStatus.closed:
        contest = session.get(Contest, round_.contest_id)
        assert contest is not None
        ranking.build_contest(session=session, contest=contest)


def void_prizes(*, session: Session, round_: Round) -> bool:
    """Drop a confirmed prize allocation: the standings or the prize rules changed, so it no longer follows
    from them (app.services.results.prizes). True when there was one."""
    if round_.prizes_confirmed_at is None:
        return False
    session.execute(delete(Prize).where(col(Prize.round_id) == round_.id))
    round_.prizes_confirmed_at = None
    session.add(round_)
    return True
