"""Which questions an attempt asks, in which order, with which option order: all from the attempt's seed."""

from __future__ import annotations

import base64
import random
import secrets
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy import select as sa_select  # sqlmodel's select() is typed for at most four columns
from sqlmodel import Session, col, select

from app.models import AttemptQuestion, Question, QuestionOption, Round, RoundQuestion
from app.services.kit import offers


def pick_question_ids(*, session: Session, round_: Round, rng: random.Random, cache: offers.Cache | None = None) -> list[int]:
    """The fixed list in its order, or each draw line sampled from the active questions it names (sorted
    by id first, so the same seed gives the same draw). With the app's cache the lists are read once per round
    for the starts of a few seconds (`pools`)."""
    assert round_.id is not None
    fixed, pools = offers.shared(cache, ("draw-pools", round_.id), session, lambda db: pools_of(session=db, round_=round_))
    if fixed:
        chosen = list(fixed)
    else:
        chosen = []
        taken: set[int] = set()
        for line, pool in zip(round_.draw or [], pools, strict=False):
            left = [qid for qid in pool if qid not in taken]
            # The bank was checked at publish time; if questions were retired since, ask what is left.
            picked = rng.sample(left, min(line["count"], len(left)))
            chosen += picked
            taken.update(picked)
    if round_.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def pools_of(*, session: Session, round_: Round) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """What a round draws from: its fixed list in order (empty for a drawing round), and the active questions of
    each draw line by id. Kept a few seconds for the round's starts: the same for every member, and a start storm
    asks it thousands of times (docs/performance.md#starting-attempts). A question retired or added in that time
    may be missed by a start in another worker; its content is read as it is now all the same (drawn_rows)."""
    # a round asks a fixed list or draws (contests.checks): a drawing round has no list to read
    fixed = (
        ()
        if round_.draw
        else tuple(
            session.exec(
                select(RoundQuestion.question_id).where(RoundQuestion.round_id == round_.id).order_by(col(RoundQuestion.position))
            ).all()
        )
    )
    pools = []
    for line in [] if fixed else round_.draw or []:
        stmt = select(Question.id).where(Question.topic_id == line["topic_id"], col(Question.active).is_(True))
        if line.get("difficulty"):
            stmt = stmt.where(Question.difficulty == line["difficulty"])
        pools.append(tuple(qid for qid in session.exec(stmt.order_by(col(Question.id))).all() if qid is not None))
    return fixed, tuple(pools)


_q, _o = Question.__table__, QuestionOption.__table__
# The drawn questions with their options in one read, as plain rows: a start storm draws thousands.
_CONTENT = (
    sa_select(_q.c.id, _q.c.version, _q.c.kind, _q.c.text, _q.c.explanation, _o.c.text, _o.c.correct, _o.c.position)
    .select_from(_q.outerjoin(_o, _o.c.question_id == _q.c.id))
    .where(_q.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_q.c.id, _o.c.position)
)


def drawn_rows(
    *, session: Session, question_ids: list[int], rng: random.Random, shuffle_options: bool, attempt_id: int = 0
) -> list[dict[str, Any]]:
    """The drawn questions as an attempt freezes them (attempt_question's columns), not yet stored. Option ids
    are random keys: they say nothing about the order in the bank or about correctness."""
    content: dict[int, tuple[Any, list[dict[str, Any]]]] = {}
    found = session.connection().execute(_CONTENT, {"ids": question_ids}).all()
    for (qid, version, kind, text, explanation, o_text, o_correct, o_position), key in zip(found, _option_keys(len(found)), strict=True):
        entry = content.setdefault(qid, ((version, kind, text, explanation), []))
        if o_position is not None:
            # "qp": the option's position in the bank question, so that a corrected key can be mapped onto this
            # snapshot by an audited re-score (app.services.results.rescoring). Never sent to the phone.
            entry[1].append({"id": key, "text": o_text, "correct": bool(o_correct), "qp": o_position})
    rows = []
    for position, qid in enumerate(question_ids, start=1):
        (version, kind, text, explanation), opts = content[qid]
        if shuffle_options:
            rng.shuffle(opts)
        rows.append(
            {
                "attempt_id": attempt_id,
                "position": position,
                "question_id": qid,
                "question_version": version,
                "kind": kind,
                "text": text,
                "explanation": explanation,
                "options": opts,
            }
        )
    return rows


def _option_keys(n: int) -> list[str]:
    """n random option ids (8 characters, as secrets.token_urlsafe(6)) from one read of the system's randomness,
    not one each: an attempt has some 80 options."""
    raw = base64.urlsafe_b64encode(secrets.token_bytes(6 * n)).decode()
    return [raw[i : i + 8] for i in range(0, 8 * n, 8)]


def store(*, session: Session, attempt_id: int, rows: list[dict[str, Any]]) -> None:
    """drawn_rows() stored as the attempt's snapshot, in one INSERT."""
    for row in rows:
        row["attempt_id"] = attempt_id
    if rows:
        session.connection().execute(insert(AttemptQuestion.__table__), rows)


def sample(*, session: Session, round_: Round) -> list[AttemptQuestion]:
    """A draw as a member would get one, for the organiser's preview: nothing is stored."""
    rng = random.Random(secrets.token_hex(8))
    ids = pick_question_ids(session=session, round_=round_, rng=rng)
    rows = drawn_rows(session=session, question_ids=ids, rng=rng, shuffle_options=round_.shuffle_options)
    return [AttemptQuestion(**row) for row in rows]
