"""What judges do with a round: look at it (scope checks, also for a contest as a whole), disqualify and
reinstate. An attempt read in full is in app.services.results.auditing, prizes in app.services.results.prizes, the
seal in app.services.results.sealing, files in app.services.results.results.

Who: a judge (or admin) whose subtree holds the unit in question. A judge of a cell audits and exports
their cell; deciding for the whole round (prizes, the seal) needs a judge of the contest's scope.
Disqualification is a decision on a member's place, so it is always explained (a reason is mandatory),
audited, and followed by the standings, the official totals and so the prediction truth (app.services.results.closing
.rebuild_after_change, which refuses a sealed round)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, exists, func, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, Forbidden, Invalid, NotFound
from app.models import Attempt, Contest, Member, Round, Standing, Unit
from app.models.results import AttemptFlag
from app.models.types import is_db_id, utcnow
from app.services.kit import audit
from app.services.kit.text import clean
from app.services.org import units
from app.services.org.access import JUDGE, Actor
from app.services.results import closing, flags
from app.services.results.ranking import FINISHED

REASON_MAX = 500


@dataclass
class JudgedRound:
    round: Round
    contest: Contest
    scope: Unit  # the contest's scope unit
    unit: Unit  # the unit asked for (the scope, or a unit inside it the judge covers)

    @property
    def whole(self) -> bool:
        return self.unit.id == self.scope.id


@dataclass
class JudgedContest:
    contest: Contest
    scope: Unit  # the contest's scope unit
    unit: Unit  # the unit asked for (the scope, or a unit inside it the judge covers)


def _judged_unit(session: Session, actor: Actor, scope: Unit, unit_code: str | None, missing: str) -> Unit:
    """The unit a judge asks for inside a contest's scope. Without unit_code: the scope when the judge covers it,
    else the judge's own unit inside the scope. Outside the judge's reach the contest (or round) does not exist
    for them (`missing`); a unit outside their reach is refused by name."""
    return units.reached_unit(
        session=session,
        actor=actor,
        scope=scope,
        unit_code=unit_code,
        roles=JUDGE,
        missing=missing,
        outside=N_("Đơn vị {code} không thuộc phạm vi cuộc thi."),
    )


OWN_ATTEMPT = N_("Giám khảo không xem xét, loại hay khôi phục lượt thi của chính mình: việc này do giám khảo khác làm.")


def judge_round(*, session: Session, actor: Actor, round_id: int, unit_code: str | None = None, whole: bool = False) -> JudgedRound:
    """The round for a judge, for the unit asked for (see _judged_unit). `whole` asks for the whole scope
    (prizes, seal)."""
    round_ = session.get(Round, round_id) if is_db_id(round_id) else None
    contest = session.get(Contest, round_.contest_id) if round_ else None
    scope = session.get(Unit, contest.scope_unit_id) if contest else None
    if round_ is None or contest is None or scope is None:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    unit = _judged_unit(session, actor, scope, unit_code, N_("Không tìm thấy vòng thi."))
    judged = JudgedRound(round=round_, contest=contest, scope=scope, unit=unit)
    if whole and not judged.whole:
        actor.require(scope, JUDGE)
    return judged


def reach_unit(*, session: Session, actor: Actor, judged: JudgedRound) -> Unit:
    """The widest unit of the round the judge may look at (what a unit picker offers, with its subtree)."""
    return _judged_unit(session, actor, judged.scope, None, N_("Không tìm thấy vòng thi."))


def judge_contest(*, session: Session, actor: Actor, contest_id: int, unit_code: str | None = None) -> JudgedContest:
    """A contest as a whole (its totals over the closed rounds) for a judge, with the same reach as a round."""
    contest = session.get(Contest, contest_id) if is_db_id(contest_id) else None
    scope = session.get(Unit, contest.scope_unit_id) if contest else None
    if contest is None or scope is None:
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    unit = _judged_unit(session, actor, scope, unit_code, N_("Không tìm thấy cuộc thi."))
    return JudgedContest(contest=contest, scope=scope, unit=unit)


def judged_attempt(session: Session, actor: Actor, attempt_id: int) -> tuple[Attempt, Round]:
    attempt = session.get(Attempt, attempt_id) if is_db_id(attempt_id) else None
    unit = session.get(Unit, attempt.unit_id) if attempt else None
    if attempt is None or unit is None or not actor.covers(unit, JUDGE):
        raise NotFound(N_("Không tìm thấy lượt thi."))
    if attempt.member_id == actor.id:
        raise Forbidden(OWN_ATTEMPT)
    round_ = session.get(Round, attempt.round_id)
    assert round_ is not None
    return attempt, round_


def _reason(reason: str | None) -> str:
    text = clean(reason)
    if not text:
        raise Invalid(N_("Cần ghi lý do."), field="reason")
    if len(text) > REASON_MAX:
        raise Invalid(N_("Lý do dài quá {max} ký tự."), field="reason", max=REASON_MAX)
    return text


def _check_changeable(round_: Round) -> None:
    if round_.sealed_at is not None:
        raise Conflict(N_("Kết quả vòng thi đã được niêm phong; không thay đổi được."))


def set_disqualified(
    *, session: Session, actor: Actor, attempt_id: int, disqualified: bool, reason: str | None, now: datetime | None = None
) -> Attempt:
    """Disqualify a finished attempt, or reinstate it; a reason is mandatory both ways. Standings follow."""
    attempt, round_ = judged_attempt(session, actor, attempt_id)
    text = _reason(reason)
    _check_changeable(round_)
    if attempt.status not in FINISHED:
        raise Conflict(N_("Lượt thi chưa kết thúc; chỉ xét loại lượt đã nộp."))
    if (attempt.disqualified_at is not None) == disqualified:
        return attempt  # already so: nothing to decide, nothing to log
    attempt.disqualified_at = (now or utcnow()) if disqualified else None
    attempt.disqualify_reason = text if disqualified else ""
    session.add(attempt)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.id,
        action="attempt.disqualify" if disqualified else "attempt.reinstate",
        entity="attempt",
        entity_id=attempt.id,
        ip=actor.ip,
        unit_id=attempt.unit_id,
        detail={"round_id": round_.id, "member_id": attempt.member_id, "reason": text},
    )
    closing.rebuild_after_change(session=session, round_=round_)
    return attempt


def set_member_disqualified(
    *, session: Session, actor: Actor, round_id: int, member_id: int, disqualified: bool, reason: str | None, now: datetime | None = None
) -> int:
    """Every finished attempt of a member in a round at once; returns how many attempts changed."""
    judged = judge_round(session=session, actor=actor, round_id=round_id)
    member = session.get(Member, member_id) if is_db_id(member_id) else None
    if member is None:
        raise NotFound(N_("Không tìm thấy hội viên."))
    if member.id == actor.id:
        raise Forbidden(OWN_ATTEMPT)
    text = _reason(reason)
    _check_changeable(judged.round)
    mine = (
        select(Attempt.id)
        .join(Unit, col(Unit.id) == Attempt.unit_id)
        .where(
            Attempt.round_id == judged.round.id,
            Attempt.member_id == member.id,
            col(Attempt.status).in_(FINISHED),
            col(Unit.path).startswith(judged.unit.path, autoescape=True),
        )
    )
    ids = list(session.exec(mine).all())
    if not ids:
        raise NotFound(N_("Hội viên không có lượt thi nào đã nộp trong vòng này."))
    changing = [col(Attempt.disqualified_at).is_(None)] if disqualified else [col(Attempt.disqualified_at).is_not(None)]
    # An UPDATE's result is a CursorResult (with the row count), though Session.execute is typed as a Result.
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(Attempt)
            .where(col(Attempt.id).in_(ids), *changing)
            .values(disqualified_at=(now or utcnow()) if disqualified else None, disqualify_reason=text if disqualified else "")
        ),
    )
    changed = int(result.rowcount or 0)
    if changed:
        audit.record(
            session=session,
            actor_id=actor.id,
            entity="member",
            entity_id=member.id,
            ip=actor.ip,
            unit_id=member.unit_id,
            action="member.disqualify" if disqualified else "member.reinstate",
            detail={"round_id": judged.round.id, "attempts": changed, "reason": text},
        )
        session.expire_all()
        round_ = session.get(Round, judged.round.id)
        assert round_ is not None
        closing.rebuild_after_change(session=session, round_=round_)
    return changed


# --- flags ---------------------------------------------------------------------------------------------
def flags_in(*, session: Session, judged: JudgedRound, kind: str | None = None) -> list[AttemptFlag]:
    """The round's flags on attempts made inside the judged unit's subtree."""
    stmt = (
        select(AttemptFlag)
        .join(Attempt, col(Attempt.id) == AttemptFlag.attempt_id)
        .join(Unit, col(Unit.id) == Attempt.unit_id)
        .where(AttemptFlag.round_id == judged.round.id, col(Unit.path).startswith(judged.unit.path, autoescape=True))
    )
    if kind:
        stmt = stmt.where(AttemptFlag.kind == kind)
    return list(session.exec(stmt.order_by(col(AttemptFlag.kind), col(AttemptFlag.attempt_id))).all())


def flag_counts(*, session: Session, judged: JudgedRound) -> dict[str, int]:
    """How many attempts inside the judged unit each kind of flag marks (one GROUP BY, not the flags themselves)."""
    rows = session.execute(
        select(AttemptFlag.kind, func.count())
        .join(Attempt, col(Attempt.id) == AttemptFlag.attempt_id)
        .join(Unit, col(Unit.id) == Attempt.unit_id)
        .where(AttemptFlag.round_id == judged.round.id, col(Unit.path).startswith(judged.unit.path, autoescape=True))
        .group_by(AttemptFlag.kind)
    ).all()
    return {kind: int(n) for kind, n in rows}


def recompute_flags(*, session: Session, actor: Actor, round_id: int) -> dict[str, int]:
    """On demand (they are also computed when the round closes): the flags of the whole round, afresh."""
    judged = judge_round(session=session, actor=actor, round_id=round_id)
    counts = flags.compute_round_flags(session=session, round_id=round_id)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="round.flags",
        entity="round",
        entity_id=judged.round.id,
        ip=actor.ip,
        unit_id=judged.scope.id,
        detail=counts,
    )
    return counts


# --- the judges' views -----------------------------------------------------------------------------------
def rounds_for(*, session: Session, actor: Actor) -> list[tuple[Round, Contest]]:
    """Rounds of published contests a judge can look at (their scope holds the judge's unit, or the other way)."""
    paths = actor.paths(JUDGE)
    if not paths:
        return []
    rows = session.exec(
        select(Round, Contest, Unit)
        .join(Contest, col(Contest.id) == Round.contest_id)
        .join(Unit, col(Unit.id) == Contest.scope_unit_id)
        .where(Contest.status != "draft")
        .order_by(col(Round.opens_at).desc(), col(Round.id))
    ).all()
    return [(r, c) for r, c, u in rows if any(u.path.startswith(p) or p.startswith(u.path) for p in paths)]


@dataclass
class JudgeRow:
    rank: int
    member_id: int
    full_name: str
    member_code: str
    unit_name: str
    attempt_id: int
    score: int
    correct_count: int
    question_count: int
    duration_ms: int
    submitted_at: datetime
    attempts: int
    flags: list[str]


def board(
    *,
    session: Session,
    judged: JudgedRound,
    min_score: int | None = None,
    max_score: int | None = None,
    flag: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[JudgeRow]]:
    """The round's standings inside the judged unit, filtered by score range and flag kind, in rank order."""
    where: list[ColumnElement[bool]] = [
        col(Standing.round_id) == judged.round.id,
        col(Standing.unit_path).startswith(judged.unit.path, autoescape=True),
    ]
    if min_score is not None:
        where.append(col(Standing.score) >= min_score)
    if max_score is not None:
        where.append(col(Standing.score) <= max_score)
    if flag:
        where.append(exists().where(col(AttemptFlag.attempt_id) == Standing.attempt_id, col(AttemptFlag.kind) == flag))
    total = session.execute(select(func.count()).select_from(Standing).where(*where)).scalar_one()
    rows = session.execute(
        select(Standing, Member.full_name, Member.member_code, Unit.name)
        .join(Member, col(Member.id) == Standing.member_id)
        .join(Unit, col(Unit.id) == Standing.unit_id)
        .where(*where)
        .order_by(col(Standing.rank), col(Member.sort_key), col(Standing.member_id))
        .limit(limit)
        .offset(offset)
    ).all()
    kinds: dict[int, list[str]] = {}
    ids = [s.attempt_id for s, *_ in rows]
    if ids:
        for f in session.exec(select(AttemptFlag).where(col(AttemptFlag.attempt_id).in_(ids))).all():
            kinds.setdefault(f.attempt_id, []).append(f.kind)
    return int(total), [
        JudgeRow(
            rank=s.rank,
            member_id=s.member_id,
            full_name=name,
            member_code=code,
            unit_name=unit_name,
            attempt_id=s.attempt_id,
            score=s.score,
            correct_count=s.correct_count,
            question_count=s.question_count,
            duration_ms=s.duration_ms,
            submitted_at=s.submitted_at,
            attempts=s.attempts,
            flags=sorted(kinds.get(s.attempt_id, [])),
        )
        for s, name, code, unit_name in rows
    ]


def disqualified(*, session: Session, judged: JudgedRound) -> list[tuple[Attempt, Member]]:
    """The round's disqualified attempts inside the judged unit, newest decision first."""
    return list(
        session.exec(
            select(Attempt, Member)
            .join(Member, col(Member.id) == Attempt.member_id)
            .join(Unit, col(Unit.id) == Attempt.unit_id)
            .where(
                Attempt.round_id == judged.round.id,
                col(Attempt.disqualified_at).is_not(None),
                col(Unit.path).startswith(judged.unit.path, autoescape=True),
            )
            .order_by(col(Attempt.disqualified_at).desc())
        ).all()
    )
