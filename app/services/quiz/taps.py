"""Saving taps in the usual case, many to a transaction (group commit).

Every member taps every answer: in the busiest minutes thousands of saves a second, each a read (is the
attempt the member's, in progress, in time; the question's options) and an upsert. Given a transaction
each, they queue one by one for SQLite's single writer lock (and on PostgreSQL each pays a commit). Here
the taps of a process go to one writer thread, which saves all that are waiting in one transaction (two
reads and one upsert on PostgreSQL, whatever their number) and then answers each of them: a save is acknowledged only
once it is committed, taps of one answer keep their order (last wins), and the queue wait is one
transaction of the taps ahead, not one per tap.

Anything unusual (not the member's, over, late, no such question, the session revoked, or a database
error) is handed back as None, and the caller then takes attempts.save_answer, which explains it or
finalises the attempt; a choice that does not fit the question raises Invalid as save_answer would.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from app.db import writer
from app.errors import N_, AppError, Invalid, NotFound
from app.models import Answer, Attempt, AttemptQuestion, Member
from app.models.quiz import AttemptStatus
from app.models.types import utcnow

log = logging.getLogger(__name__)
BATCH = 500  # taps in one transaction at most
GRACE = timedelta(seconds=5)  # network latency: a tap just before the deadline still counts


def too_late(deadline_at: datetime, now: datetime) -> bool:
    return now > deadline_at + GRACE


def check_choice(question: tuple[str, Sequence[dict]] | None, position: int, option_ids: list[str]) -> list[str]:
    """The chosen option ids, once each, if they belong to the question (kind, options) and fit its kind."""
    if question is None:
        raise NotFound(N_("Không có câu số {position} trong lượt thi này."), position=position)
    kind, options = question
    valid = {o["id"] for o in options}
    chosen = list(dict.fromkeys(option_ids))
    if any(o not in valid for o in chosen):
        raise Invalid(N_("Phương án đã chọn không thuộc câu hỏi này."), field="option_ids")
    if kind != "multiple" and len(chosen) > 1:
        raise Invalid(N_("Câu này chỉ chọn một phương án."), field="option_ids")
    return chosen


_a, _q, _m = Attempt.__table__.c, AttemptQuestion.__table__.c, Member.__table__.c
# Built once: a batch runs these three, whatever its size (two reads, one upsert of all its answers).
_ATTEMPTS = (
    select(_a.id, _a.member_id, _a.status, _a.deadline_at, _m.active, _m.token_version)
    .select_from(Attempt.__table__.join(Member.__table__, _m.id == _a.member_id))
    .where(_a.id.in_(bindparam("ids", expanding=True)))
)
# PostgreSQL: the batch's attempts are read with a share lock, which a submit's row lock waits for (and
# the other way round), so a tap is checked against the attempt's status as it is when it is written: a
# save racing a submit is either in the score or refused, never acknowledged and left out.
_ATTEMPTS_LOCKED = _ATTEMPTS.with_for_update(read=True, of=Attempt.__table__)
# On SQLite, where a statement is a function call and not a round trip, a tap's one read (measured faster
# than the two batch reads below, whose IN lists cost more than they save there).
_READ_ONE = (
    select(_a.id, _a.member_id, _a.status, _a.deadline_at, _m.active, _m.token_version, _q.kind, _q.options)
    .select_from(
        Attempt.__table__.join(Member.__table__, _m.id == _a.member_id).outerjoin(
            AttemptQuestion.__table__, and_(_q.attempt_id == _a.id, _q.position == bindparam("position"))
        )
    )
    .where(_a.id == bindparam("attempt_id"))
)
# (attempt, position) pairs as two IN lists (a few pairs too many, dropped in Python): SQLite does not use the
# index for a row-value IN and read the whole table.
_QUESTIONS = select(_q.attempt_id, _q.position, _q.kind, _q.options).where(
    _q.attempt_id.in_(bindparam("ids", expanding=True)), _q.position.in_(bindparam("positions", expanding=True))
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


class TapWriter:
    """One per process and engine: a daemon thread that saves the waiting taps in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._engine = writer(engine)
        self._dialect = engine.dialect.name
        self._queue: queue.SimpleQueue[Tap] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, tap: Tap) -> Future:
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="hoithi-taps", daemon=True)
                    self._thread.start()
        self._queue.put(tap)
        return tap.done

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._save(batch)

    def _save(self, batch: list[Tap]) -> None:
        outcomes: list[tuple[Tap, Any, BaseException | None]] = []
        try:
            with self._engine.begin() as conn:  # on SQLite, after the machine-wide writer lock (app.db)
                attempts, questions = self._read(conn, batch)
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
                    conn.execute(upsert_statement(self._dialect), list(answers.values()))
        except Exception:  # the transaction failed: nothing of it is saved; each tap takes the full path
            log.exception("saving %d taps together failed; each goes through save_answer", len(batch))
            outcomes = [(tap, None, None) for tap in batch]
        for tap, saved, error in outcomes:
            if error is not None:
                tap.done.set_exception(error)
            else:
                tap.done.set_result(saved)

    def _read(self, conn: Connection, batch: list[Tap]) -> tuple[dict[int, Any], dict[tuple[int, int], Any]]:
        """The batch's attempts (with their members) by id, and its questions by (attempt, position)."""
        attempts: dict[int, Any]
        questions: dict[tuple[int, int], Any]
        if self._dialect == "sqlite":
            attempts, questions = {}, {}
            for key in dict.fromkeys((t.attempt_id, t.position) for t in batch):
                row = conn.execute(_READ_ONE, {"attempt_id": key[0], "position": key[1]}).first()
                if row is not None:
                    attempts[key[0]] = row
                    if row.kind is not None:
                        questions[key] = row
            return attempts, questions
        ids = sorted({t.attempt_id for t in batch})
        attempts = {r.id: r for r in conn.execute(_ATTEMPTS_LOCKED, {"ids": ids})}
        questions = {
            (r.attempt_id, r.position): r for r in conn.execute(_QUESTIONS, {"ids": ids, "positions": sorted({t.position for t in batch})})
        }
        return attempts, questions

    def _decide(self, tap: Tap, attempt: Any, question: Any) -> list[str] | None:
        """The options to save for this tap, or None when it is not the usual case."""
        if (
            attempt is None
            or question is None
            or attempt.member_id != tap.member_id
            or attempt.status != AttemptStatus.in_progress
            or too_late(attempt.deadline_at, tap.now)
            or not attempt.active
            or (tap.token_version is not None and attempt.token_version != tap.token_version)
        ):
            return None
        return check_choice((question.kind, question.options), tap.position, tap.option_ids)


