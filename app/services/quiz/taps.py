"""Saving taps in the usual case, many to a transaction (group commit). The prediction field is saved the same
way: a tap that carries a number instead of options.

A transaction per tap would queue every save of the city for the writer lock (docs/performance.md#tap-writer).
Here one writer thread per process saves all the taps waiting in one transaction, then answers each: a save
is acknowledged only once committed, and taps of one answer keep their order (last wins).

Anything unusual (not the member's, over, late, no such question, the session revoked, or a database
error) is handed back as None, and the caller then takes attempts.save_answer, which explains it or
finalises the attempt; a choice that does not fit the question raises Invalid as save_answer would.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Integer, and_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from app.db import DriverStatement, by_key, writer
from app.errors import AppError
from app.models import Answer, Attempt, AttemptQuestion, Member, Round
from app.models.quiz import AttemptStatus
from app.models.types import is_db_id, utcnow
from app.services.kit.batches import GroupCommit
from app.services.quiz.rules import check_choice, save_refusal

log = logging.getLogger(__name__)


_a, _q, _m, _r = Attempt.__table__.c, AttemptQuestion.__table__.c, Member.__table__.c, Round.__table__.c
# what TapWriter._may_save checks of a tap's attempt and its member
_CHECKED = (_a.member_id, _a.status, _a.deadline_at, _m.active, _m.token_version, _m.must_change_password)
# On SQLite, where a statement is a function call and not a round trip, one read per tap: cheaper there than
# a read of the batch (docs/performance.md#tap-writer). On PostgreSQL a lone tap's read, with the share lock of
# the batch read below.
_READ_ONE = (
    select(_a.id, *_CHECKED, _q.kind, _q.options)
    .select_from(
        Attempt.__table__.join(Member.__table__, _m.id == _a.member_id).outerjoin(
            AttemptQuestion.__table__, and_(_q.attempt_id == _a.id, _q.position == bindparam("position"))
        )
    )
    .where(_a.id == bindparam("attempt_id"))
)
# PostgreSQL, one read for a batch of several taps: each (attempt, position) pair's attempt, member and
# question, the pairs given as two arrays (two IN lists read every question of the batch's positions in each
# of its attempts, 64 rows of options for 8 taps). The attempts are read with a share lock, which a submit's
# row lock waits for (and the other way round), so a tap is checked against the attempt's status as it is
# when it is written: a save racing a submit is either in the score or refused, never acknowledged and left out.
_PAIRS = (
    func.unnest(bindparam("ids", type_=ARRAY(Integer)), bindparam("positions", type_=ARRAY(Integer)))
    .table_valued("attempt_id", "position")
    .render_derived(name="pair")
)
_READ_PAIRS = (
    select(_PAIRS.c.attempt_id.label("id"), _PAIRS.c.position, *_CHECKED, _q.kind, _q.options)
    .select_from(
        _PAIRS.join(Attempt.__table__, _a.id == _PAIRS.c.attempt_id)
        .join(Member.__table__, _m.id == _a.member_id)
        .outerjoin(AttemptQuestion.__table__, and_(_q.attempt_id == _PAIRS.c.attempt_id, _q.position == _PAIRS.c.position))
    )
    .with_for_update(read=True, of=Attempt.__table__)
)
# A prediction: the attempt, whether its round takes one, and whether an earlier finished attempt of the member
# has one (where the round locks predictions to the first, attempts.save_prediction then decides).
_earlier = Attempt.__table__.alias("earlier")
_LOCKED = (
    select(_earlier.c.id)
    .where(_earlier.c.round_id == _a.round_id, _earlier.c.member_id == _a.member_id, _earlier.c.id != _a.id)
    .where(_earlier.c.status != bindparam("in_progress"), _earlier.c.prediction.is_not(None))
    .exists()
)
_READ_PREDICTION = (
    select(_a.id, *_CHECKED, _r.prediction_kind, (_r.prediction_lock_first & _LOCKED).label("locked"))
    .select_from(Attempt.__table__.join(Member.__table__, _m.id == _a.member_id).join(Round.__table__, _r.id == _a.round_id))
    .where(_a.id == bindparam("attempt_id"))
)
_SET_PREDICTION = (
    update(Attempt.__table__)
    .where(_a.id == bindparam("attempt_id"))
    .values(
        prediction=bindparam("prediction", type_=_a.prediction.type),
        prediction_saved_at=bindparam("saved_at", type_=_a.prediction_saved_at.type),
    )
)


@functools.cache
def upsert_statement(dialect: str) -> Any:
    """Save an answer (attempt_id, position, option_ids, saved_at), replacing the one saved before."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Answer.__table__).values(
        attempt_id=bindparam("attempt_id"),
        position=bindparam("position"),
        option_ids=bindparam("option_ids"),
        saved_at=bindparam("saved_at"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["attempt_id", "position"], set_={"option_ids": stmt.excluded.option_ids, "saved_at": stmt.excluded.saved_at}
    )


