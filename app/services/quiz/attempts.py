"""An attempt once started (quiz.starting starts it): saving answers and the prediction, submitting, and
finalising it when time runs out (what the phone may see of it: quiz.sheet). The server owns time: deadline = min(start + time
limit, closes_at)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select  # sqlmodel's select() is typed for at most four columns
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from app.db import DriverStatement, NeedsDatabase, session_scope
from app.errors import N_, AppError, Conflict, Forbidden, Invalid, NotFound
from app.i18n import Quantity
from app.models import Attempt, AttemptEvent, AttemptQuestion, Contest, Round, Unit
from app.models.contests import ContestStatus
from app.models.quiz import AttemptStatus
from app.models.types import is_db_id, utcnow
from app.services.kit import offers
from app.services.org.access import JUDGE, Actor
from app.services.quiz import rules, sheet, taps
from app.services.quiz.rules import GRACE


def round_for_member(session: Session, actor: Actor, round_id: int, cache: offers.Cache | None = None) -> tuple[Round, Contest]:
    """The round, its contest and the contest's scope in one read: every start and rules page asks. A rules page
    may pass the app's cache (a few seconds old at most); a start reads them as they are now."""

    found = round_offer(session, round_id, cache)
    if found is None or found[1].status == ContestStatus.draft:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    round_, contest, scope = found
    assert actor.unit is not None
    if not actor.unit.path.startswith(scope.path):
        raise Forbidden(N_("Cuộc thi này dành cho đảng viên, hội viên thuộc {unit}."), unit=scope.name)
    return round_, contest


def round_offer(session: Session, round_id: int, cache: offers.Cache | None = None) -> tuple[Round, Contest, Unit] | None:
    """The round, its contest and the contest's scope, read together; with the app's cache, once for everyone
    asking within a few seconds (a rules page, a quiz page: not a start, which reads them as they are now)."""

    def read(db: Session) -> Any:
        found = db.exec(_ROUND_OFFER, params={"round_id": round_id}).first() if is_db_id(round_id) else None
        return tuple(offers.detached(db, found)) if found is not None and cache is not None else found

    return cast(tuple[Round, Contest, Unit] | None, offers.shared(cache, ("round-offer", round_id), session, read))


_ROUND_OFFER = (
    select(Round, Contest, Unit)
    .join(Contest, col(Contest.id) == Round.contest_id)
    .join(Unit, col(Unit.id) == Contest.scope_unit_id)
    .where(Round.id == bindparam("round_id"))
)


def current(*, session: Session, round_id: int, member_id: int) -> Attempt | None:
    return session.exec(
        select(Attempt).where(Attempt.round_id == round_id, Attempt.member_id == member_id, Attempt.status == AttemptStatus.in_progress)
    ).first()


def finalise(*, session: Session, attempt: Attempt, at: datetime) -> Attempt:
    """End an open attempt at `at` with the answers it has (time ran out, or the round was closed)."""
    round_ = session.get(Round, attempt.round_id)  # read first: one flush writes the attempt (submit says why)
    assert round_ is not None
    attempt.score, attempt.correct_count = score(session, attempt, round_)
    attempt.status = AttemptStatus.expired
    attempt.submitted_at = at
    attempt.duration_ms = max(0, int((at - attempt.started_at).total_seconds() * 1000))
    session.flush()
    return attempt


def finalise_if_due(*, session: Session, attempt: Attempt, now: datetime) -> Attempt:
    """An attempt past its deadline is finalised with the answers it has: never lost, never extended."""
    if attempt.status == AttemptStatus.in_progress and now >= attempt.deadline_at:
        finalise(session=session, attempt=attempt, at=attempt.deadline_at)
    return attempt


def get_own(
    *,
    session: Session,
    actor: Actor,
    attempt_id: int,
    now: datetime | None = None,
    grace: bool = False,
    lock: str | None = None,
    reads: Connection | None = None,
) -> Attempt:
    """The actor's own attempt, finalised first if its deadline has passed (with `grace`, only once the
    grace for answers still in flight has passed too: the caller is about to save). `lock` takes the
    attempt's row lock on PostgreSQL ("share" to save an answer, "update" to end the attempt), so a save
    and a submit of one attempt happen one after the other; SQLite's writes are serialised anyway.
    `reads`: read on that bare connection instead (db_loop.loop_reads), for a page made on the event loop."""
    if reads is not None:
        return _own_read(reads, actor, attempt_id, now or utcnow())
    options = {"read": lock == "share"} if lock else None
    attempt = session.get(Attempt, attempt_id, with_for_update=options) if is_db_id(attempt_id) else None
    if attempt is None or attempt.member_id != actor.id:
        raise NotFound(N_("Không tìm thấy lượt thi."))
    now = now or utcnow()
    return finalise_if_due(session=session, attempt=attempt, now=now - GRACE if grace else now)