_writers: dict[int, TapWriter] = {}
_writers_lock = threading.Lock()


def writer_for(engine: Engine) -> TapWriter:
    found = _writers.get(id(engine))
    if found is not None and found.engine is engine:  # every tap: no lock once the writer exists
        return found
    with _writers_lock:
        found = _writers.get(id(engine))
        if found is None or found.engine is not engine:  # (an id reused by a new engine)
            found = _writers[id(engine)] = TapWriter(engine)
        return found


def new_tap(
    *, member_id: int, token_version: int | None, attempt_id: int, position: int, option_ids: list[str], now: datetime | None = None
) -> Tap:
    return Tap(member_id, token_version, attempt_id, position, list(option_ids), now or utcnow())


def save(
    *,
    engine: Engine,
    member_id: int,
    attempt_id: int,
    position: int,
    option_ids: list[str],
    now: datetime | None = None,
    token_version: int | None = None,
) -> datetime | None:
    """A tap in the usual case, from a thread: blocks it until the tap is committed with the others waiting
    beside it; None when it is not the usual case (then attempts.save_answer says why)."""
    return (
        writer_for(engine)
        .submit(
            new_tap(
                member_id=member_id, token_version=token_version, attempt_id=attempt_id, position=position, option_ids=option_ids, now=now
            )
        )
        .result()
    )


async def wait(done: Future) -> Any:
    """On the event loop: the writer's answer, without a thread of the pool waiting for it."""
    return await asyncio.wrap_future(done)
