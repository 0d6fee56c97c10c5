"""After an attempt: unanswered list, history, attempts left, and the review that waits for visibility."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.models import AttemptQuestion, Round
from app.models.types import utcnow
from app.services.quiz import attempts, starting
from app.services.quiz import review as attempt_review
from tests.factories import member_actor


def _key(session, attempt):
    qs = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)).all()
    return (
        [next(o["id"] for o in q.options if o["correct"]) for q in qs],
        [next(o["id"] for o in q.options if not o["correct"]) for q in qs],
    )


def test_unanswered_counts_cleared_answers_as_unanswered(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    right, _wrong = _key(session, attempt)
    assert attempt_review.unanswered(session=session, attempt=attempt) == [1, 2, 3, 4, 5]
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=2, option_ids=[right[1]])
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=4, option_ids=[right[3]])
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=4, option_ids=[])
    assert attempt_review.unanswered(session=session, attempt=attempt) == [1, 3, 4, 5]


def test_review_waits_for_visibility_then_shows_key_choice_and_explanation(session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    right, wrong = _key(session, attempt)
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=1, option_ids=[right[0]])
    attempts.save_answer(session=session, actor=me, attempt_id=attempt.id, position=2, option_ids=[wrong[1]])
    attempts.submit(session=session, actor=me, attempt_id=attempt.id)
    assert attempt_review.review(session=session, attempt=attempt) == []  # after_close, round still open
    round_ = session.get(Round, quiz_world.round_id)
    items = attempt_review.review(session=session, attempt=attempt, now=round_.closes_at)
    assert [(i.position, i.answered, i.right) for i in items] == [
        (1, True, True),
        (2, True, False),
        (3, False, False),
        (4, False, False),
        (5, False, False),
    ]
    assert all(i.explanation.startswith("Giải thích bí mật") for i in items)
    assert [o.correct for o in items[1].options].count(True) == 1
    chosen = [o for o in items[1].options if o.chosen]
    assert len(chosen) == 1 and not chosen[0].correct


def test_history_attempts_left_and_starting_again(session, quiz_world):
    """member_rounds.RoundCard is the one rule of "may a new attempt start", for home, rules and result."""
    from app.services.quiz import member_rounds

    me = member_actor(session, quiz_world.inside)
    round_ = session.get(Round, quiz_world.round_id)

    def card(now=None):
        return member_rounds.card_for(session=session, actor=me, round_id=quiz_world.round_id, now=now)

    first, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    assert (card().left, card().can_start) == (1, False)  # one is in progress
    assert card().seconds_left > 0
    attempts.submit(session=session, actor=me, attempt_id=first.id)
    assert card().can_start and card().last.id == first.id and not card().score_visible
    assert not card(now=round_.closes_at).can_start and card(now=round_.closes_at).phase == "closed"
    # a card's round may be a few seconds old, its closing time moved since: only "closed" shows the score
    assert not card(now=round_.closes_at).score_visible
    second, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    attempts.submit(session=session, actor=me, attempt_id=second.id)
    lines = attempt_review.history(card(), shown=False)
    assert [line.attempt.number for line in lines] == [1, 2] and not any(line.visible for line in lines)
    assert all(line.visible for line in attempt_review.history(card(), shown=True))  # scores once they may be seen
    assert (card().left, card().can_start) == (0, False)
    round_.attempts_allowed = 0
    assert card().left is None and card(now=utcnow() + timedelta(seconds=1)).can_start
    round_.cooldown_s = 600  # a wait after the last attempt: no start, and when it ends
    waiting = card()
    assert not waiting.can_start and waiting.wait_until == second.submitted_at + timedelta(seconds=600)