_OWN_ON_DRIVER = DriverStatement(sa_select(Attempt.__table__).where(Attempt.__table__.c.id == bindparam("attempt_id")))


def _own_read(reads: Connection, actor: Actor, attempt_id: int, now: datetime) -> Attempt:
    """get_own on a bare connection: built without validation, as a cold member is, and not attached to a
    session. One past its time must be finalised, a write: the page is then made with the database."""
    row = _OWN_ON_DRIVER.first(reads, {"attempt_id": attempt_id}) if is_db_id(attempt_id) else None
    return _own_of(row._asdict() if row is not None else None, actor, now)


def _own_of(values: dict[str, Any] | None, actor: Actor, now: datetime) -> Attempt:
    """The attempt of the columns read, if it is the actor's; NeedsDatabase when it must be finalised first."""
    if values is None or values["member_id"] != actor.id:
        raise NotFound(N_("Không tìm thấy lượt thi."))
    attempt = Attempt.model_construct(**values)
    if attempt.status == AttemptStatus.in_progress and now >= attempt.deadline_at:
        raise NeedsDatabase("an attempt to finalise")
    return attempt


def own_sheet(*, session: Session, actor: Actor, attempt_id: int, reads: Connection | None = None) -> tuple[Attempt, sheet.Sheet]:
    """get_own and its sheet.sheet, for the quiz page. On a bare connection (`reads`) in one read: the attempt's
    row with its questions and their answers as one value (on PostgreSQL a read is a round trip;
    docs/performance.md#one-or-two-reads-a-page)."""
    if reads is None:
        attempt = get_own(session=session, actor=actor, attempt_id=attempt_id)
        return attempt, sheet.sheet(session=session, attempt=attempt)
    row = _OWN_SHEET.first(reads, {"attempt_id": attempt_id, "member_id": actor.id}) if is_db_id(attempt_id) else None
    attempt = _own_of({c.key: getattr(row, c.key) for c in _ATTEMPT_COLUMNS} if row is not None else None, actor, utcnow())
    assert row is not None  # _own_of found it
    return attempt, sheet.of_value(row.questions)


# The attempt's row and its questions with their answers as one value: one row, each value read once.
_ATTEMPT_COLUMNS = list(Attempt.__table__.c)
_OWN_SHEET = DriverStatement(
    sa_select(*_ATTEMPT_COLUMNS, sheet.questions_value(Attempt.__table__.c.id).label("questions")).where(
        Attempt.__table__.c.id == bindparam("attempt_id"), Attempt.__table__.c.member_id == bindparam("member_id")
    )
)


def get_readable(*, session: Session, actor: Actor, attempt_id: int, now: datetime | None = None) -> Attempt:
    """The owner's attempt, or any attempt of a member whose unit (when the attempt started) lies in a
    judge's scope. Anyone else is told it does not exist."""
    attempt = session.get(Attempt, attempt_id) if is_db_id(attempt_id) else None
    if attempt is not None and attempt.member_id != actor.id:
        unit = session.get(Unit, attempt.unit_id)
        if unit is None or not actor.covers(unit, JUDGE):
            attempt = None
    if attempt is None:
        raise NotFound(N_("Không tìm thấy lượt thi."))
    return finalise_if_due(session=session, attempt=attempt, now=now or utcnow())


def _in_progress(session: Session, actor: Actor, attempt_id: int, now: datetime) -> Attempt:
    """The attempt, if the member may save an answer to it now (rules.save_refusal, as the tap writer asks)."""
    attempt = get_own(session=session, actor=actor, attempt_id=attempt_id, now=now, grace=True, lock="share")
    refusal = rules.save_refusal(
        owner_id=attempt.member_id, member_id=actor.id, status=attempt.status, deadline_at=attempt.deadline_at, now=now
    )
    if refusal is not None:
        raise refusal.error()
    return attempt


def _upsert(session: Session, attempt_id: int, position: int, chosen: list[str], now: datetime) -> None:
    session.execute(
        taps.upsert_statement(session.get_bind().dialect.name),
        {"attempt_id": attempt_id, "position": position, "option_ids": chosen, "saved_at": now},
    )


