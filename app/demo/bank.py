"""Demo question bank: "Cuộc thi tìm hiểu Nghị quyết Đại hội Đảng bộ thành phố Thủ Dầu Một lần thứ XII, nhiệm kỳ 2020–2025".

Content rules (the platform is used by real Party members):
- questions rest on widely known, stable facts: the Party Statute (Điều lệ Đảng), national documents whose number
  and subject are well established, and general principles;
- nothing here quotes a figure, target or date from the city's own resolution. Where a question follows the
  resolution's general direction rather than its text, its source is "Minh hoạ (demo)";
- "Tài liệu tìm hiểu (demo)" marks general knowledge; a named document is cited only when certain.

Every question goes through question_rules.check_question before it is stored (load_bank raises on any problem).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.models import Topic, Unit
from app.services.bank import question_rules
from app.services.bank import questions as bank

# The questions themselves are data: app/demo/bank.json, [{"name", "description", "questions": [{"kind",
# "text", "options": [[text, correct], ...], "explanation", "difficulty", "source_ref", "tags"}]}].
DEMO_TOPICS: list[dict[str, Any]] = json.loads((Path(__file__).resolve().parent / "bank.json").read_text(encoding="utf-8"))


def checked_topics() -> list[tuple[dict[str, Any], list[question_rules.CleanQuestion]]]:
    """Every demo topic with its questions run through question_rules.check_question; raises ValueError on any problem."""
    out: list[tuple[dict[str, Any], list[question_rules.CleanQuestion]]] = []
    problems: list[str] = []
    for topic in DEMO_TOPICS:
        cleaned: list[question_rules.CleanQuestion] = []
        for q in topic["questions"]:
            clean_q, errors = question_rules.check_question(
                kind=q["kind"],
                text=q["text"],
                options=q["options"],
                explanation=q["explanation"],
                difficulty=q["difficulty"],
                source_ref=q["source_ref"],
                tags=q["tags"],
            )
            problems += [f"{topic['name']} / {q['text'][:60]}: {e.field}: {e.message}" for e in errors]
            cleaned.append(clean_q)
        out.append((topic, cleaned))
    if problems:
        raise ValueError("Demo question bank is invalid:\n" + "\n".join(problems))
    return out


def load_bank(*, session: Session, unit: Unit, actor_id: int | None = None) -> list[Topic]:
    """Create the demo topics, owned by `unit`, and their questions. Flushes; the caller commits."""
    topics: list[Topic] = []
    for data, questions in checked_topics():  # check everything before writing anything
        assert unit.id is not None
        topic = Topic(unit_id=unit.id, name=data["name"], description=data["description"], created_by_id=actor_id)
        session.add(topic)
        session.flush()
        for q in questions:
            bank.add_question(session=session, topic=topic, q=q, actor_id=actor_id)
        topics.append(topic)
    session.flush()
    return topics
