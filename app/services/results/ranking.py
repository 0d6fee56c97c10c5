"""Ranking: which attempt counts for each member, the official counts and the prediction truth, and the
stored standings (members, units, the contest over its closed rounds). Everything is computed in the
database in a few set-based statements (window functions), so a round of a million attempts is ranked
without bringing it into Python.

Rules (docs/rules-as-built.md, prediction question and ranking):
- valid attempts are submitted or expired and not disqualified; only they make the official counts;
- the counted attempt per member follows the round: best (score, then shorter, then earlier), first,
  last, or first perfect (the first attempt with every answer right; without one, the best);
- a perfect score is every drawn question right;
- rank = RANK() over the contest's tie-break chain: members equal on every key of the chain share a rank.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, case, cast, delete, func, insert, literal, null, select
from sqlmodel import Session, col

from app.models import Attempt, Contest, ContestStanding, Round, Standing, Unit, UnitStanding
from app.models.contests import RoundStatus
from app.models.quiz import AttemptStatus
from app.models.types import utcnow
from app.services.org.units import subtree_totals

FINISHED = (AttemptStatus.submitted, AttemptStatus.expired)
SORT_MEMORY = "64MB"  # PostgreSQL's work_mem while ranking (docs/performance.md#closing-and-ranking)


@contextmanager
def _sort_memory(session: Session) -> Iterator[None]:
    """On PostgreSQL, the ranking's sorts get SORT_MEMORY (work_mem is 4 MB by default, and a round of 100,000
    members then sorts through temporary files), for the statements inside only."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.execute(select(func.current_setting("work_mem"))).scalar_one()
    session.execute(select(func.set_config("work_mem", SORT_MEMORY, True)))
    yield  # (after an error the transaction is rolled back, and the setting with it)
    session.execute(select(func.set_config("work_mem", before, True)))


def valid_attempts(round_id: int) -> Any:
    """The WHERE clause of the attempts that count for anything in a round."""
    return and_(col(Attempt.round_id) == round_id, col(Attempt.status).in_(FINISHED), col(Attempt.disqualified_at).is_(None))


def _perfect(a: Any) -> Any:
    return and_(a.question_count > 0, a.correct_count == a.question_count)


def official_counts(*, session: Session, round_id: int) -> dict[str, int]:
    """participants (distinct members), attempts, perfect_scorers (distinct members with a perfect attempt)."""
    a = Attempt.__table__.c
    row = session.execute(
        select(
            func.count(func.distinct(a.member_id)),
            func.count(),
            func.count(func.distinct(case((_perfect(a), a.member_id), else_=None))),
        ).where(valid_attempts(round_id))
    ).one()
    return {"participants": int(row[0]), "attempts": int(row[1]), "perfect_scorers": int(row[2])}


def truth_of(round_: Round, counts: dict[str, int]) -> int | None:
    """The true value of the round's prediction question, from the official counts."""
    return counts.get(round_.prediction_kind) if round_.prediction_kind else None


def _counted_order(policy: str, a: Any) -> list[Any]:
    best = [a.score.desc(), a.duration_ms.asc(), a.submitted_at.asc(), a.id.asc()]
    if policy == "first":
        return [a.number.asc()]
    if policy == "last":
        return [a.number.desc()]
    if policy == "first_perfect":
        perfect = _perfect(a)
        return [case((perfect, 0), else_=1), case((perfect, a.number), else_=0), *best]
    return best


def chain_order(keys: list[str], c: Any) -> list[Any]:
    """ORDER BY for a tie-break chain over columns named score, prediction_error, duration_ms, submitted_at."""
    order: list[Any] = []
    for key in keys:
        if key == "score":
            order.append(c.score.desc())
        elif key == "prediction_error":  # no prediction ranks after every prediction
            order += [case((c.prediction_error.is_(None), 1), else_=0), c.prediction_error.asc()]
        elif key == "duration":
            order.append(c.duration_ms.asc())
        elif key == "submitted_at":
            order.append(c.submitted_at.asc())
    return order


STANDING_COLUMNS = (
    "round_id",
    "member_id",
    "attempt_id",
    "unit_id",
    "unit_path",
    "rank",
    "score",
    "correct_count",
    "question_count",
    "prediction",
    "prediction_error",
    "duration_ms",
    "submitted_at",
    "attempts",
)


