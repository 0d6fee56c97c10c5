"""Starting an attempt: the round must be open and the member may have attempts left (the limit, then the wait
after the last one); a member with an attempt in progress gets it back (a reload, a second phone). Thousands start
within a minute of a round opening, so a start reads the member's earlier attempts once, draws the questions from
the attempt's seed and writes the attempt and its snapshot in two statements (docs/performance.md#starting-attempts)."""

from __future__ import annotations

import functools
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy import select as sa_select  # sqlmodel's select() is typed for at most four columns
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from app.db import reads_before_lock
from app.errors import N_, Conflict, TooManyRequests
from app.models import Attempt, Round
from app.models.contests import RoundStatus
from app.models.quiz import IN_PROGRESS_ONLY, AttemptStatus
from app.models.types import utcnow
from app.services.contests import drawing
from app.services.kit import offers
from app.services.org.access import Actor
from app.services.quiz import attempts, sheet


def _check_round_open(round_: Round, now: datetime) -> None:
    if now < round_.opens_at:
        raise Conflict(N_("Vòng thi chưa mở."))
    if now >= round_.closes_at or round_.status == RoundStatus.closed:
        raise Conflict(N_("Vòng thi đã đóng."))


@dataclass(frozen=True)
class _Past:
    """The member's attempts of the round so far, read once by a start (usually none)."""

    rows: Sequence[Any]

    @property
    def in_progress(self) -> int | None:
        return next((r.id for r in self.rows if r.status == AttemptStatus.in_progress), None)

    @property
    def locked_prediction(self) -> int | None:
        """As locked_prediction(): the prediction of the first finished attempt that has one."""
        return next((r.prediction for r in self.rows if r.status != AttemptStatus.in_progress and r.prediction is not None), None)


def _past(session: Session, round_id: int, member_id: int) -> _Past:
    return _Past(session.connection().execute(_PAST, {"round_id": round_id, "member_id": member_id}).all())


_at = Attempt.__table__
_PAST = (
    sa_select(_at.c.id, _at.c.number, _at.c.status, _at.c.submitted_at, _at.c.prediction)
    .where(_at.c.round_id == bindparam("round_id"), _at.c.member_id == bindparam("member_id"))
    .order_by(_at.c.number)
)