def save_alone(
    *, engine: Engine, actor: Actor, attempt_id: int, position: int, option_ids: list[str], now: datetime | None = None
) -> datetime:
    """save_answer in its own unit of work: saves, or says why not (and finalises an attempt past its time)."""
    with session_scope(engine) as session:
        return save_answer(session=session, actor=actor, attempt_id=attempt_id, position=position, option_ids=option_ids, now=now)


# Only what the check needs (every tap of every member comes through here): not the text or explanation.
_CHOICE_COLUMNS = (AttemptQuestion.position, AttemptQuestion.kind, AttemptQuestion.options)


def save_answer(
    *, session: Session, actor: Actor, attempt_id: int, position: int, option_ids: list[str], now: datetime | None = None
) -> datetime:
    """One tap, one save. Saving the same position again replaces it (an upsert, so fifty retries of
    the same tap leave one answer)."""
    now = now or utcnow()
    attempt = _in_progress(session, actor, attempt_id, now)
    assert attempt.id is not None
    row = session.exec(
        select(*_CHOICE_COLUMNS).where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == position)
    ).first()
    chosen = rules.check_choice((row[1], row[2]) if row else None, position, option_ids)
    _upsert(session, attempt.id, position, chosen, now)
    return now


def save_answers(
    *, session: Session, actor: Actor, attempt_id: int, answers: dict[int, list[str]], now: datetime | None = None
) -> dict[int, AppError]:
    """A whole form at once (a browser without JavaScript): every valid answer is saved, each bad one is
    reported by its position and does not undo the others. Time up raises, as for one save."""
    now = now or utcnow()
    attempt = _in_progress(session, actor, attempt_id, now)
    assert attempt.id is not None
    questions = {
        pos: (kind, options)
        for pos, kind, options in session.exec(select(*_CHOICE_COLUMNS).where(AttemptQuestion.attempt_id == attempt.id)).all()
    }
    problems: dict[int, AppError] = {}
    for position, option_ids in sorted(answers.items()):
        try:
            _upsert(session, attempt.id, position, rules.check_choice(questions.get(position), position, option_ids), now)
        except (Invalid, NotFound) as exc:
            problems[position] = exc
    return problems


def locked_prediction(*, session: Session, attempt: Attempt, reads: Connection | None = None) -> int | None:
    """For an attempt in progress, the prediction of the member's first submitted attempt of the round that has
    one. Where the round locks predictions it stands for every later attempt: resubmitting the same answers with
    another guess each time would otherwise buy the tie-break. A first attempt needs no read: it was numbered 1
    because the member had finished none, and none can finish while it is in progress (one at a time).
    `reads`: as for get_own."""
    if attempt.number <= 1:
        return None
    params = {"round_id": attempt.round_id, "member_id": attempt.member_id, "except_id": attempt.id or 0}
    row = _LOCKED.first(reads if reads is not None else session.connection(), params)
    return None if row is None else cast(int, row.prediction)


MAX_PREDICTION = 100_000_000


def prediction_in_range(value: int) -> bool:
    """A prediction is a count: a whole number from 0 to MAX_PREDICTION."""
    return 0 <= value <= MAX_PREDICTION


_at = Attempt.__table__.c
# Built once: the quiz page and every prediction saved read it.
_LOCKED = DriverStatement(
    sa_select(_at.prediction)
    .where(_at.round_id == bindparam("round_id"), _at.member_id == bindparam("member_id"), _at.id != bindparam("except_id"))
    .where(_at.status != AttemptStatus.in_progress, _at.prediction.is_not(None))  # submitted or expired
    .order_by(_at.number)
    .limit(1)
)
_ROUND_PREDICTION = sa_select(Round.__table__.c.prediction_kind, Round.__table__.c.prediction_lock_first).where(
    Round.__table__.c.id == bindparam("round_id")
)


def save_prediction(*, session: Session, actor: Actor, attempt_id: int, value: int, now: datetime | None = None) -> datetime:
    now = now or utcnow()
    attempt = _in_progress(session, actor, attempt_id, now)
    kind, lock_first = session.connection().execute(_ROUND_PREDICTION, {"round_id": attempt.round_id}).one()
    if not kind:
        raise Conflict(N_("Vòng thi này không có câu hỏi dự đoán."))
    if not prediction_in_range(value):
        raise Invalid(N_("Dự đoán phải là một số nguyên không âm."), field="value")
    if lock_first:
        first = locked_prediction(session=session, attempt=attempt)
        if first is not None and first != value:
            raise Conflict(N_("Dự đoán của bạn đã được chốt ở lượt nộp đầu tiên: {value}."), value=Quantity(first))
    attempt.prediction, attempt.prediction_saved_at = value, now
    session.flush()
    return now