def build_round(*, session: Session, round_: Round, truth: int | None, now: datetime | None = None) -> int:
    """Replace the round's stored standings (members and units). Returns how many members are ranked."""
    assert round_.id is not None
    contest = session.get(Contest, round_.contest_id)
    assert contest is not None
    a = Attempt.__table__.c
    u = Unit.__table__.c
    error = func.abs(a.prediction - truth) if truth is not None else cast(null(), Integer)
    counted = (
        select(
            a.id.label("attempt_id"),
            a.member_id,
            a.unit_id,
            func.coalesce(a.score, 0).label("score"),
            func.coalesce(a.correct_count, 0).label("correct_count"),
            a.question_count,
            a.prediction,
            case((a.prediction.is_(None), None), else_=error).label("prediction_error"),
            func.coalesce(a.duration_ms, 0).label("duration_ms"),
            a.submitted_at,
            func.count().over(partition_by=a.member_id).label("attempts"),
            func.row_number().over(partition_by=a.member_id, order_by=_counted_order(round_.counted_attempt, a)).label("rn"),
        ).where(valid_attempts(round_.id))
    ).subquery("counted")
    c = counted.c
    # The unit's path is joined to the counted attempts only: one row per member, not one per attempt, and a
    # narrower row through the sort by member (docs/performance.md#closing-and-ranking).
    ranked = (
        select(
            literal(round_.id),
            c.member_id,
            c.attempt_id,
            c.unit_id,
            u.path,
            func.rank().over(order_by=chain_order(contest.tie_break, c)),
            c.score,
            c.correct_count,
            c.question_count,
            c.prediction,
            c.prediction_error,
            c.duration_ms,
            c.submitted_at,
            c.attempts,
        )
        .join_from(counted, Unit.__table__, u.id == c.unit_id)
        .where(c.rn == 1)
    )
    session.execute(delete(Standing).where(col(Standing.round_id) == round_.id))
    with _sort_memory(session):
        session.execute(insert(Standing).from_select(list(STANDING_COLUMNS), ranked))
    ranked_count = session.execute(select(func.count()).select_from(Standing).where(col(Standing.round_id) == round_.id)).scalar_one()
    build_units(session=session, round_=round_, contest=contest)
    round_.standings_built_at = now or utcnow()
    session.flush()
    return int(ranked_count)


UNIT_CRITERIA = ("participation_rate", "average_score", "participants", "perfect_count")


def _unit_key(row: dict[str, Any], criterion: str) -> tuple:
    rate = row["participation_rate"] if row["participation_rate"] is not None else -1.0
    avg = row["average_score"] if row["average_score"] is not None else -1.0
    keys = {
        "participation_rate": (rate, avg),
        "average_score": (avg, rate),
        "participants": (row["participants"], rate),
        "perfect_count": (row["perfect_count"], avg),
    }
    return tuple(-x for x in keys.get(criterion, keys["participation_rate"]))


def build_units(*, session: Session, round_: Round, contest: Contest) -> None:
    """Every unit of the contest's scope, with its whole subtree's figures, ranked among its siblings. The rate
    is the subtree's participants over the subtree's declared headcount, so a ward never outranks all its cells."""
    scope = session.get(Unit, contest.scope_unit_id)
    assert scope is not None and round_.id is not None
    units = session.execute(
        select(col(Unit.id), col(Unit.parent_id), col(Unit.path), col(Unit.headcount)).where(
            col(Unit.path).startswith(scope.path, autoescape=True)
        )
    ).all()
    s = Standing.__table__.c
    direct = session.execute(
        select(
            s.unit_id,
            func.count(),
            func.sum(s.attempts),
            func.sum(s.score),
            func.sum(case((and_(s.question_count > 0, s.correct_count == s.question_count), 1), else_=0)),
        )
        .where(s.round_id == round_.id)
        .group_by(s.unit_id)
    ).all()
    path_of = {uid: path for uid, _parent, path, _hc in units}
    headcounts = subtree_totals((path, headcount or 0) for _uid, _parent, path, headcount in units)
    totals = _subtree_figures(direct, path_of, scope.path)
    rows = [_unit_row(round_.id, uid, parent_id, totals[uid], headcounts.get(uid, 0)) for uid, parent_id, _path, _own in units]
    _rank_siblings(rows, contest.unit_rank_by)
    session.execute(delete(UnitStanding).where(col(UnitStanding.round_id) == round_.id))
    for start in range(0, len(rows), 2000):
        session.execute(insert(UnitStanding), rows[start : start + 2000])


