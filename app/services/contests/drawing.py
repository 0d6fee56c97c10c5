"""Which questions an attempt asks, in which order, with which option order: all from the attempt's seed."""

from __future__ import annotations

import random
import secrets
from typing import Any

from sqlmodel import Session, col, select

from app.models import AttemptQuestion, Question, Round, RoundQuestion
from app.services.bank.questions import options_of


def pick_question_ids(*, session: Session, round_: Round, rng: random.Random) -> list[int]:
    """The fixed list in its order, or each draw line sampled from the active questions it names (sorted
    by id first, so the same seed gives the same draw)."""
    fixed = session.exec(
        select(RoundQuestion.question_id).where(RoundQuestion.round_id == round_.id).order_by(col(RoundQuestion.position))
    ).all()
    if fixed:
        chosen = list(fixed)
    else:
        chosen = []
        taken: set[int] = set()
        for line in round_.draw or []:
            stmt = select(Question.id).where(Question.topic_id == line["topic_id"], col(Question.active).is_(True))
            if line.get("difficulty"):
                stmt = stmt.where(Question.difficulty == line["difficulty"])
            pool = [qid for qid in session.exec(stmt.order_by(col(Question.id))).all() if qid is not None and qid not in taken]
            # The bank was checked at publish time; if questions were retired since, ask what is left.
            picked = rng.sample(pool, min(line["count"], len(pool)))
            chosen += picked
            taken.update(picked)
    if round_.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def drawn(
    *, session: Session, question_ids: list[int], rng: random.Random, shuffle_options: bool, attempt_id: int = 0
) -> list[AttemptQuestion]:
    """The drawn questions as an attempt freezes them, not yet stored. Option ids are random keys: they say
    nothing about the order in the bank or about correctness."""
    questions = {q.id: q for q in session.exec(select(Question).where(col(Question.id).in_(question_ids))).all()}
    options = options_of(session=session, question_ids=question_ids)
    rows = []
    for position, qid in enumerate(question_ids, start=1):
        q = questions[qid]
        # "qp": the option's position in the bank question, so that a corrected key can be mapped onto this
        # snapshot by an audited re-score (app.services.results.rescoring). Never sent to the phone.
        opts: list[dict[str, Any]] = [
            {"id": secrets.token_urlsafe(6), "text": o.text, "correct": o.correct, "qp": o.position} for o in options[qid]
        ]
        if shuffle_options:
            rng.shuffle(opts)
        rows.append(
            AttemptQuestion(
                attempt_id=attempt_id,
                position=position,
                question_id=qid,
                question_version=q.version,
                kind=q.kind,
                text=q.text,
                explanation=q.explanation,
                options=opts,
            )
        )
    return rows


def snapshot(
    *, session: Session, attempt_id: int, question_ids: list[int], rng: random.Random, shuffle_options: bool
) -> list[AttemptQuestion]:
    """Freeze the drawn questions into the attempt."""
    rows = drawn(session=session, question_ids=question_ids, rng=rng, shuffle_options=shuffle_options, attempt_id=attempt_id)
    session.add_all(rows)
    return rows


def sample(*, session: Session, round_: Round) -> list[AttemptQuestion]:
    """A draw as a member would get one, for the organiser's preview: nothing is stored."""
    rng = random.Random(secrets.token_hex(8))
    ids = pick_question_ids(session=session, round_=round_, rng=rng)
    return drawn(session=session, question_ids=ids, rng=rng, shuffle_options=round_.shuffle_options)
