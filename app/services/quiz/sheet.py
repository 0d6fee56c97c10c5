"""What the member's phone may know of an attempt: its questions with opaque option ids, the member's own
answers, the time left. Never correctness, the key or the score (those follow the round's visibility rule,
quiz.rules.results_shown)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import TypeAdapter
from sqlalchemy import ScalarSelect, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.db import DriverStatement
from app.models import Answer, Attempt, AttemptQuestion
from app.models.quiz import AttemptStatus
from app.models.types import json_rows, utcnow
from app.services.quiz.schemas import AttemptOut, AttemptQuestionOut, OptionOut


class Sheet(NamedTuple):
    """An attempt's snapshot as read: rows of (position, text, kind, options: [{id, text, …}], option_ids: the
    answer or None) in order, and the member's answers by position. The quiz page is made from these; the API's answer is public()."""

    questions: list[Any]
    answers: dict[int, list[str]]


def sheet(*, session: Session, attempt: Attempt, reads: Connection | None = None) -> Sheet:
    """`reads`: a bare connection to read on instead of the session's (db_loop.loop_reads, a page made on the event
    loop), as for attempts.get_own."""
    assert attempt.id is not None
    conn = reads if reads is not None else session.connection()
    row = _SHEET.first(conn, {"attempt_id": attempt.id})
    return of_value(row.questions if row is not None else None)


def of_value(value: list[list[Any]] | None) -> Sheet:
    """The sheet of the value questions_value() read: each row with position, text, kind, options and option_ids,
    sorted here, as the value's rows come in no promised order."""
    rows: list[Any] = sorted((SheetRow(*v) for v in value or ()), key=lambda q: q[0])  # by position
    return Sheet(rows, {q.position: q.option_ids for q in rows if q.option_ids is not None})


def answers(conn: Connection, attempt_id: int) -> dict[int, list[str]]:
    """The member's saved answers by position (what a submit scores)."""
    return {a.position: a.option_ids for a in _ANSWERS.all(conn, {"attempt_id": attempt_id})}


# Built once: every quiz page and every resumed start reads these. The page's questions come with their answers
# as one value (docs/performance.md#the-quiz-pages-one-value).
_aq, _an = AttemptQuestion.__table__, Answer.__table__
_COLUMNS = (_aq.c.position, _aq.c.text, _aq.c.kind, _aq.c.options, _an.c.option_ids)
_ITS_ANSWER = (_an.c.attempt_id == _aq.c.attempt_id) & (_an.c.position == _aq.c.position)


SheetRow = namedtuple("SheetRow", [c.key for c in _COLUMNS])  # type: ignore[misc]  # the names are the columns'


def questions_value(attempt_id: Any) -> ScalarSelect[Any]:
    """The questions of the attempt `attempt_id` (a column of the statement around it) with their answers, as one
    value (types.json_rows: attempts.own_sheet reads it with the attempt's row; of_value() makes the sheet)."""
    return (
        sa_select(json_rows(*_COLUMNS)).select_from(_aq.outerjoin(_an, _ITS_ANSWER)).where(_aq.c.attempt_id == attempt_id).scalar_subquery()
    )


_SHEET = DriverStatement(sa_select(questions_value(bindparam("attempt_id")).label("questions")))
_ANSWERS = DriverStatement(sa_select(_an.c.position, _an.c.option_ids).where(_an.c.attempt_id == bindparam("attempt_id")))


def remaining_s(attempt: Attempt, now: datetime) -> int:
    """The seconds left to an attempt in progress (0 once it is not)."""
    return max(0, int((attempt.deadline_at - now).total_seconds())) if attempt.status == AttemptStatus.in_progress else 0


def public(*, session: Session, attempt: Attempt, now: datetime | None = None) -> AttemptOut:
    """The API's attempt (sheet() as AttemptOut), for the pages and the demo that read it as objects."""
    values = public_values(session=session, attempt=attempt, now=now)
    questions = [
        AttemptQuestionOut.model_construct(**{**q, "options": [OptionOut.model_construct(**o) for o in q["options"]]})
        for q in values["questions"]
    ]
    return AttemptOut.model_construct(**{**values, "questions": questions})


def public_values(*, session: Session, attempt: Attempt, now: datetime | None = None) -> dict[str, Any]:
    """AttemptOut's fields as plain values, read from the attempt's sheet (values_of)."""
    read = sheet(session=session, attempt=attempt)
    return values_of(attempt, [q._asdict() for q in read.questions], read.answers, now or utcnow())


def values_of(attempt: Attempt, questions: Sequence[Mapping[Any, Any]], answers: dict[int, list[str]], now: datetime) -> dict[str, Any]:
    """AttemptOut's fields, as plain values, from the snapshot's rows (position, text, kind, options) and the
    answers: the values come typed from the snapshot's own columns, so nothing is checked again."""
    assert attempt.id is not None
    return {
        "id": attempt.id,
        "round_id": attempt.round_id,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
        "remaining_s": remaining_s(attempt, now),
        "questions": [
            {
                "position": q["position"],
                "text": q["text"],
                "kind": q["kind"],
                "options": [{"id": o["id"], "text": o["text"]} for o in q["options"]],
            }
            for q in questions
        ],
        "answers": answers,
        "prediction": attempt.prediction,
    }


_PLAIN = TypeAdapter(dict[str, Any])


def json_of(values: dict[str, Any]) -> bytes:
    """The API's JSON of AttemptOut's values (values_of), as FastAPI would write the model: a start's answer
    made from a hundred nested models first took six times as long (docs/performance.md#direct-routes)."""
    return _PLAIN.dump_json(values)
