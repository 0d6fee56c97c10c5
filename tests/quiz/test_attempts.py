"""Starting attempts: eligibility, one in progress (enforced by the database), a frozen snapshot."""

from __future__ import annotations

import functools
import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from app.db import writer
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import Answer, Attempt, AttemptEvent, AttemptQuestion
from app.models.types import utcnow
from app.services.bank import question_rules
from app.services.bank import questions as bank
from app.services.quiz import attempts, sheet, starting, taps
from tests.factories import actor, in_parallel, make_member, member_actor
from tests.fixtures.quiz import attempt_questions


def test_start_draws_a_snapshot_and_resumes(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, created = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    assert created and attempt.number == 1
    assert attempt.deadline_at - attempt.started_at == timedelta(seconds=600)
    out = sheet.public(session=session, attempt=attempt)
    assert len(out.questions) == 5 and len({q.text for q in out.questions}) == 5
    body = out.model_dump_json()
    assert "correct" not in body and "explanation" not in body and "score" not in body
    assert all(len(o.id) >= 8 for q in out.questions for o in q.options)
    again, created_again = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    assert again.id == attempt.id and not created_again


def test_a_start_does_not_depend_on_postgresql_planning_it_for_its_values(engine, quiz_world):
    """The start's INSERT … ON CONFLICT names the one-in-progress partial index by its predicate. Written with a
    bound value, PostgreSQL could match it only in a plan made for that value: a statement prepared and planned
    generically found no index to match (the main engine's custom plans hid it). The predicate is in the SQL."""
    sql = str(starting._insert(engine.dialect.name).compile(dialect=engine.dialect))
    assert "WHERE status = 'in_progress' DO NOTHING" in sql
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.connection.dbapi_connection.prepare_threshold = 0  # type: ignore[union-attr]  # every statement prepared
            conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            conn.commit()
        try:
            with Session(bind=conn) as s:
                me = member_actor(s, quiz_world.inside)
                first, created = starting.start(session=s, actor=me, round_id=quiz_world.round_id)
                first_id = first.id
                s.commit()
                again, created_again = starting.start(session=s, actor=me, round_id=quiz_world.round_id)
                assert created and not created_again and again.id == first_id is not None
                s.commit()
        finally:
            conn.invalidate()  # not back to the pool with these settings


def test_twenty_parallel_starts_make_one_attempt(engine, session, quiz_world):
    results: list[object] = []

    def go() -> None:
        try:
            with Session(writer(engine), expire_on_commit=False) as s:
                me = member_actor(s, quiz_world.inside)
                attempt, _ = starting.start(session=s, actor=me, round_id=quiz_world.round_id)
                s.commit()
                results.append(attempt.id)
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=go) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    session.rollback()
    assert session.exec(select(func.count()).select_from(Attempt)).one() == 1
    assert session.exec(select(func.count()).select_from(AttemptQuestion)).one() == 5


def test_outside_scope_and_attempts_used_up(session, quiz_world):
    with pytest.raises(Forbidden):
        starting.start(session=session, actor=member_actor(session, quiz_world.outside), round_id=quiz_world.round_id)
    me = member_actor(session, quiz_world.inside)
    for _ in range(2):
        attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
        attempt.status, attempt.submitted_at = "submitted", utcnow()
        session.flush()
    with pytest.raises(Conflict):
        starting.start(session=session, actor=me, round_id=quiz_world.round_id)


def test_bank_edits_never_change_a_drawn_attempt(session, quiz_world):
    attempt, _ = starting.start(session=session, actor=member_actor(session, quiz_world.inside), round_id=quiz_world.round_id)
    before = sheet.public(session=session, attempt=attempt).model_dump()
    first = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)).first()
    q, _errors = question_rules.check_question(kind="single", text="Đã sửa hoàn toàn?", options=[("X", True), ("Y", False)])
    bank.update_question(session=session, actor=quiz_world.org, question_id=first.question_id, q=q)
    session.flush()
    assert sheet.public(session=session, attempt=attempt).model_dump() == before


def _racing_start(engine, me, round_id: int, *, submit: bool):
    """drawing.drawn_rows that lets another start of the member commit (and submit, if asked) while the start
    it serves is between its reads and its writes; the list it fills gets the other attempt's id."""
    from app.services.contests import drawing

    real, raced = drawing.drawn_rows, []

    def drawn(**kw):
        if not raced:
            raced.append(0)
            with Session(writer(engine), expire_on_commit=False) as other:
                won, _ = starting.start(session=other, actor=me, round_id=round_id)
                if submit:
                    attempts.submit(session=other, actor=me, attempt_id=won.id)
                other.commit()
            raced.append(won.id)
        return real(**kw)

    return drawn, raced


