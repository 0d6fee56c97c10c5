"""Re-scoring after a key correction: an explicit, audited act (the contest rule: "a corrected answer key is applied
by an explicit, audited re-score"). Editing a question never touches attempts by itself.

The question's current key (from the bank) is mapped onto each attempt's own snapshot by the option's
position in the bank question, which the snapshot records ("qp"); snapshots made before that was
recorded are mapped by option text. A snapshot whose options no longer match the bank question (options
added or removed since) is left alone and reported. Attempts of sealed rounds are never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_
from sqlmodel import Session, col, select

from app.models import Answer, Attempt, AttemptQuestion, Round
from app.models.quiz import AttemptStatus
from app.services.bank import questions as bank
from app.services.kit import audit
from app.services.kit.text import nfc
from app.services.org.access import Actor
from app.services.quiz import attempts
from app.services.results import closing


@dataclass
class Rescore:
    question_id: int
    attempts_changed: int = 0
    scores_changed: int = 0
    rounds: list[int] = field(default_factory=list)
    sealed_skipped: int = 0
    unmatched: int = 0


def _corrected(options: list[dict], key_by_position: dict[int, bool], key_by_text: dict[str, bool]) -> list[dict] | None:
    """The snapshot's options with the corrected key, or None when they cannot be matched to the bank's."""
    if len(options) != len(key_by_position):
        return None
    out = []
    for o in options:
        if "qp" in o and o["qp"] in key_by_position:
            correct = key_by_position[o["qp"]]
        elif nfc(o["text"]) in key_by_text:
            correct = key_by_text[nfc(o["text"])]
        else:
            return None
        out.append({**o, "correct": correct})
    return out


def rescore_question(*, session: Session, actor: Actor, question_id: int) -> Rescore:
    question, _topic = bank.get_question(session=session, actor=actor, question_id=question_id)
    assert question.id is not None
    current = bank.options_of(session=session, question_ids=[question.id])[question.id]
    key_by_position = {o.position: o.correct for o in current}
    key_by_text = {nfc(o.text): o.correct for o in current}
    result = Rescore(question_id=question.id)
    rows = session.exec(
        select(AttemptQuestion, Attempt, Round)
        .join(Attempt, col(Attempt.id) == AttemptQuestion.attempt_id)
        .join(Round, col(Round.id) == Attempt.round_id)
        .where(AttemptQuestion.question_id == question.id)
        .order_by(col(Attempt.id))
    ).all()
    # Every answer given to this question, in one query: only this question's mark can change.
    answers = {
        (a.attempt_id, a.position): set(a.option_ids)
        for a in session.exec(
            select(Answer)
            .join(
                AttemptQuestion,
                and_(col(AttemptQuestion.attempt_id) == Answer.attempt_id, col(AttemptQuestion.position) == Answer.position),
            )
            .where(AttemptQuestion.question_id == question.id)
        ).all()
    }
    touched_rounds: dict[int, Round] = {}
    for aq, attempt, round_ in rows:
        if round_.sealed_at is not None:
            result.sealed_skipped += 1
            continue
        fixed = _corrected(aq.options, key_by_position, key_by_text)
        if fixed is None:
            result.unmatched += 1
            continue
        if [o["correct"] for o in fixed] == [o["correct"] for o in aq.options]:
            continue
        assert attempt.id is not None
        chosen = answers.get((attempt.id, aq.position))
        change = int(attempts.is_right(chosen, fixed)) - int(attempts.is_right(chosen, aq.options))
        aq.options = fixed
        session.add(aq)
        result.attempts_changed += 1
        if attempt.status != AttemptStatus.in_progress and change:
            attempt.correct_count = (attempt.correct_count or 0) + change
            attempt.score = (attempt.score or 0) + change * round_.points_per_question
            session.add(attempt)
            result.scores_changed += 1
        assert round_.id is not None
        touched_rounds[round_.id] = round_
    session.flush()
    for round_ in touched_rounds.values():
        closing.rebuild_after_change(session=session, round_=round_)
    result.rounds = sorted(touched_rounds)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="question.rescore",
        entity="question",
        entity_id=question.id,
        ip=actor.ip,
        detail={
            "version": question.version,
            "attempts_changed": result.attempts_changed,
            "scores_changed": result.scores_changed,
            "rounds": result.rounds,
            "sealed_skipped": result.sealed_skipped,
            "unmatched": result.unmatched,
        },
    )
    session.flush()
    return result
