from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.demo import bank as demo_bank
from app.models import Question, QuestionOption, Topic
from app.services.bank import question_rules
from app.services.kit.text import fold
from tests.factories import make_unit

TOPIC_NAMES = [
    "Chỉnh trang, phát triển đô thị và xây dựng nếp sống văn minh đô thị",
    "Nhiệm vụ kép: vừa phòng, chống dịch Covid-19, vừa phát triển kinh tế - xã hội",
    "Chuyển đổi số, dịch vụ công trực tuyến và cải cách hành chính",
    "Xây dựng, chỉnh đốn Đảng và hệ thống chính trị",
    "Các chương trình, kế hoạch thực hiện Nghị quyết",
]
ALL_QUESTIONS = [q for t in demo_bank.DEMO_TOPICS for q in t["questions"]]


def _id(q: dict) -> str:
    return q["text"][:50]


@pytest.mark.parametrize("q", ALL_QUESTIONS, ids=_id)
def test_every_question_passes_the_bank_check(q: dict) -> None:
    clean, errors = question_rules.check_question(
        kind=q["kind"],
        text=q["text"],
        options=q["options"],
        explanation=q["explanation"],
        difficulty=q["difficulty"],
        source_ref=q["source_ref"],
        tags=q["tags"],
    )
    assert errors == []
    assert clean.explanation and clean.source_ref and 1 <= len(clean.tags) <= 2
    assert 2 <= len(clean.options) <= 4
    n_correct = sum(c for _, c in clean.options)
    if clean.kind == "true_false":
        assert [t for t, _ in clean.options] == list(question_rules.TRUE_FALSE)
    elif clean.kind == "multiple":
        assert n_correct == 2 and len(clean.options) >= 3
    else:
        assert clean.kind == "single" and len(clean.options) >= 3


def test_bank_size_and_topics() -> None:
    assert [t["name"] for t in demo_bank.DEMO_TOPICS] == TOPIC_NAMES
    assert len(ALL_QUESTIONS) >= 60
    assert all(len(t["questions"]) >= 12 for t in demo_bank.DEMO_TOPICS)
    kinds = Counter(q["kind"] for q in ALL_QUESTIONS)
    assert kinds["multiple"] >= 6 and kinds["true_false"] >= 6
    assert set(Counter(q["difficulty"] for q in ALL_QUESTIONS)) == {"easy", "medium", "hard"}


@pytest.mark.parametrize("topic", demo_bank.DEMO_TOPICS, ids=lambda t: t["name"][:30])
def test_no_duplicate_question_in_a_topic(topic: dict) -> None:
    folded = [fold(q["text"]) for q in topic["questions"]]
    assert len(folded) == len(set(folded))


def test_load_bank_creates_every_topic_and_question(session: Session) -> None:
    unit = make_unit(session, "TDM", kind="Đảng bộ")
    topics = demo_bank.load_bank(session=session, unit=unit)
    session.commit()

    assert [t.name for t in topics] == TOPIC_NAMES
    assert all(t.unit_id == unit.id and t.id is not None for t in topics)
    per_topic = dict(session.exec(select(Question.topic_id, func.count()).group_by(Question.topic_id)).all())
    assert per_topic == {t.id: len(d["questions"]) for t, d in zip(topics, demo_bank.DEMO_TOPICS, strict=True)}
    n_options = session.exec(select(func.count()).select_from(QuestionOption)).one()
    assert n_options == sum(len(q["options"]) for q in ALL_QUESTIONS)
    n_correct = session.exec(select(func.count()).select_from(QuestionOption).where(col(QuestionOption.correct).is_(True))).one()
    assert n_correct == sum(c for q in ALL_QUESTIONS for _, c in q["options"])
    stored = session.exec(select(Question).where(Question.text_folded == fold(ALL_QUESTIONS[0]["text"]))).one()
    assert stored.tags == question_rules.tags_column(ALL_QUESTIONS[0]["tags"])
    assert session.exec(select(func.count()).select_from(Topic)).one() == len(TOPIC_NAMES)


def test_load_bank_refuses_an_invalid_question(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    unit = make_unit(session, "TDM", kind="Đảng bộ")
    broken = [{**demo_bank.DEMO_TOPICS[0], "questions": [{**ALL_QUESTIONS[0], "options": [("Đúng", False)]}]}]
    monkeypatch.setattr(demo_bank, "DEMO_TOPICS", broken)
    with pytest.raises(ValueError, match="Demo question bank is invalid"):
        demo_bank.load_bank(session=session, unit=unit)
    assert session.exec(select(func.count()).select_from(Topic)).one() == 0


def test_correct_answer_is_not_always_in_the_same_place() -> None:
    # Rounds may turn option shuffling off: the stored order must not give the answer away.
    singles = [q for q in ALL_QUESTIONS if q["kind"] == "single"]
    positions = Counter(next(i for i, (_, c) in enumerate(q["options"]) if c) for q in singles)
    assert max(positions.values()) <= len(singles) // 2
    assert len(positions) >= 3
