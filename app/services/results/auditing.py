"""What a judge reads of one attempt before deciding on it (judging.set_disqualified): the questions as drawn with
the key once the round has closed, each answer with its server time, the page's events, the flags, the member's
other attempts. Who may read it: judging.judged_attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.models import Answer, Attempt, AttemptEvent, AttemptQuestion, Contest, Member, Round, Unit
from app.models.contests import RoundStatus
from app.models.results import AttemptFlag
from app.models.types import utcnow
from app.services.org.access import Actor
from app.services.quiz.attempts import is_right
from app.services.results import flags, judging


@dataclass
class AnswerView:
    position: int
    text: str
    kind: str
    options: list[dict]  # as drawn: id, text, correct, chosen
    saved_at: datetime | None
    right: bool | None  # None while the key is withheld


@dataclass
class AttemptAudit:
    attempt: Attempt
    member: Member
    unit: Unit
    round: Round
    contest: Contest
    answers: list[AnswerView]
    events: list[AttemptEvent]
    flags: list[tuple[AttemptFlag, str]]  # with its explanation
    others: list[Attempt]  # the member's other attempts in the round
    key_shown: bool = True  # False while the round is open: nobody sees a key before the round closes


def attempt_audit(*, session: Session, actor: Actor, attempt_id: int) -> AttemptAudit:
    """Everything a judge needs to decide on one attempt: the questions as drawn with the key, each answer
    with its server time, IP, user agent, page-hide events, duration, flags, the member's other attempts."""
    attempt, round_ = judging.judged_attempt(session, actor, attempt_id)
    member = session.get(Member, attempt.member_id)
    unit = session.get(Unit, attempt.unit_id)
    assert member is not None and unit is not None
    assert attempt.id is not None and round_.id is not None
    shown = round_closed(round_)
    drawn = session.exec(
        select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id).order_by(col(AttemptQuestion.position))
    ).all()
    saved = {a.position: a for a in session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all()}
    views = []
    for q in drawn:
        answer = saved.get(q.position)
        chosen = set(answer.option_ids) if answer else set()
        views.append(
            AnswerView(
                position=q.position,
                text=q.text,
                kind=q.kind,
                saved_at=answer.saved_at if answer else None,
                options=[
                    {"id": o["id"], "text": o["text"], "correct": bool(o.get("correct")) and shown, "chosen": o["id"] in chosen}
                    for o in q.options
                ],
                right=is_right(chosen if answer else None, q.options) if shown else None,
            )
        )
    events = list(
        session.exec(
            select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id).order_by(col(AttemptEvent.at), col(AttemptEvent.id))
        ).all()
    )
    raised = flags.round_flags(session=session, round_id=round_.id, attempt_ids=[attempt.id])
    others = list(
        session.exec(
            select(Attempt)
            .where(Attempt.round_id == round_.id, Attempt.member_id == member.id, Attempt.id != attempt.id)
            .order_by(col(Attempt.number))
        ).all()
    )
    contest = session.get(Contest, round_.contest_id)
    assert contest is not None
    return AttemptAudit(
        attempt=attempt,
        member=member,
        unit=unit,
        round=round_,
        contest=contest,
        answers=views,
        events=events,
        flags=[(f, flags.explain(f)) for f in raised],
        others=others,
        key_shown=shown,
    )


def round_closed(round_: Round, now: datetime | None = None) -> bool:
    """A round's keys may be read (by judges, on an attempt) once it has closed: by hand, or by its time."""
    return round_.status == RoundStatus.closed or (now or utcnow()) >= round_.closes_at