def _subtree_figures(direct: Sequence[Any], path_of: dict[int, str], scope_path: str) -> dict[int, list[int]]:
    """Each unit's figures with its whole subtree's: participants, attempts, score, perfect."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for unit_id, participants, attempts_, score, perfect in direct:
        path = path_of.get(unit_id)
        if path is None:  # the member's unit has left the scope since: counted for the scope only
            path = scope_path
        for ancestor in (int(x) for x in path.strip("/").split("/")):
            if ancestor in path_of:
                t = totals[ancestor]
                t[0] += participants
                t[1] += int(attempts_ or 0)
                t[2] += int(score or 0)
                t[3] += int(perfect or 0)
    return totals


def _unit_row(round_id: int, uid: int, parent_id: int | None, figures: list[int], headcount: int) -> dict[str, Any]:
    participants, attempts_, score, perfect = figures
    return {
        "round_id": round_id,
        "unit_id": uid,
        "parent_id": parent_id,
        "participants": participants,
        "attempts": attempts_,
        "headcount": headcount,
        "participation_rate": round(participants / headcount, 6) if headcount else None,
        "average_score": round(score / participants, 4) if participants else None,
        "perfect_count": perfect,
    }


def _rank_siblings(rows: list[dict[str, Any]], criterion: str) -> None:
    """Each row's rank among the units of the same parent; equal keys share a rank (1, 1, 3)."""
    by_parent: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_parent[row["parent_id"]].append(row)
    for siblings in by_parent.values():
        siblings.sort(key=lambda r: _unit_key(r, criterion))
        previous, rank = None, 0
        for n, row in enumerate(siblings, start=1):
            key = _unit_key(row, criterion)
            if key != previous:
                rank, previous = n, key
            row["rank"] = rank


CONTEST_COLUMNS = (
    "contest_id",
    "member_id",
    "unit_id",
    "unit_path",
    "rank",
    "rounds",
    "score",
    "correct_count",
    "prediction",
    "prediction_error",
    "duration_ms",
    "submitted_at",
)


def build_contest(*, session: Session, contest: Contest) -> int:
    """Totals over the contest's closed rounds: counted scores summed, ranked by the same chain on the totals
    (prediction errors and durations summed, the last submission's time). The unit is the member's unit
    in their latest round."""
    assert contest.id is not None
    s = Standing.__table__.c
    r = Round.__table__.c
    per = lambda e: e.over(partition_by=s.member_id)  # noqa: E731
    totals = (
        select(
            s.member_id,
            s.unit_id,
            s.unit_path,
            per(func.count()).label("rounds"),
            per(func.sum(s.score)).label("score"),
            per(func.sum(s.correct_count)).label("correct_count"),
            per(func.sum(s.prediction)).label("prediction"),
            per(func.sum(s.prediction_error)).label("prediction_error"),
            per(func.sum(s.duration_ms)).label("duration_ms"),
            per(func.max(s.submitted_at)).label("submitted_at"),
            func.row_number().over(partition_by=s.member_id, order_by=r.closes_at.desc()).label("rn"),
        )
        .join_from(Standing.__table__, Round.__table__, r.id == s.round_id)
        .where(r.contest_id == contest.id, r.status == RoundStatus.closed)
    ).subquery("totals")
    t = totals.c
    ranked = select(
        literal(contest.id),
        t.member_id,
        t.unit_id,
        t.unit_path,
        func.rank().over(order_by=chain_order(contest.tie_break, t)),
        t.rounds,
        t.score,
        t.correct_count,
        t.prediction,
        t.prediction_error,
        t.duration_ms,
        t.submitted_at,
    ).where(t.rn == 1)
    session.execute(delete(ContestStanding).where(col(ContestStanding.contest_id) == contest.id))
    with _sort_memory(session):
        session.execute(insert(ContestStanding).from_select(list(CONTEST_COLUMNS), ranked))
    session.flush()
    return int(
        session.execute(select(func.count()).select_from(ContestStanding).where(col(ContestStanding.contest_id) == contest.id)).scalar_one()
    )
