"""Whether the bank can serve a round's settings: its fixed questions or its draw's topics exist, are in the
organiser's reach and active, each draw has enough active questions (counting overlapping lines), and, where the
contest says so, none comes from a published study set. For contests.checks.check_round, and the contest page's
"can the bank serve this draw" hints (draw_shortages, active_counts)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.errors import N_
from app.models import Question, Topic, Unit
from app.models.bank import Difficulty
from app.models.types import is_db_id
from app.services.org.access import Actor
from app.services.org.members import FieldError, raise_first

_SHORT = {
    Difficulty.easy: N_("Vòng {round}: chủ đề «{topic}» chỉ có {available} câu mức dễ đang dùng, không đủ {count} câu."),
    Difficulty.medium: N_("Vòng {round}: chủ đề «{topic}» chỉ có {available} câu mức trung bình đang dùng, không đủ {count} câu."),
    Difficulty.hard: N_("Vòng {round}: chủ đề «{topic}» chỉ có {available} câu mức khó đang dùng, không đủ {count} câu."),
}


def check_bank(
    session: Session,
    actor: Actor | None,
    ids: list[int],
    draw: list[dict[str, Any]],
    study_draw: bool,
    bad: Callable[..., None],
    errors: list[FieldError],
) -> None:
    """The bank can serve the round: its questions or topics exist and are in reach, and, where the contest
    says so, none of them is a published study set. Runs only once the settings themselves are right."""
    if ids:
        _check_question_ids(session, actor, ids, bad)
    else:
        check_draw(session=session, actor=actor, draw=draw, bad=bad)
    raise_first(errors)
    if not study_draw:
        _check_not_studied(session, ids, draw, bad)
        raise_first(errors)


def _check_question_ids(session: Session, actor: Actor | None, ids: list[int], bad: Callable[..., None]) -> None:
    seen: set[int] = set()
    for qid in ids:
        if qid in seen:
            bad("question_ids", N_("Vòng {round}: câu hỏi số {id} được chọn hai lần."), id=qid)
            return
        seen.add(qid)
    valid = [i for i in ids if is_db_id(i)]
    rows = (
        {
            q.id: (q, u)
            for q, u in session.exec(
                select(Question, Unit)
                .join(Topic, col(Topic.id) == Question.topic_id)
                .join(Unit, col(Unit.id) == Topic.unit_id)
                .where(col(Question.id).in_(valid))
            ).all()
        }
        if valid
        else {}
    )
    for qid in ids:
        q, unit = rows.get(qid, (None, None))
        # A question of another subtree's bank does not exist for this organiser (as bank.get_topic).
        if q is None or unit is None or (actor is not None and not actor.covers(unit)):
            bad("question_ids", N_("Vòng {round}: không tìm thấy câu hỏi số {id}."), id=qid)
            return
        if not q.active:
            bad("question_ids", N_("Vòng {round}: câu hỏi số {id} đã ngừng sử dụng."), id=qid)
            return


@dataclass(frozen=True)
class Shortage:
    """A draw the bank cannot serve: the lines of `topic_id` of `difficulty` (None: all its lines) need
    `count` questions and the topic has `available` active ones."""

    topic_id: int
    difficulty: str | None
    available: int
    count: int


def draw_shortages(draw: list[dict[str, Any]], available: dict[int, dict[str, int]]) -> list[Shortage]:
    """Lines on one topic draw from the same questions: a line of one difficulty needs that many of it, and
    all lines of the topic together (the "any difficulty" lines included) need that many in total.
    `available` maps topic id → difficulty → active questions."""
    by_topic: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in draw:
        by_topic[line["topic_id"]].append(line)
    out = []
    for topic_id, lines in by_topic.items():
        have = available.get(topic_id, {})
        need: dict[str, int] = defaultdict(int)
        for line in lines:
            if line["difficulty"]:
                need[line["difficulty"]] += line["count"]
        short = [Shortage(topic_id, d, have.get(d, 0), n) for d, n in need.items() if n > have.get(d, 0)]
        total = sum(line["count"] for line in lines)
        if not short and total > sum(have.values()):
            short = [Shortage(topic_id, None, sum(have.values()), total)]
        out += short
    return out


def active_counts(*, session: Session, topic_ids: list[int]) -> dict[int, dict[str, int]]:
    """Active questions per topic and difficulty."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for topic_id, difficulty, n in session.exec(
        select(Question.topic_id, Question.difficulty, func.count())
        .where(col(Question.topic_id).in_(topic_ids), col(Question.active).is_(True))
        .group_by(col(Question.topic_id), col(Question.difficulty))
    ).all():
        out[topic_id][difficulty] = int(n)
    return out


def check_draw(*, session: Session, actor: Actor | None, draw: list[dict[str, Any]], bad: Callable[..., None]) -> None:
    """Can the bank serve every attempt of this draw (draw_shortages)? Topics out of reach do not exist."""
    topics: dict[int, Topic] = {}
    for line in draw:
        topic_id = line["topic_id"]
        topic = session.get(Topic, topic_id) if is_db_id(topic_id) else None
        unit = session.get(Unit, topic.unit_id) if topic else None
        if topic is None or unit is None or (actor is not None and not actor.covers(unit)):
            bad("draw", N_("Vòng {round}: không tìm thấy chủ đề số {id}."), id=topic_id)
            return
        topics[topic_id] = topic
    for short in draw_shortages(draw, active_counts(session=session, topic_ids=list(topics)))[:1]:
        name = topics[short.topic_id].name
        if short.difficulty:
            bad("draw", _SHORT[Difficulty(short.difficulty)], topic=name, available=short.available, count=short.count)
        else:
            bad(
                "draw",
                N_(
                    "Vòng {round}: chủ đề «{topic}» chỉ có {available} câu đang dùng, không đủ {count} câu cho các dòng rút của chủ đề này."
                ),
                topic=name,
                available=short.available,
                count=short.count,
            )


def _check_not_studied(session: Session, ids: list[int], draw: list[dict[str, Any]], bad: Callable[..., None]) -> None:
    """A contest that keeps the study sets open does not ask their questions: members have seen the key."""
    topic_ids = {line["topic_id"] for line in draw}
    if ids:
        topic_ids |= set(session.exec(select(Question.topic_id).where(col(Question.id).in_(ids))).all())
    studied = session.exec(
        select(Topic).where(col(Topic.id).in_(topic_ids), col(Topic.study_published).is_(True)).order_by(Topic.name)
    ).first()
    if studied is not None:
        bad(
            "question_ids" if ids else "draw",
            N_(
                "Vòng {round}: chủ đề «{topic}» là bộ câu hỏi ôn tập đã công bố; "
                "cuộc thi này không ra đề từ bộ ôn tập (đổi trong cài đặt cuộc "
                "thi, khi đó câu hỏi được ẩn khỏi phần ôn tập cho đến khi vòng "
                "thi đóng)."
            ),
            topic=studied.name,
        )