EVENT_KINDS = ("hide", "show")
MAX_EVENTS = 300  # per attempt: enough for a real round, too few to fill the table from a script


def record_event(*, session: Session, actor: Actor, attempt_id: int, kind: str, now: datetime | None = None) -> bool:
    """The page was hidden or shown again (another app, the screen off). Kept with the server's time as a
    soft signal for judges; never used for timing. False when not recorded (attempt over, or too many)."""
    if kind not in EVENT_KINDS:
        raise Invalid(N_("Loại sự kiện không hợp lệ."), field="kind")
    now = now or utcnow()
    attempt = get_own(session=session, actor=actor, attempt_id=attempt_id, now=now)
    assert attempt.id is not None
    if attempt.status != AttemptStatus.in_progress:
        return False
    count = session.exec(select(func.count()).select_from(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id)).one()
    if count >= MAX_EVENTS:
        return False
    session.add(AttemptEvent(attempt_id=attempt.id, kind=kind, at=now))
    session.flush()
    return True


def is_right(chosen: set[str] | None, options: Sequence[dict]) -> bool:
    """The scoring rule: a question counts only when the chosen options are exactly the correct ones
    (for a multiple-choice question, all of them and nothing else)."""
    return chosen == {o["id"] for o in options if o["correct"]}


def score(session: Session, attempt: Attempt, round_: Round) -> tuple[int, int]:
    """(score, correct answers) from the attempt's own snapshot. Read with statements built once, without the
    ORM's autoflush: answers are written by statements (taps, save_answers), never left pending in a session."""
    assert attempt.id is not None
    conn = session.connection()
    params = {"attempt_id": attempt.id}
    answers = {position: set(ids) for position, ids in sheet.answers(conn, attempt.id).items()}
    correct = sum(1 for position, options in conn.execute(_KEY, params) if is_right(answers.get(position), options))
    return correct * round_.points_per_question, correct


_aq = AttemptQuestion.__table__
_KEY = sa_select(_aq.c.position, _aq.c.options).where(_aq.c.attempt_id == bindparam("attempt_id"))


def submit(*, session: Session, actor: Actor, attempt_id: int, now: datetime | None = None) -> Attempt:
    given = now
    now = now or utcnow()
    attempt = get_own(session=session, actor=actor, attempt_id=attempt_id, now=now, grace=True, lock="update")
    if given is None:
        # The submit's time is taken once it holds the attempt (SQLite's writer lock, PostgreSQL's row lock): a
        # tap committed while the submit waited for it is in the score, so it must not look saved after it.
        now = utcnow()
    # Read before anything changes, so that the attempt is written in one flush (a change first would be
    # flushed by the reads' autoflush, and the score in a second UPDATE).
    round_ = session.get(Round, attempt.round_id)
    assert round_ is not None
    if attempt.score is None:
        attempt.score, attempt.correct_count = score(session, attempt, round_)
    if attempt.status == AttemptStatus.in_progress:
        attempt.status = AttemptStatus.submitted
        attempt.submitted_at = min(now, attempt.deadline_at)
        attempt.duration_ms = int((attempt.submitted_at - attempt.started_at).total_seconds() * 1000)
    session.flush()
    return attempt


def score_visible(*, session: Session, attempt: Attempt, now: datetime | None = None) -> bool:
    round_ = session.get(Round, attempt.round_id)
    assert round_ is not None
    return attempt.status != AttemptStatus.in_progress and rules.results_shown(round_, now or utcnow())


def sweep(*, session: Session, now: datetime | None = None, batch: int = 200) -> int:
    """Finalise attempts whose deadline (plus grace) has passed, with the answers they have. Safe to run
    in every worker at once: on PostgreSQL the rows are claimed with SKIP LOCKED, on SQLite the writing
    transaction is exclusive; an attempt is finalised once either way (the status check is in the WHERE)."""
    now = now or utcnow()
    stmt = (
        select(Attempt)
        .where(Attempt.status == AttemptStatus.in_progress, Attempt.deadline_at < now - GRACE)
        .order_by(col(Attempt.deadline_at))
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    due = session.exec(stmt).all()
    for attempt in due:
        finalise_if_due(session=session, attempt=attempt, now=now)
    session.flush()
    return len(due)