@dataclass
class Tap:
    member_id: int
    token_version: int | None  # the session's, checked against the member's; None: the caller checked it
    attempt_id: int
    position: int
    option_ids: list[str]
    now: datetime
    done: Future = field(default_factory=Future)
    prediction: int | None = None  # set: this is the prediction field (position 0, no options), not a question


class TapWriter:
    """One per app (made in create_app, app.state.taps): a daemon thread that saves the waiting taps in one
    transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._engine = writer(engine)
        self._dialect = engine.dialect.name
        self._group: GroupCommit[Tap] = GroupCommit("hoithi-taps", self._save)
        # every read and upsert on the DB-API connection (db.DriverStatement): SQLAlchemy's execute cost more than
        # the statements (docs/performance.md#tap-writer)
        self._read_one = DriverStatement(
            _READ_ONE if self._dialect == "sqlite" else _READ_ONE.with_for_update(read=True, of=Attempt.__table__)
        )
        self._read_pairs = DriverStatement(_READ_PAIRS)
        self._upsert = DriverStatement(upsert_statement(self._dialect))
        self._read_prediction = DriverStatement(
            _READ_PREDICTION if self._dialect == "sqlite" else _READ_PREDICTION.with_for_update(read=True, of=Attempt.__table__)
        )
        self._set_prediction = DriverStatement(_SET_PREDICTION)

    def submit(self, tap: Tap) -> Future:
        self._group.submit(tap)
        return tap.done

    def _save(self, batch: list[Tap]) -> None:
        outcomes: list[tuple[Tap, Any, BaseException | None]] = []
        predicting = [tap for tap in batch if tap.prediction is not None]
        if predicting:
            batch = [tap for tap in batch if tap.prediction is None]
        try:
            with self._engine.begin() as conn:  # on SQLite, after the machine-wide writer lock (app.db)
                by_key(conn)  # its reads and upserts are by key
                if predicting:
                    outcomes += self._predictions(conn, predicting)
                attempts, questions = self._read(conn, batch) if batch else ({}, {})
                answers: dict[tuple[int, int], dict] = {}  # one row per answer: the batch's last tap of it
                for tap in batch:
                    try:
                        chosen = self._decide(tap, attempts.get(tap.attempt_id), questions.get((tap.attempt_id, tap.position)))
                    except AppError as exc:  # a choice that does not fit: that tap's answer
                        outcomes.append((tap, None, exc))
                        continue
                    if chosen is not None:
                        key = (tap.attempt_id, tap.position)
                        answers.pop(key, None)
                        answers[key] = {"attempt_id": tap.attempt_id, "position": tap.position, "option_ids": chosen, "saved_at": tap.now}
                    outcomes.append((tap, None if chosen is None else tap.now, None))
                if answers:
                    self._write(conn, list(answers.values()))
        except Exception:  # the transaction failed: nothing of it is saved; each tap takes the full path
            log.exception(
                "saving %d taps together failed; each goes the long way (save_answer, save_prediction)", len(batch) + len(predicting)
            )
            outcomes = [(tap, None, None) for tap in batch + predicting]
        for tap, saved, error in outcomes:
            if error is not None:
                tap.done.set_exception(error)
            else:
                tap.done.set_result(saved)

    def _predictions(self, conn: Connection, predicting: list[Tap]) -> list[tuple[Tap, Any, BaseException | None]]:
        """Each prediction the round takes, not locked by an earlier attempt, that the attempt may still save, written
        (the batch's last of an attempt); the others (None) take attempts.save_prediction, which says why or
        applies the lock."""
        rows: dict[int, dict] = {}
        outcomes: list[tuple[Tap, Any, BaseException | None]] = []
        for tap in predicting:
            values = {"attempt_id": tap.attempt_id, "in_progress": AttemptStatus.in_progress}
            attempt = self._read_prediction.first(conn, values) if is_db_id(tap.attempt_id) else None  # as in _read
            usual = attempt is not None and attempt.prediction_kind and not attempt.locked and self._may_save(tap, attempt)
            if usual:
                rows.pop(tap.attempt_id, None)
                rows[tap.attempt_id] = {"attempt_id": tap.attempt_id, "prediction": tap.prediction, "saved_at": tap.now}
            outcomes.append((tap, tap.now if usual else None, None))
        if rows:
            self._set_prediction.many(conn, list(rows.values()))
        return outcomes

    def _read(self, conn: Connection, batch: list[Tap]) -> tuple[dict[int, Any], dict[tuple[int, int], Any]]:
        """The batch's attempts (with their members) by id, and its questions by (attempt, position)."""
        # an id no row can have is left out (its tap goes the long way, which answers it): in the batch's
        # statement PostgreSQL would refuse it, and every other tap of the batch with it
        keys = sorted({(t.attempt_id, t.position) for t in batch if is_db_id(t.attempt_id)})
        found: list[tuple[tuple[int, int], Any]]
        if self._dialect == "sqlite" or len(keys) == 1:  # a lone tap on PostgreSQL: no arrays to make and read
            found = [(key, self._read_one.first(conn, {"attempt_id": key[0], "position": key[1]})) for key in keys]
        else:
            rows = self._read_pairs.all(conn, {"ids": [k[0] for k in keys], "positions": [k[1] for k in keys]})
            found = [((r.id, r.position), r) for r in rows]
        attempts: dict[int, Any] = {}
        questions: dict[tuple[int, int], Any] = {}
        for key, row in found:
            if row is not None:
                attempts[key[0]] = row
                if row.kind is not None:
                    questions[key] = row
        return attempts, questions

    def _write(self, conn: Connection, answers: list[dict[str, Any]]) -> None:
        """The batch's answers, in key order: two workers' writers saving the same answers wait for each other,
        never in a circle."""
        answers.sort(key=lambda r: (r["attempt_id"], r["position"]))
        self._upsert.many(conn, answers)

    def _decide(self, tap: Tap, attempt: Any, question: Any) -> list[str] | None:
        """The options to save for this tap, or None when it is not the usual case."""
        if attempt is None or question is None or not self._may_save(tap, attempt):
            return None
        return check_choice((question.kind, question.options), tap.position, tap.option_ids)

    @staticmethod
    def _may_save(tap: Tap, attempt: Any) -> bool:
        """The member is active and need not first choose a new password, the session still valid, and the attempt
        theirs and open (rules.save_refusal)."""
        return bool(
            attempt.active
            and not attempt.must_change_password
            and (tap.token_version is None or attempt.token_version == tap.token_version)
            and save_refusal(
                owner_id=attempt.member_id, member_id=tap.member_id, status=attempt.status, deadline_at=attempt.deadline_at, now=tap.now
            )
            is None
        )


def new_tap(
    *, member_id: int, token_version: int | None, attempt_id: int, position: int, option_ids: list[str], now: datetime | None = None
) -> Tap:
    return Tap(member_id, token_version, attempt_id, position, list(option_ids), now or utcnow())


def save(
    *,
    writer: TapWriter,
    member_id: int,
    attempt_id: int,
    position: int,
    option_ids: list[str],
    now: datetime | None = None,
    token_version: int | None = None,
) -> datetime | None:
    """A tap in the usual case, from a thread: blocks it until the tap is committed with the others waiting
    beside it; None when it is not the usual case (then attempts.save_answer says why)."""
    return writer.submit(
        new_tap(member_id=member_id, token_version=token_version, attempt_id=attempt_id, position=position, option_ids=option_ids, now=now)
    ).result()


async def wait(done: Future) -> Any:
    """On the event loop: the writer's answer, without a thread of the pool waiting for it."""
    return await asyncio.wrap_future(done)