def _start_while_racing(engine, session, quiz_world, monkeypatch, *, submit: bool):
    """A start of the member during which another start of theirs (and its submit) commits (_racing_start):
    (the attempt the start answers with, whether it created one, the racing start's ids)."""
    from app.services.contests import drawing

    me = member_actor(session, quiz_world.inside)
    session.commit()
    drawn, raced = _racing_start(engine, me, quiz_world.round_id, submit=submit)
    monkeypatch.setattr(drawing, "drawn_rows", drawn)
    with Session(writer(engine), expire_on_commit=False) as s:
        attempt, created = starting.start(session=s, actor=me, round_id=quiz_world.round_id)
        s.commit()
    return attempt, created, raced


def test_a_start_whose_member_started_elsewhere_meanwhile_gets_that_attempt_back(engine, session, quiz_world, monkeypatch):
    """A start reads before it takes SQLite's writer lock (db.reads_before_lock); another start of the same
    member committed in between is the attempt it answers with (on both databases the one-in-progress index
    would refuse a second): one attempt, one snapshot."""
    attempt, created, raced = _start_while_racing(engine, session, quiz_world, monkeypatch, submit=False)
    assert (attempt.id, created) == (raced[1], False)
    assert session.exec(select(func.count()).select_from(Attempt)).one() == 1
    assert session.exec(select(func.count()).select_from(AttemptQuestion)).one() == 5


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_start_counts_an_attempt_finished_between_its_reads_and_its_writes(engine, session, quiz_world, monkeypatch):
    """SQLite: the member's attempts are read again under the writer lock, so one started and submitted in
    between counts (the new one is number 2 of the two allowed). PostgreSQL reads and writes in one transaction."""
    attempt, created, raced = _start_while_racing(engine, session, quiz_world, monkeypatch, submit=True)
    assert created and attempt.id != raced[1]
    assert sorted(session.exec(select(Attempt.number)).all()) == [1, 2]


def test_starts_draw_from_the_rounds_kept_pools_until_a_question_changes(app, session, quiz_world):
    """With the app's cache the pools a round draws from are read once for the starts of a few seconds: the same
    draw for the same seed as without it, and a question retired through this worker is never drawn after."""
    import random

    from app.models import Round
    from app.services.contests import drawing

    cache = app.state.boards
    round_ = session.get(Round, quiz_world.round_id)
    kept = drawing.pick_question_ids(session=session, round_=round_, rng=random.Random("x"), cache=cache)
    assert kept == drawing.pick_question_ids(session=session, round_=round_, rng=random.Random("x"))
    reads: list[int] = []
    real = drawing.pools_of
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(drawing, "pools_of", lambda **kw: reads.append(1) or real(**kw))
        for n in range(5):
            drawing.pick_question_ids(session=session, round_=round_, rng=random.Random(n), cache=cache)
        assert reads == []  # kept from the first pick
        retired = quiz_world.questions[0]
        bank.set_question_active(session=session, actor=quiz_world.org, question_id=retired.id, active=False)
        session.commit()  # the commit drops what this worker kept (board_cache.watch_commits)
        picks = [drawing.pick_question_ids(session=session, round_=round_, rng=random.Random(n), cache=cache) for n in range(40)]
    assert reads == [1]
    assert all(len(p) == 5 for p in picks) and retired.id not in {q for p in picks for q in p}


def test_deadline_passed_is_finalised_with_its_answers(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    later = attempt.deadline_at + timedelta(seconds=1)
    got = attempts.get_own(session=session, actor=me, attempt_id=attempt.id, now=later)
    assert got.status == "expired" and got.submitted_at == attempt.deadline_at
    # and the next start makes a second attempt rather than resuming the expired one
    second, created = starting.start(session=session, actor=me, round_id=quiz_world.round_id, now=later)
    assert created and second.number == 2


def test_answers_scoring_and_visibility(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    qs = attempt_questions(session, attempt)
    right = [next(o["id"] for o in q.options if o["correct"]) for q in qs]
    wrong = [next(o["id"] for o in q.options if not o["correct"]) for q in qs]
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=1, option_ids=[wrong[0]])
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=1, option_ids=[right[0]])
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=2, option_ids=[right[1]])
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=3, option_ids=[wrong[2]])
    with pytest.raises(Invalid):
        attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=4, option_ids=["not-an-id"])
    with pytest.raises(Invalid):
        attempts.save_answer(
            session=session, actor=me, attempt_id=attempt.id, position=4, option_ids=[right[3], wrong[3]]
        )  # a single-choice question
    done = attempts.submit(session=session, actor=me, attempt_id=attempt.id)
    assert (done.status, done.score, done.correct_count) == ("submitted", 2, 2)
    assert not attempts.score_visible(session=session, attempt=done)  # after_close, and the round is open
    with pytest.raises(Conflict):
        attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=4, option_ids=[right[3]])