@functools.cache
def _insert(dialect: str) -> Any:
    """The new attempt, or nothing when the member has one in progress already (the partial unique index): no
    savepoint and no error to recover from when two starts of one member race."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(_at)
        # the index's predicate written in the SQL: as a bound value PostgreSQL matched it to the partial index only
        # in a plan made for that value, not in a generic one
        .on_conflict_do_nothing(index_elements=["round_id", "member_id"], index_where=text(IN_PROGRESS_ONLY))
        .returning(_at.c.id)
    )


def _check_attempts_left(past: _Past, round_: Round, now: datetime) -> int:
    """The member's attempts of the round so far, if they may start another now (limit, then the wait)."""
    done = len(past.rows)
    if round_.attempts_allowed and done >= round_.attempts_allowed:
        raise Conflict(N_("Bạn đã dùng hết {n} lượt thi của vòng này."), n=round_.attempts_allowed)
    if round_.cooldown_s and done:
        last = max((r.submitted_at for r in past.rows if r.submitted_at is not None), default=None)
        if last is not None and now < last + timedelta(seconds=round_.cooldown_s):
            wait = int((last + timedelta(seconds=round_.cooldown_s) - now).total_seconds()) + 1
            raise TooManyRequests(
                N_("Bạn cần chờ {minutes} phút nữa mới được thi lượt tiếp theo."),
                headers={"Retry-After": str(wait)},
                minutes=max(1, -(-wait // 60)),
            )
    return done


def start(
    *,
    session: Session,
    actor: Actor,
    round_id: int,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
    cache: offers.Cache | None = None,
) -> tuple[Attempt, bool]:
    """(attempt, created). A member with an attempt in progress gets that one back (reload, second phone). With
    the app's cache, what the round draws from is read once for the starts of a few seconds (drawing.pools_of)."""
    attempt, drawn = _start(session=session, actor=actor, round_id=round_id, ip=ip, user_agent=user_agent, now=now, cache=cache)
    return attempt, drawn is not None


def start_public(
    *,
    session: Session,
    actor: Actor,
    round_id: int,
    ip: str | None = None,
    user_agent: str | None = None,
    cache: offers.Cache | None = None,
) -> tuple[bytes, bool]:
    """start(), answered with what the phone may know of the attempt, as the API's JSON (AttemptOut's,
    sheet.json_of); a new one from what was just drawn, without reading it back. And whether it is new."""
    now = utcnow()
    attempt, drawn = _start(session=session, actor=actor, round_id=round_id, ip=ip, user_agent=user_agent, now=now, cache=cache)
    if drawn is None:
        return sheet.json_of(sheet.public_values(session=session, attempt=attempt, now=now)), False
    return sheet.json_of(sheet.values_of(attempt, drawn, {}, now)), True


def _start(
    *,
    session: Session,
    actor: Actor,
    round_id: int,
    ip: str | None,
    user_agent: str | None,
    now: datetime | None,
    cache: offers.Cache | None,
) -> tuple[Attempt, list[dict[str, Any]] | None]:
    """The attempt, and the rows of its snapshot when it is new (None: the one in progress, resumed).
    Thousands start within a minute of a round opening: a start reads the member's earlier attempts once,
    draws the questions from its seed and writes the attempt and its snapshot in two statements."""
    now = now or utcnow()
    # What a start reads comes before the writer lock; only the member's earlier attempts, which the insert
    # depends on, are read again under it (docs/performance.md#reads-before-the-writer-lock).
    with reads_before_lock(session) as apart:
        round_, _contest = attempts.round_for_member(session, actor, round_id)
        _check_round_open(round_, now)
        past = _past(session, round_id, actor.id)
        draw = _draw(session, round_, past, now, cache) if past.in_progress is None else None
    if apart and (locked := _past(session, round_id, actor.id)) != past:
        past, draw = locked, None  # another start or a submit of this member came in between: decide again
    if draw is None:
        if past.in_progress is not None:
            existing = session.get(Attempt, past.in_progress)
            assert existing is not None
            attempts.finalise_if_due(session=session, attempt=existing, now=now)
            if existing.status == AttemptStatus.in_progress:
                return existing, None
            past = _past(session, round_id, actor.id)
        draw = _draw(session, round_, past, now, cache)
    return _write(session, actor, round_, past, draw, now, ip=ip, user_agent=user_agent)


@dataclass(frozen=True)
class _Draw:
    number: int
    seed: str
    rows: list[dict[str, Any]]  # the snapshot's rows, their attempt_id still to be set


def _draw(session: Session, round_: Round, past: _Past, now: datetime, cache: offers.Cache | None) -> _Draw:
    """The new attempt's number and questions, if the member may start one (reads only)."""
    done = _check_attempts_left(past, round_, now)
    seed = secrets.token_hex(8)
    rng = random.Random(seed)
    ids = drawing.pick_question_ids(session=session, round_=round_, rng=rng, cache=cache)
    rows = drawing.drawn_rows(session=session, question_ids=ids, rng=rng, shuffle_options=round_.shuffle_options)
    return _Draw(done + 1, seed, rows)


def _write(
    session: Session, actor: Actor, round_: Round, past: _Past, draw: _Draw, now: datetime, *, ip: str | None, user_agent: str | None
) -> tuple[Attempt, list[dict[str, Any]] | None]:
    """The attempt and its snapshot, in two statements."""
    assert actor.unit is not None and actor.unit.id is not None and round_.id is not None
    attempt = Attempt(
        round_id=round_.id,
        member_id=actor.id,
        unit_id=actor.unit.id,
        number=draw.number,
        seed=draw.seed,
        started_at=now,
        deadline_at=min(now + timedelta(seconds=round_.time_limit_s), round_.closes_at),
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
        question_count=len(draw.rows),
        prediction=past.locked_prediction if round_.prediction_kind and round_.prediction_lock_first else None,
    )
    values = {c.name: getattr(attempt, c.name) for c in _at.columns if c.name != "id"}
    attempt.id = session.connection().execute(_insert(session.get_bind().dialect.name), values).scalar()
    if attempt.id is None:
        # Another request of the same member started one a moment ago: the database let only one through.
        winner = attempts.current(session=session, round_id=round_.id, member_id=actor.id)
        if winner is None:
            raise Conflict(N_("Vòng thi đang bận, vui lòng thử lại."))
        return winner, None
    make_transient_to_detached(attempt)  # the row just written, without reading it back
    session.add(attempt)
    drawing.store(session=session, attempt_id=attempt.id, rows=draw.rows)
    return attempt, draw.rows
