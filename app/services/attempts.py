"""Starting and resuming attempts. The server owns time: deadline = min(start + time limit, closes_at)."""
from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, Forbidden, NotFound, TooManyRequests
from app.models import Answer, Attempt, AttemptQuestion, Contest, Round, Unit
from app.models.attempt import AttemptOut, AttemptQuestionOut, AttemptStatus, OptionOut
from app.models.contest import ContestStatus
from app.models.types import is_db_id, utcnow
from app.services import drawing
from app.services.access import Actor


def _round_for(session: Session, actor: Actor, round_id: int) -> tuple[Round, Contest]:
    round_ = session.get(Round, round_id) if is_db_id(round_id) else None
    contest = session.get(Contest, round_.contest_id) if round_ else None
    if round_ is None or contest is None or contest.status == ContestStatus.draft:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    scope = session.get(Unit, contest.scope_unit_id)
    assert scope is not None and actor.unit is not None
    if not actor.unit.path.startswith(scope.path):
        raise Forbidden(N_("Cuộc thi này dành cho đảng viên, hội viên thuộc {unit}."), unit=scope.name)
    return round_, contest


def current(*, session: Session, round_id: int, member_id: int) -> Attempt | None:
    return session.exec(select(Attempt).where(Attempt.round_id == round_id, Attempt.member_id == member_id,
                                              Attempt.status == AttemptStatus.in_progress)).first()


def finalise_if_due(*, session: Session, attempt: Attempt, now: datetime) -> Attempt:
    """An attempt past its deadline is finalised with the answers it has: never lost, never extended."""
    if attempt.status == AttemptStatus.in_progress and now >= attempt.deadline_at:
        attempt.status = AttemptStatus.expired
        attempt.submitted_at = attempt.deadline_at
        attempt.duration_ms = int((attempt.deadline_at - attempt.started_at).total_seconds() * 1000)
        session.flush()
    return attempt


def start(*, session: Session, actor: Actor, round_id: int, ip: str | None = None, user_agent: str | None = None,
          now: datetime | None = None) -> tuple[Attempt, bool]:
    """(attempt, created). A member with an attempt in progress gets that one back (reload, second phone)."""
    now = now or utcnow()
    round_, _contest = _round_for(session, actor, round_id)
    if now < round_.opens_at:
        raise Conflict(N_("Vòng thi chưa mở."))
    if now >= round_.closes_at or round_.status == "closed":
        raise Conflict(N_("Vòng thi đã đóng."))
    existing = current(session=session, round_id=round_id, member_id=actor.id)
    if existing is not None:
        finalise_if_due(session=session, attempt=existing, now=now)
        if existing.status == AttemptStatus.in_progress:
            return existing, False
    done = session.exec(select(func.count()).select_from(Attempt).where(
        Attempt.round_id == round_id, Attempt.member_id == actor.id)).one()
    if round_.attempts_allowed and done >= round_.attempts_allowed:
        raise Conflict(N_("Bạn đã dùng hết {n} lượt thi của vòng này."), n=round_.attempts_allowed)
    if round_.cooldown_s and done:
        last = session.exec(select(func.max(Attempt.submitted_at)).where(
            Attempt.round_id == round_id, Attempt.member_id == actor.id)).one()
        if last is not None and now < last + timedelta(seconds=round_.cooldown_s):
            wait = int((last + timedelta(seconds=round_.cooldown_s) - now).total_seconds()) + 1
            raise TooManyRequests(N_("Bạn cần chờ {minutes} phút nữa mới được thi lượt tiếp theo."),
                                  headers={"Retry-After": str(wait)}, minutes=max(1, -(-wait // 60)))
    assert actor.unit is not None
    seed = secrets.token_hex(8)
    attempt = Attempt(round_id=round_id, member_id=actor.id, unit_id=actor.unit.id, number=done + 1, seed=seed,
                      started_at=now, deadline_at=min(now + timedelta(seconds=round_.time_limit_s), round_.closes_at),
                      ip=ip, user_agent=(user_agent or "")[:300] or None)
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:
        # Another request of the same member started one a moment ago: the database let only one through.
        winner = current(session=session, round_id=round_id, member_id=actor.id)
        if winner is None:
            raise
        return winner, False
    assert attempt.id is not None
    rng = random.Random(seed)
    ids = drawing.pick_question_ids(session=session, round_=round_, rng=rng)
    drawing.snapshot(session=session, attempt_id=attempt.id, question_ids=ids, rng=rng,
                     shuffle_options=round_.shuffle_options)
    session.flush()
    return attempt, True


def get_own(*, session: Session, actor: Actor, attempt_id: int, now: datetime | None = None) -> Attempt:
    attempt = session.get(Attempt, attempt_id) if is_db_id(attempt_id) else None
    if attempt is None or attempt.member_id != actor.id:
        raise NotFound(N_("Không tìm thấy lượt thi."))
    return finalise_if_due(session=session, attempt=attempt, now=now or utcnow())


def public(*, session: Session, attempt: Attempt, now: datetime | None = None) -> AttemptOut:
    """What the member's phone may know: questions and opaque option ids, their own answers, the time
    left. Never correctness, the key or the score (those follow the round's visibility rule)."""
    assert attempt.id is not None
    now = now or utcnow()
    questions = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                             .order_by(AttemptQuestion.position)).all()
    answers = session.exec(select(Answer).where(col(Answer.attempt_id) == attempt.id)).all()
    remaining = max(0, int((attempt.deadline_at - now).total_seconds())) \
        if attempt.status == AttemptStatus.in_progress else 0
    return AttemptOut(
        id=attempt.id, round_id=attempt.round_id, status=attempt.status, started_at=attempt.started_at,
        deadline_at=attempt.deadline_at, remaining_s=remaining, prediction=attempt.prediction,
        questions=[AttemptQuestionOut(position=q.position, text=q.text, kind=q.kind,
                                      options=[OptionOut(id=o["id"], text=o["text"]) for o in q.options])
                   for q in questions],
        answers={a.position: a.option_ids for a in answers})