def test_saves_after_deadline_plus_grace_are_refused(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    opt = attempt_questions(session, attempt)[0].options[0]["id"]
    just_in = attempt.deadline_at + timedelta(seconds=4)
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=1, option_ids=[opt], now=just_in)
    session.commit()
    too_late = attempt.deadline_at + timedelta(seconds=6)
    with pytest.raises(Conflict):
        attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=2, option_ids=[opt], now=too_late)
    session.rollback()
    answers = session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    assert [a.position for a in answers] == [1]


def test_fifty_parallel_saves_leave_one_answer(engine, session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    opt = attempt_questions(session, attempt)[0].options[1]["id"]
    session.commit()

    def go(_i: int) -> None:
        with Session(writer(engine), expire_on_commit=False) as s:
            attempts.save_answer(session=s, actor=member_actor(s, quiz_world.inside), attempt_id=attempt.id, position=1, option_ids=[opt])
            s.commit()

    assert in_parallel(go, 50) == []
    session.rollback()
    answers = session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    assert len(answers) == 1 and answers[0].option_ids == [opt]


def test_prediction_is_locked_by_the_first_submitted_attempt(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    first, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    attempts.save_prediction(session=session, actor=me, attempt_id=first.id, value=120)
    attempts.save_prediction(session=session, actor=me, attempt_id=first.id, value=150)  # still open: may change
    attempts.submit(session=session, actor=me, attempt_id=first.id)
    second, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    with pytest.raises(Conflict):
        attempts.save_prediction(session=session, actor=me, attempt_id=second.id, value=999)
    attempts.save_prediction(session=session, actor=me, attempt_id=second.id, value=150)


def test_sweep_finalises_due_attempts_once(engine, session, quiz_world):
    from app.sweeper import sweep_once

    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    opt = next(o["id"] for o in attempt_questions(session, attempt)[0].options if o["correct"])
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=1, option_ids=[opt])
    session.commit()
    assert attempts.sweep(session=session) == 0  # not due yet
    later = attempt.deadline_at + timedelta(seconds=10)
    assert attempts.sweep(session=session, now=later) == 1
    session.commit()
    assert attempts.sweep(session=session, now=later) == 0
    done = session.get(Attempt, attempt.id)
    assert (done.status, done.score, done.submitted_at) == ("expired", 1, attempt.deadline_at)
    assert sweep_once(engine) == 0


def test_page_events_are_kept_with_server_time_while_open(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    at = attempt.started_at + timedelta(seconds=30)
    assert attempts.record_event(session=session, actor=me, attempt_id=attempt.id, kind="hide", now=at)
    assert attempts.record_event(session=session, actor=me, attempt_id=attempt.id, kind="show", now=at + timedelta(seconds=9))
    with pytest.raises(Invalid):
        attempts.record_event(session=session, actor=me, attempt_id=attempt.id, kind="blur")
    rows = session.exec(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id).order_by(AttemptEvent.id)).all()
    assert [(e.kind, e.at) for e in rows] == [("hide", at), ("show", at + timedelta(seconds=9))]
    attempts.submit(session=session, actor=me, attempt_id=attempt.id)
    assert not attempts.record_event(session=session, actor=me, attempt_id=attempt.id, kind="hide")


def test_page_events_are_capped_per_attempt(session, quiz_world, monkeypatch):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    monkeypatch.setattr(attempts, "MAX_EVENTS", 3)
    kept = [attempts.record_event(session=session, actor=me, attempt_id=attempt.id, kind="hide") for _ in range(5)]
    assert kept == [True, True, True, False, False]


def test_judges_of_the_scope_read_an_attempt_others_do_not(session, quiz_world):
    from app.models import Unit

    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    unit_a = session.get(Unit, session.get(Unit, quiz_world.inside.unit_id).parent_id)
    unit_b1 = session.get(Unit, quiz_world.outside.unit_id)
    judge_a = actor(session, make_member(session, unit_a, roles=(("judge", unit_a),)))
    judge_b = actor(session, make_member(session, unit_b1, roles=(("judge", unit_b1),)))
    organiser_a = actor(session, make_member(session, unit_a, roles=(("organiser", unit_a),)))
    assert attempts.get_readable(session=session, actor=me, attempt_id=attempt.id).id == attempt.id
    assert attempts.get_readable(session=session, actor=judge_a, attempt_id=attempt.id).id == attempt.id
    for nobody in (judge_b, organiser_a, member_actor(session, quiz_world.outside)):
        with pytest.raises(NotFound):
            attempts.get_readable(session=session, actor=nobody, attempt_id=attempt.id)
    with pytest.raises(NotFound):  # reading is not writing: a judge cannot save into it
        attempts.save_answer(session=session, actor=judge_a, attempt_id=attempt.id, position=1, option_ids=[])


def test_a_whole_form_saves_the_good_answers_and_names_the_bad_ones(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    qs = attempt_questions(session, attempt)
    right = [next(o["id"] for o in q.options if o["correct"]) for q in qs]
    problems = attempts.save_answers(
        session=session, actor=me, attempt_id=attempt.id, answers={1: [right[0]], 2: ["giả"], 3: [right[2]], 9: [right[0]]}
    )
    assert sorted(problems) == [2, 9] and isinstance(problems[2], Invalid) and isinstance(problems[9], NotFound)
    saved = session.exec(select(Answer).where(Answer.attempt_id == attempt.id).order_by(Answer.position)).all()
    assert [(a.position, a.option_ids) for a in saved] == [(1, [right[0]]), (3, [right[2]])]
    with pytest.raises(Conflict):
        attempts.save_answers(
            session=session, actor=me, attempt_id=attempt.id, answers={4: [right[3]]}, now=attempt.deadline_at + timedelta(seconds=6)
        )


def test_quick_save_takes_only_the_usual_case(app, session, quiz_world):
    """The fast path saves a fitting tap of the owner in time, and hands everything else back (None) to
    save_answer; fifty parallel quick saves of one tap leave one answer."""
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    opts = [o["id"] for o in attempt_questions(session, attempt)[0].options]
    session.commit()
    quick = functools.partial(taps.save, writer=app.state.taps, attempt_id=attempt.id)
    assert quick(member_id=quiz_world.outside.id, position=1, option_ids=[opts[0]]) is None  # not theirs
    assert quick(member_id=quiz_world.inside.id, position=99, option_ids=[opts[0]]) is None  # no such question
    assert (
        quick(member_id=quiz_world.inside.id, position=1, option_ids=[opts[0]], now=attempt.deadline_at + timedelta(seconds=6)) is None
    )  # too late
    with pytest.raises(Invalid):
        quick(member_id=quiz_world.inside.id, position=1, option_ids=["not-an-option"])
    with pytest.raises(Invalid):
        quick(member_id=quiz_world.inside.id, position=1, option_ids=opts[:2])  # a single-choice question

    def go(_i: int) -> None:
        assert quick(member_id=quiz_world.inside.id, position=1, option_ids=[opts[1]]) is not None

    assert in_parallel(go, 50) == []
    session.rollback()
    answers = session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    assert [(a.position, a.option_ids) for a in answers] == [(1, [opts[1]])]
    attempts.submit(session=session, actor=me, attempt_id=attempt.id)
    session.commit()
    assert quick(member_id=quiz_world.inside.id, position=2, option_ids=[opts[0]]) is None  # over: save_answer says so


def test_a_submit_that_waits_for_a_save_is_timed_after_it(engine, session, quiz_world):
    """A save holding the attempt (SQLite's writer lock, PostgreSQL's share lock on the row) makes a submit wait.
    The save is in the score, so the submit's time is taken once it holds the attempt, not when it began: no
    scored answer may look saved after the submission (tests/platform/test_concurrency.py caught it, now and then)."""
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    right = [next(o["id"] for o in q.options if o["correct"]) for q in attempt_questions(session, attempt)]
    session.commit()
    saving = Session(writer(engine), expire_on_commit=False)
    attempts.save_answer(session=saving, actor=me, attempt_id=attempt.id, position=1, option_ids=[right[0]])
    done: list[Attempt] = []

    def submit() -> None:
        with Session(writer(engine), expire_on_commit=False) as s:
            done.append(attempts.submit(session=s, actor=me, attempt_id=attempt.id))
            s.commit()

    waiting = threading.Thread(target=submit)
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive()  # held up by the save's transaction
    saved_at = attempts.save_answer(session=saving, actor=me, attempt_id=attempt.id, position=2, option_ids=[right[1]])
    saving.commit()
    saving.close()
    waiting.join(30)
    assert done and done[0].correct_count == 2
    assert done[0].submitted_at >= saved_at
