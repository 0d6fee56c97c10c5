"""Question bank import into one topic, all or nothing.

Formats: the XLSX/CSV template (question_sheet), Aiken and GIFT (question_text), Moodle XML (question_xml).
Each reader turns the file into drafts with their line (or Excel row) number; every draft then goes
through question_rules.check_question, the one place a question's rules live. One error anywhere and nothing is
written; questions of kinds we do not support are listed as skipped, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from app.errors import N_, ImportFailed
from app.models import Question, QuestionOption, Topic
from app.services.bank import question_rules
from app.services.bank import questions as bank
from app.services.bank.import_base import Parsed, decode_text
from app.services.bank.import_sheet import COLUMNS, FIELD_ORDER, template_csv, template_xlsx
from app.services.bank.import_text import looks_like_aiken, parse_aiken, parse_gift
from app.services.bank.import_xml import parse_moodle_xml
from app.services.kit import audit
from app.services.kit.tables import MAX_BYTES, FileProblem, from_legacy, legacy_problem
from app.services.org.access import Actor

__all__ = ["COLUMNS", "FORMATS", "ImportResult", "Plan", "commit", "parse", "preview", "template_csv", "template_xlsx"]

CHUNK = 500
FORMATS = (".xlsx", ".csv", ".txt", ".gift", ".xml")
_FIELDS = {"kind": -3, "text": -2, "options": -1}  # check_question's fields, in the order a row shows them


@dataclass
class Plan:
    filename: str
    questions: list[tuple[int, question_rules.CleanQuestion]] = field(default_factory=list)  # (line, question)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)  # {line, reason}: imported with a change, said

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    created: int
    skipped: list[dict[str, Any]]
    notes: list[dict[str, Any]] = field(default_factory=list)


def parse(content: bytes, filename: str, *, locale: str = "vi", legacy: str | None = None) -> Plan:
    """Read and check every question of the file (no database). `legacy`: its legacy code ("tcvn3", "vni")."""
    parsed = Parsed(locale=locale, legacy=legacy)
    try:
        if legacy and PurePath(filename or "").suffix.lower() in (".csv", ".txt", ".gift", ".xml"):
            content = from_legacy(content, legacy)
        _read(content, filename, parsed)
        garbled = None if legacy else legacy_problem([d.text or "" for d in parsed.drafts[:2000]])
        if garbled is not None:
            raise garbled
    except FileProblem as exc:
        parsed.errors = []
        parsed.error(0, None, exc.message, **exc.params)
        parsed.drafts = []
    plan = Plan(filename=filename, skipped=parsed.skipped, errors=parsed.errors, notes=parsed.notes)
    # Every question is checked even when others are broken: the organiser fixes the file in one pass.
    for draft in parsed.drafts:
        q, problems = question_rules.check_question(
            kind=draft.kind,
            text=draft.text,
            options=draft.options,
            explanation=draft.explanation,
            difficulty=draft.difficulty,
            source_ref=draft.source_ref,
            tags=draft.tags,
        )
        for problem in problems:
            parsed.error(draft.line, problem.field, problem.message, **problem.params)
        if not problems:
            plan.questions.append((draft.line, q))
    if not plan.questions and not plan.skipped and not plan.errors:
        parsed.error(0, None, N_("Tệp không có câu hỏi nào."))
    plan.errors.sort(key=_order)
    return plan


def _order(error: dict[str, Any]) -> tuple[int, int]:
    fld = error["field"] or ""
    return error["row"], _FIELDS.get(fld, FIELD_ORDER.get(fld, 99))


def _read(content: bytes, filename: str, parsed: Parsed) -> None:
    if len(content) > MAX_BYTES:
        raise FileProblem(N_("Tệp lớn quá {max_mb} MB. Hãy chia thành nhiều tệp nhỏ hơn."), max_mb=MAX_BYTES // (1024 * 1024))
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in (*FORMATS, ".xlsm", ".xls"):
        raise FileProblem(N_("Chỉ nhận tệp Excel (.xlsx), CSV (.csv), Aiken (.txt), GIFT (.gift) hoặc Moodle XML (.xml)."))
    if not content.strip():
        raise FileProblem(N_("Tệp trống."))
    if suffix in (".xlsx", ".xlsm", ".xls", ".csv"):
        from app.services.bank.import_sheet import parse as parse_sheet

        parse_sheet(content, filename, parsed)
    elif suffix == ".xml":
        parse_moodle_xml(content, parsed)
    else:
        text = decode_text(content)
        # Moodle writes GIFT files as .txt too: a .txt without "ANSWER:" lines but with braces is GIFT.
        if suffix == ".gift" or (not looks_like_aiken(text) and "{" in text):
            parse_gift(text, parsed)
        else:
            parse_aiken(text, parsed)


def preview(*, session: Session, actor: Actor, topic_id: int, content: bytes, filename: str, locale: str = "vi") -> tuple[Topic, Plan]:
    """The topic (the actor must manage it: 404 otherwise) and what importing the file would do."""
    topic, _unit = bank.get_topic(session=session, actor=actor, topic_id=topic_id)
    return topic, parse(content, filename, locale=locale)


def commit(
    *,
    session: Session,
    actor: Actor,
    topic_id: int,
    content: bytes,
    filename: str,
    locale: str = "vi",
    progress: Callable[[int], None] | None = None,
    legacy: str | None = None,
) -> ImportResult:
    # The file is read before the transaction that writes (and what the caller began is ended): on SQLite a
    # writing transaction holds the machine-wide writer lock, and answer saves must not wait for a parser.
    session.commit()
    plan = parse(content, filename, locale=locale, legacy=legacy)
    topic, _unit = bank.get_topic(session=session, actor=actor, topic_id=topic_id)
    if plan.errors:
        raise ImportFailed(plan.errors, extra={"created": 0, "skipped": plan.skipped})
    assert topic.id is not None
    questions, options = Question.__table__, QuestionOption.__table__
    done = 0
    # Core multi-row INSERTs, ids back in parameter order (INSERT … RETURNING on both databases): no round
    # trip and no ORM object per question (docs/performance.md#imports).
    for start in range(0, len(plan.questions), CHUNK):
        chunk = [q for _line, q in plan.questions[start : start + CHUNK]]
        ids = (
            session.execute(
                insert(questions).returning(questions.c.id, sort_by_parameter_order=True),
                [bank.question_values(topic_id=topic.id, q=q, actor_id=actor.id) for q in chunk],
            )
            .scalars()
            .all()
        )
        session.execute(
            insert(options),
            [
                {"question_id": qid, "position": i, "text": t, "correct": c}
                for qid, q in zip(ids, chunk, strict=True)
                for i, (t, c) in enumerate(q.options)
            ],
        )
        done += len(chunk)
        if progress:
            progress(done)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="question.import",
        entity="topic",
        entity_id=topic.id,
        detail={"filename": filename, "created": len(plan.questions), "skipped": len(plan.skipped)},
        ip=actor.ip,
    )
    session.flush()
    return ImportResult(created=len(plan.questions), skipped=plan.skipped, notes=plan.notes)
