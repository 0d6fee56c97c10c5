"""After an attempt: what the member may see of it (history, attempts left, the review with the key and
explanations once the round's visibility rule allows) and what they still have to answer before submitting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.models import Answer, Attempt, AttemptQuestion
from app.models.quiz import AttemptStatus
from app.services.quiz import attempts
from app.services.quiz.member_rounds import RoundCard


@dataclass(frozen=True)
class ReviewOption:
    text: str
    chosen: bool
    correct: bool


@dataclass(frozen=True)
class ReviewItem:
    position: int
    text: str
    kind: str
    options: list[ReviewOption]
    explanation: str
    answered: bool
    right: bool


@dataclass(frozen=True)
class HistoryLine:
    attempt: Attempt
    visible: bool  # whether its score may be shown


def unanswered(*, session: Session, attempt: Attempt) -> list[int]:
    """Positions without a chosen option, in order (for the review-before-submit step)."""
    positions = session.exec(
        select(AttemptQuestion.position).where(AttemptQuestion.attempt_id == attempt.id).order_by(col(AttemptQuestion.position))
    ).all()
    answered = {a.position for a in session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all() if a.option_ids}
    return [p for p in positions if p not in answered]


def history(card: RoundCard, *, shown: bool) -> list[HistoryLine]:
    """The member's attempts in the round of their card (as read for it), first to last. `shown`: whether the
    round's scores may be seen, from the round as it is now (the card's may be a few seconds old)."""
    return [HistoryLine(a, shown and a.status != AttemptStatus.in_progress) for a in card.attempts]


def review(*, session: Session, attempt: Attempt, now: datetime | None = None) -> list[ReviewItem]:
    """Every question as drawn, the member's choice, the key and the explanation. Empty until the round's
    visibility rule allows it: the key never leaves the server earlier."""
    if not attempts.score_visible(session=session, attempt=attempt, now=now):
        return []
    questions = session.exec(
        select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id).order_by(col(AttemptQuestion.position))
    ).all()
    answers = {a.position: set(a.option_ids) for a in session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all()}
    items = []
    for q in questions:
        chosen = answers.get(q.position, set())
        items.append(
            ReviewItem(
                position=q.position,
                text=q.text,
                kind=q.kind,
                explanation=q.explanation,
                options=[ReviewOption(o["text"], o["id"] in chosen, bool(o["correct"])) for o in q.options],
                answered=bool(chosen),
                right=attempts.is_right(chosen, q.options),
            )
        )
    return items
