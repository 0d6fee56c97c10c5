"""Closing rounds (by hand, by the sweep, by two workers at once), live standings, and re-scoring."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from app.db import writer
from app.errors import Conflict
from app.models import Attempt, AttemptQuestion, AuditEntry, Contest, Round, Standing
from app.models.types import utcnow
from app.services.bank import question_rules
from app.services.bank import questions as bank
from app.services.quiz import attempts, starting
from app.services.results import closing, ranking, rescoring
from tests.factories import actor, make_member, member_actor
from tests.fixtures.results import add


def _table(session: Session, round_id: int) -> list[tuple]:
    return [
        (s.member_id, s.rank, s.score, s.attempt_id)
        for s in session.exec(select(Standing).where(Standing.round_id == round_id).order_by(Standing.rank)).all()
    ]


def _closes(session: Session, round_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "round.close", AuditEntry.entity_id == str(round_id))
    ).one()


def test_close_is_idempotent(session, results_arena):
    r = results_arena.rounds[0]
    for score in (5, 3, 4):
        add(session, r, make_member(session, results_arena.tree.a1), score=score, prediction=1)
    closing.close_round(session=session, actor=results_arena.org, round_id=r.id)
    first = _table(session, r.id)
    totals = dict(r.totals)
    closing.close_round(session=session, actor=results_arena.org, round_id=r.id)
    assert _table(session, r.id) == first and r.totals == totals and _closes(session, r.id) == 1
    assert [rank for _m, rank, _s, _a in first] == [1, 2, 3]


def test_two_workers_closing_at_once_close_once(engine, session, results_arena):
    r = results_arena.rounds[0]
    for score in (5, 3, 4, 2):
        add(session, r, make_member(session, results_arena.tree.a2), score=score)
    session.commit()
    errors: list[BaseException] = []

    def go(by_hand: bool) -> None:
        try:
            with Session(writer(engine), expire_on_commit=False) as s:
                if by_hand:
                    org = actor(s, s.get(type(results_arena.org.member), results_arena.org.id))
                    closing.close_round(session=s, actor=org, round_id=r.id)
                else:
                    closing.close_due(session=s, now=r.closes_at + timedelta(seconds=1))
                s.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i % 2 == 0,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session.rollback()
    assert _closes(session, r.id) == 1
    assert [rank for _m, rank, _s, _a in _table(session, r.id)] == [1, 2, 3, 4]


def test_closing_finalises_open_attempts_with_their_saved_answers(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    q1 = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == 1)).one()
    attempts.save_answer(
        session=session, actor=me, attempt_id=attempt.id, position=1, option_ids=[next(o["id"] for o in q1.options if o["correct"])]
    )
    attempts.save_prediction(session=session, actor=me, attempt_id=attempt.id, value=1)
    round_ = closing.close_round(session=session, actor=quiz_world.org, round_id=quiz_world.round_id)  # early: the round ends now
    assert attempt.status == "expired" and attempt.score == 1 and attempt.submitted_at <= utcnow()
    assert round_.totals == {"participants": 1, "attempts": 1, "perfect_scorers": 0}
    assert round_.prediction_truth == 0
    s = session.exec(select(Standing).where(Standing.round_id == quiz_world.round_id)).one()
    assert (s.rank, s.score, s.prediction_error) == (1, 1, 1)
    with pytest.raises(Conflict):  # and nobody starts a new attempt in a closed round
        starting.start(session=session, actor=me, round_id=quiz_world.round_id)


def test_the_sweep_closes_rounds_at_their_closing_time_only(session, results_arena):
    r1, r2 = results_arena.rounds
    add(session, r1, make_member(session, results_arena.tree.b1), score=2)
    assert closing.close_due(session=session, now=r1.closes_at - timedelta(seconds=1)) == 0
    assert closing.close_due(session=session, now=r1.closes_at) == 1
    assert (r1.status, r2.status) == ("closed", "scheduled")
    assert closing.close_due(session=session, now=r1.closes_at + timedelta(minutes=1)) == 0


def test_draft_contests_are_not_closed_by_the_sweep(session, results_arena):
    results_arena.contest.status = "draft"
    session.add(results_arena.contest)
    assert closing.close_due(session=session, now=results_arena.rounds[1].closes_at) == 0


def test_live_standings_rebuild_at_most_every_few_seconds_and_only_when_new(session, results_arena):
    r = results_arena.rounds[1]  # open now
    r.results_visibility = "immediate"
    session.add(r)
    now = utcnow()
    a = add(session, r, make_member(session, results_arena.tree.a1), score=3)
    a.submitted_at = now - timedelta(seconds=30)
    assert closing.refresh_live(session=session, now=now) == 1
    assert len(_table(session, r.id)) == 1
    b = add(session, r, make_member(session, results_arena.tree.a1), score=4)
    b.submitted_at = now + timedelta(seconds=1)
    assert closing.refresh_live(session=session, now=now + timedelta(seconds=2)) == 0  # too soon
    assert closing.refresh_live(session=session, now=now + timedelta(seconds=6)) == 1
    assert [score for _m, _r, score, _a in _table(session, r.id)] == [4, 3]
    assert closing.refresh_live(session=session, now=now + timedelta(seconds=20)) == 0  # nothing new
    r.results_visibility = "after_close"  # still built (participation per unit is live), shown without scores
    c = add(session, r, make_member(session, results_arena.tree.a1), score=5)
    c.submitted_at = now + timedelta(seconds=21)
    assert closing.refresh_live(session=session, now=now + timedelta(seconds=30)) == 1


def test_rescore_after_a_key_correction(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    q1 = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == 1)).one()
    sai = next(o["id"] for o in q1.options if o["text"] == "Sai")
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=1, option_ids=[sai])
    attempts.submit(session=session, actor=me, attempt_id=attempt.id)
    closing.close_round(session=session, actor=quiz_world.org, round_id=quiz_world.round_id)
    assert attempt.score == 0
    # the organiser finds the key was wrong: "Sai" is the right answer to this question
    fixed, _ = question_rules.check_question(
        kind="single", text="Câu đã sửa đáp án?", options=[("Đúng", False), ("Sai", True), ("Không rõ", False)]
    )
    bank.update_question(session=session, actor=quiz_world.org, question_id=q1.question_id, q=fixed)
    assert attempt.score == 0  # editing alone never touches an attempt
    result = rescoring.rescore_question(session=session, actor=quiz_world.org, question_id=q1.question_id)
    assert (result.attempts_changed, result.scores_changed, result.rounds) == (1, 1, [quiz_world.round_id])
    assert session.get(Attempt, attempt.id).score == 1
    assert session.exec(select(Standing).where(Standing.round_id == quiz_world.round_id)).one().score == 1
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "question.rescore")).one()
    assert entry.detail["scores_changed"] == 1
    # a sealed round is never changed
    round_ = session.get(Round, quiz_world.round_id)
    round_.sealed_at = utcnow()
    undo, _ = question_rules.check_question(
        kind="single", text="Câu đã sửa đáp án?", options=[("Đúng", True), ("Sai", False), ("Không rõ", False)]
    )
    bank.update_question(session=session, actor=quiz_world.org, question_id=q1.question_id, q=undo)
    again = rescoring.rescore_question(session=session, actor=quiz_world.org, question_id=q1.question_id)
    assert (again.attempts_changed, again.sealed_skipped) == (0, 1) and session.get(Attempt, attempt.id).score == 1


def test_a_locked_prediction_carries_into_later_attempts(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    first, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    attempts.save_prediction(session=session, actor=me, attempt_id=first.id, value=42)
    attempts.submit(session=session, actor=me, attempt_id=first.id)
    second, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    assert second.prediction == 42


def test_contest_standings_follow_the_contest_chain(session, results_arena):
    r1, r2 = results_arena.rounds
    a, b = make_member(session, results_arena.tree.a1), make_member(session, results_arena.tree.a2)
    add(session, r1, a, score=3, duration_s=100)
    add(session, r1, b, score=4, duration_s=300)
    add(session, r2, a, score=4, duration_s=100)
    add(session, r2, b, score=3, duration_s=100)
    for r in (r1, r2):
        closing.close_round(session=session, actor=results_arena.org, round_id=r.id)
    contest = session.get(Contest, results_arena.contest.id)
    assert ranking.build_contest(session=session, contest=contest) == 2
    from app.models import ContestStanding

    rows = session.exec(select(ContestStanding).order_by(ContestStanding.rank)).all()
    # 7 points each; no predictions given, so duration decides: a took 200 s in all, b 400 s
    assert [(x.member_id, x.score, x.rank, x.rounds, x.duration_ms) for x in rows] == [(a.id, 7, 1, 2, 200_000), (b.id, 7, 2, 2, 400_000)]
