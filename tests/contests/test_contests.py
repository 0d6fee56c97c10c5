"""Contests and rounds: every check with its message and field, the draw against the bank, scope,
the publish lifecycle, the settings a published round locks, and the generated rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.i18n import translate
from app.models import AuditEntry, Question, RoundQuestion
from app.services.bank import questions as bank
from app.services.bank.schemas import QuestionCreate, TopicCreate
from app.services.contests import contests, rounds
from app.services.contests.rules import rules_summary
from app.services.contests.schemas import ContestCreate, ContestUpdate, RoundUpdate
from app.services.org.access import Actor
from tests.factories import Tree, actor, make_member, make_tree


@dataclass(frozen=True)
class World(Tree):
    org_a: Actor
    org_b: Actor
    topic: int  # in A: 12 easy, 5 medium, 3 hard
    other: int  # in A: 4 easy
    topic_b: int  # in B: 5 easy
    easy: list[int]


def _questions(session: Session, who: Actor, topic_id: int, difficulty: str, n: int) -> list[int]:
    out = []
    for i in range(n):
        q = bank.create_question(
            session=session,
            actor=who,
            data=QuestionCreate(
                topic_id=topic_id,
                text=f"Câu {difficulty} {i} của chủ đề {topic_id}?",
                difficulty=difficulty,
                options=[{"text": "Đúng", "correct": True}, {"text": "Sai"}],
            ),
        )
        out.append(q.id)
    return out


@pytest.fixture
def w(session: Session) -> World:
    t = make_tree(session)
    org_a = actor(session, make_member(session, t.a, roles=(("organiser", t.a),)))
    org_b = actor(session, make_member(session, t.b, roles=(("organiser", t.b),)))
    topic = bank.create_topic(session=session, actor=org_a, data=TopicCreate(name="Chỉnh trang đô thị"))
    other = bank.create_topic(session=session, actor=org_a, data=TopicCreate(name="Cải cách hành chính"))
    topic_b = bank.create_topic(session=session, actor=org_b, data=TopicCreate(name="Xây dựng Đảng"))
    easy = _questions(session, org_a, topic.id, "easy", 12)
    _questions(session, org_a, topic.id, "medium", 5)
    _questions(session, org_a, topic.id, "hard", 3)
    _questions(session, org_a, other.id, "easy", 4)
    _questions(session, org_b, topic_b.id, "easy", 5)
    session.commit()
    return World(t.root, t.a, t.a1, t.a2, t.b, t.b1, org_a, org_b, topic.id, other.id, topic_b.id, easy)


def week(n: int, *, start: datetime = datetime(2031, 3, 3, 8, 0)) -> tuple[str, str]:
    """Monday 08:00 to the next Monday 08:00, naive (contest time zone)."""
    opens = start + timedelta(weeks=n)
    return opens.isoformat(), (opens + timedelta(weeks=1)).isoformat()


def body(w: World, **over) -> dict:
    o1, c1 = week(0)
    o2, c2 = week(1)
    data = {
        "title": "Tìm hiểu Nghị quyết Đại hội Đảng bộ thành phố Thủ Dầu Một",
        "rules_text": "# Thể lệ\n\nXem dưới.",
        "scope_unit_code": "DB-A",
        "rounds": [
            {
                "title": "Tuần 1",
                "opens_at": o1,
                "closes_at": c1,
                "question_ids": w.easy[:3],
                "attempts_allowed": 3,
                "counted_attempt": "best",
                "prediction": {"kind": "perfect_scorers", "prompt": ""},
            },
            {
                "title": "Tuần 2",
                "opens_at": o2,
                "closes_at": c2,
                "time_limit_s": 600,
                "draw": [
                    {"topic_id": w.topic, "difficulty": "easy", "count": 5},
                    {"topic_id": w.topic, "difficulty": None, "count": 5},
                    {"topic_id": w.other, "difficulty": None, "count": 2},
                ],
                "results_visibility": "immediate",
                "points_per_question": 2,
            },
        ],
    }
    data.update(over)
    return data


def create(session: Session, who: Actor, data: dict):
    c = contests.create_contest(session=session, actor=who, data=ContestCreate.model_validate(data))
    session.commit()
    return c


def round_over(w: World, i: int, **over) -> dict:
    data = body(w)
    data["rounds"][i].update(over)
    return data


def test_full_contest_with_two_weekly_rounds(session, w):
    c = create(session, w.org_a, body(w))
    assert c.status == "draft" and len(c.slug) == 7 and c.slug.isalnum()
    assert not set(c.slug) & set("01ilo")
    assert c.tie_break == ["score", "prediction_error", "duration", "submitted_at"]
    pub = contests.contest_public(session=session, contest=c)
    r1, r2 = pub.rounds
    assert (r1.position, r2.position) == (1, 2)
    assert r1.opens_at.isoformat() == "2031-03-03T08:00:00+07:00"
    assert r1.opens_at.astimezone(UTC) == datetime(2031, 3, 3, 1, 0, tzinfo=UTC)
    assert r1.question_ids == w.easy[:3] and r1.question_count == 3 and r1.draw == []
    assert r1.prediction and r1.prediction.kind == "perfect_scorers" and r1.prediction.lock_first
    assert "đúng tất cả" in r1.prediction.prompt  # the default prompt of its kind
    assert (r1.time_limit_s, r1.shuffle_questions, r1.shuffle_options, r1.cooldown_s, r1.points_per_question, r1.results_visibility) == (
        900,
        True,
        True,
        0,
        1,
        "after_close",
    )
    assert r2.question_ids == [] and r2.question_count == 12 and r2.draw[0].difficulty == "easy"
    assert r2.draw[1].difficulty is None and r2.prediction is None
    stored = session.exec(select(RoundQuestion).where(RoundQuestion.round_id == r1.id).order_by(RoundQuestion.position)).all()
    assert [x.question_id for x in stored] == w.easy[:3]
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "contest.create")).one().entity_id == str(c.id)


def test_offset_times_are_kept_and_slugs_differ(session, w):
    data = round_over(w, 0, opens_at="2031-03-03T01:00:00Z", closes_at="2031-03-10T08:00:00+07:00")
    c = create(session, w.org_a, data)
    r1 = contests.rounds_of(session=session, contest=c)[0]
    assert r1.opens_at == datetime(2031, 3, 3, 1, 0, tzinfo=UTC)
    assert create(session, w.org_a, body(w)).slug != c.slug


def test_question_order_is_kept(session, w):
    ids = [w.easy[4], w.easy[0], w.easy[2]]
    c = create(session, w.org_a, round_over(w, 0, question_ids=ids))
    assert contests.contest_public(session=session, contest=c).rounds[0].question_ids == ids


@pytest.mark.parametrize(
    "over,field,message",
    [
        ({"closes_at": "2031-03-03T08:00:00"}, "rounds.0.closes_at", "Vòng 1: thời gian đóng phải sau thời gian mở."),
        ({"opens_at": None}, "rounds.0.opens_at", "Vòng 1: thiếu thời gian mở."),
        ({"time_limit_s": 59}, "rounds.0.time_limit_s", "Vòng 1: thời gian làm bài phải từ 60 đến 10800 giây"),
        ({"time_limit_s": 10801}, "rounds.0.time_limit_s", "Vòng 1: thời gian làm bài"),
        ({"attempts_allowed": 51}, "rounds.0.attempts_allowed", "Vòng 1: số lần thi phải từ 0 (không giới hạn) đến 50."),
        ({"attempts_allowed": -1}, "rounds.0.attempts_allowed", "Vòng 1: số lần thi"),
        ({"cooldown_s": -5}, "rounds.0.cooldown_s", "Vòng 1: thời gian chờ"),
        ({"points_per_question": 0}, "rounds.0.points_per_question", "Vòng 1: điểm mỗi câu phải từ 1 đến 100."),
        ({"points_per_question": 101}, "rounds.0.points_per_question", "Vòng 1: điểm mỗi câu"),
        ({"counted_attempt": "average"}, "rounds.0.counted_attempt", "Vòng 1: cách tính lượt thi average không có"),
        ({"results_visibility": "never"}, "rounds.0.results_visibility", "Vòng 1: cách công bố kết quả never"),
        ({"prediction": {"kind": "weather"}}, "rounds.0.prediction.kind", "Vòng 1: loại câu hỏi dự đoán weather"),
        ({"prediction": {"kind": "attempts", "prompt": "x" * 501}}, "rounds.0.prediction.prompt", "Vòng 1: câu hỏi dự đoán dài"),
        ({"question_ids": []}, "rounds.0.question_ids", "Vòng 1: cần ít nhất một câu hỏi"),
        ({"draw": [{"topic_id": 1, "count": 1}]}, "rounds.0.draw", "Vòng 1: chỉ chọn một nguồn câu hỏi"),
        ({"question_ids": [999999]}, "rounds.0.question_ids", "Vòng 1: không tìm thấy câu hỏi số 999999."),
        ({"title": "T" * 201}, "rounds.0.title", "Vòng 1: tên vòng dài quá 200 ký tự."),
    ],
)
def test_round_checks(session, w, over, field, message):
    with pytest.raises(Invalid) as exc:
        create(session, w.org_a, round_over(w, 0, **over))
    assert exc.value.field == field
    assert translate(exc.value.message, "vi", **exc.value.params).startswith(message)


def test_second_round_checks_name_it(session, w):
    o, _c = week(1)
    with pytest.raises(Invalid) as exc:
        create(session, w.org_a, round_over(w, 1, closes_at=o))
    assert exc.value.field == "rounds.1.closes_at"
    assert translate(exc.value.message, "vi", **exc.value.params) == "Vòng 2: thời gian đóng phải sau thời gian mở."


def test_duplicate_and_inactive_questions(session, w):
    with pytest.raises(Invalid, match="hai lần") as exc:
        create(session, w.org_a, round_over(w, 0, question_ids=[w.easy[0], w.easy[0]]))
    assert exc.value.params["id"] == w.easy[0]
    q = session.get(Question, w.easy[1])
    q.active = False
    session.add(q)
    session.commit()
    with pytest.raises(Invalid, match="ngừng sử dụng") as exc:
        create(session, w.org_a, round_over(w, 0, question_ids=[w.easy[0], w.easy[1]]))
    assert exc.value.field == "rounds.0.question_ids"


def test_rounds_must_not_overlap(session, w):
    o1, c1 = week(0)
    data = round_over(w, 1, opens_at=(datetime.fromisoformat(c1) - timedelta(minutes=1)).isoformat())
    with pytest.raises(Invalid) as exc:
        create(session, w.org_a, data)
    assert exc.value.field == "rounds.1.opens_at"
    assert translate(exc.value.message, "vi", **exc.value.params).startswith("Vòng 2 phải mở sau khi vòng 1 đóng")


@pytest.mark.parametrize(
    "tie_break,message",
    [
        (["score", "speed"], "Tiêu chí xếp hạng speed không có"),
        (["score", "duration", "duration"], "Tiêu chí xếp hạng duration bị lặp lại."),
        (["duration", "submitted_at"], "Thứ tự xếp hạng phải có tiêu chí điểm (score)."),
        ([], "Thứ tự xếp hạng phải có tiêu chí điểm (score)."),
    ],
)
def test_tie_break_checks(session, w, tie_break, message):
    with pytest.raises(Invalid) as exc:
        create(session, w.org_a, body(w, tie_break=tie_break))
    assert exc.value.field == "tie_break"
    assert translate(exc.value.message, "vi", **exc.value.params).startswith(message)


def test_other_tie_break_orders(session, w):
    c = create(session, w.org_a, body(w, tie_break=["score", "duration", "prediction_error"]))
    assert c.tie_break == ["score", "duration", "prediction_error"]


@pytest.mark.parametrize(
    "over,field",
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"scope_unit_code": "NOPE"}, "scope_unit_code"),
        ({"scope_unit_code": ""}, "scope_unit_code"),
        ({"rounds": []}, "rounds"),
    ],
)
def test_contest_checks(session, w, over, field):
    with pytest.raises(Invalid) as exc:
        create(session, w.org_a, body(w, **over))
    assert exc.value.field == field


@pytest.mark.parametrize(
    "draw,message",
    [
        (
            [{"topic_id": "T", "difficulty": "easy", "count": 15}],
            "Vòng 2: chủ đề «Chỉnh trang đô thị» chỉ có 12 câu mức dễ đang dùng, không đủ 15 câu.",
        ),
        (
            [{"topic_id": "T", "difficulty": "hard", "count": 4}],
            "Vòng 2: chủ đề «Chỉnh trang đô thị» chỉ có 3 câu mức khó đang dùng, không đủ 4 câu.",
        ),
        # Two easy lines add up.
        (
            [{"topic_id": "T", "difficulty": "easy", "count": 7}, {"topic_id": "T", "difficulty": "easy", "count": 6}],
            "Vòng 2: chủ đề «Chỉnh trang đô thị» chỉ có 12 câu mức dễ đang dùng, không đủ 13 câu.",
        ),
        # Any-difficulty lines compete with the others for the same 20 questions.
        (
            [{"topic_id": "T", "difficulty": None, "count": 10}, {"topic_id": "T", "difficulty": "easy", "count": 11}],
            "Vòng 2: chủ đề «Chỉnh trang đô thị» chỉ có 20 câu đang dùng, không đủ 21 câu",
        ),
        (
            [{"topic_id": "O", "difficulty": "medium", "count": 1}],
            "Vòng 2: chủ đề «Cải cách hành chính» chỉ có 0 câu mức trung bình đang dùng, không đủ 1 câu.",
        ),
        ([{"topic_id": "T", "difficulty": "easy", "count": 0}], "Vòng 2: số câu rút ở dòng 1 phải lớn hơn 0."),
        ([{"topic_id": "T", "difficulty": "tricky", "count": 1}], "Vòng 2: mức độ tricky ở dòng rút 1 không có"),
        ([{"topic_id": 999999, "difficulty": None, "count": 1}], "Vòng 2: không tìm thấy chủ đề số 999999."),
    ],
)
def test_draws_that_cannot_be_met(session, w, draw, message):
    ids = {"T": w.topic, "O": w.other}
    lines = [{**line, "topic_id": ids.get(line["topic_id"], line["topic_id"])} for line in draw]
    with pytest.raises(Invalid) as exc:
        create(session, w.org_a, round_over(w, 1, draw=lines))
    assert exc.value.field == "rounds.1.draw"
    assert translate(exc.value.message, "vi", **exc.value.params).startswith(message)


def test_a_draw_that_takes_the_whole_topic_is_fine(session, w):
    create(
        session,
        w.org_a,
        round_over(
            w,
            1,
            draw=[
                {"topic_id": w.topic, "difficulty": "easy", "count": 12},
                {"topic_id": w.topic, "difficulty": "hard", "count": 3},
                {"topic_id": w.topic, "difficulty": None, "count": 5},
            ],
        ),
    )


def test_scope(session, w):
    c = create(session, w.org_a, body(w))
    with pytest.raises(NotFound):
        contests.get_contest(session=session, actor=w.org_b, contest_id=c.id)
    with pytest.raises(NotFound):
        contests.publish_contest(session=session, actor=w.org_b, contest_id=c.id)
    round_id = contests.rounds_of(session=session, contest=c)[0].id
    with pytest.raises(NotFound):
        rounds.update_round(session=session, actor=w.org_b, round_id=round_id, data=RoundUpdate(title="X"))
    with pytest.raises(NotFound):
        contests.update_contest(session=session, actor=w.org_b, contest_id=c.id, data=ContestUpdate(title="X"))
    with pytest.raises(Forbidden):
        create(session, w.org_b, body(w))  # scoped to DB-A
    # B's organiser cannot ask A's questions or draw from A's topics, nor A from B's.
    with pytest.raises(Invalid, match="không tìm thấy câu hỏi"):
        create(session, w.org_b, body(w, scope_unit_code="DB-B"))
    with pytest.raises(Invalid, match="không tìm thấy chủ đề") as exc:
        create(session, w.org_a, round_over(w, 1, draw=[{"topic_id": w.topic_b, "count": 1}]))
    assert exc.value.params["id"] == w.topic_b
    assert [x.id for x in contests.list_contests(session=session, actor=w.org_a)] == [c.id]
    assert contests.list_contests(session=session, actor=w.org_b) == []


def test_publish_lifecycle(session, w):
    c = create(session, w.org_a, body(w))
    with pytest.raises(Conflict):
        contests.close_contest(session=session, actor=w.org_a, contest_id=c.id)
    contests.publish_contest(session=session, actor=w.org_a, contest_id=c.id)
    session.commit()
    assert c.status == "published" and c.published_at is not None
    with pytest.raises(Conflict):
        contests.publish_contest(session=session, actor=w.org_a, contest_id=c.id)
    contests.close_contest(session=session, actor=w.org_a, contest_id=c.id)
    assert c.status == "closed"
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "contest")).all()
    assert set(actions) == {"contest.create", "contest.publish", "contest.close"}


def test_publish_checks_the_draw_again(session, w):
    c = create(session, w.org_a, round_over(w, 1, draw=[{"topic_id": w.topic, "difficulty": "easy", "count": 12}]))
    q = session.get(Question, w.easy[11])
    q.active = False
    session.add(q)
    session.commit()
    with pytest.raises(Invalid, match="không đủ") as exc:
        contests.publish_contest(session=session, actor=w.org_a, contest_id=c.id)
    assert exc.value.field == "rounds.1.draw"
    assert c.status == "draft"


def test_update_contest(session, w):
    c = create(session, w.org_a, body(w))
    contests.update_contest(session=session, actor=w.org_a, contest_id=c.id, data=ContestUpdate(tie_break=["score", "duration"]))
    assert c.tie_break == ["score", "duration"]
    contests.publish_contest(session=session, actor=w.org_a, contest_id=c.id)
    contests.update_contest(session=session, actor=w.org_a, contest_id=c.id, data=ContestUpdate(title="Tên mới", rules_text="Mới"))
    assert (c.title, c.rules_text) == ("Tên mới", "Mới")
    with pytest.raises(Conflict, match="bản nháp"):
        contests.update_contest(session=session, actor=w.org_a, contest_id=c.id, data=ContestUpdate(tie_break=["score", "submitted_at"]))
    # Sending the same order back is not a change.
    contests.update_contest(session=session, actor=w.org_a, contest_id=c.id, data=ContestUpdate(tie_break=["score", "duration"]))


def _open_contest(session: Session, w: World):
    """Published, round 1 opened yesterday and closes in six days, round 2 next week."""
    now = datetime.now(UTC).replace(microsecond=0)
    data = body(w)
    data["rounds"][0].update(opens_at=(now - timedelta(days=1)).isoformat(), closes_at=(now + timedelta(days=6)).isoformat())
    data["rounds"][1].update(opens_at=(now + timedelta(days=6)).isoformat(), closes_at=(now + timedelta(days=13)).isoformat())
    c = create(session, w.org_a, data)
    contests.publish_contest(session=session, actor=w.org_a, contest_id=c.id)
    session.commit()
    r1, r2 = contests.rounds_of(session=session, contest=c)
    return c, r1, r2, now


@pytest.mark.parametrize(
    "change,field",
    [
        ({"time_limit_s": 1200}, "time_limit_s"),
        ({"question_ids": "other"}, "question_ids"),
        ({"draw": "draw"}, "draw"),
        ({"shuffle_questions": False}, "shuffle_questions"),
        ({"shuffle_options": False}, "shuffle_options"),
        ({"attempts_allowed": 5}, "attempts_allowed"),
        ({"cooldown_s": 60}, "cooldown_s"),
        ({"counted_attempt": "last"}, "counted_attempt"),
        ({"points_per_question": 5}, "points_per_question"),
        ({"prediction": {"kind": "participants"}}, "prediction.kind"),
        ({"prediction": {"kind": "perfect_scorers", "lock_first": False}}, "prediction.lock_first"),
        ({"prediction": None}, "prediction.kind"),
        ({"opens_at": "now"}, "opens_at"),
    ],
)
def test_an_opened_round_locks_its_fairness_settings(session, w, change, field):
    c, r1, _r2, now = _open_contest(session, w)
    value = next(iter(change.values()))
    key = next(iter(change))
    if value == "other":
        change = {key: [w.easy[5], w.easy[6], w.easy[7]]}
    elif value == "draw":
        change = {key: [{"topic_id": w.topic, "difficulty": None, "count": 3}]}
    elif value == "now":
        change = {key: now.isoformat()}
    with pytest.raises(Conflict) as exc:
        rounds.update_round(session=session, actor=w.org_a, round_id=r1.id, data=RoundUpdate(**change))
    assert exc.value.extra["field"] == field
    assert translate(exc.value.message, "vi", **exc.value.params).startswith("Vòng 1 đã mở: không thể đổi")


def test_an_opened_round_still_takes_title_prompt_and_later_close(session, w):
    c, r1, _r2, now = _open_contest(session, w)
    same = rounds.update_round(
        session=session,
        actor=w.org_a,
        round_id=r1.id,
        data=RoundUpdate(
            title="Tuần 1 (đã sửa)",
            time_limit_s=900,
            prediction={"kind": "perfect_scorers", "prompt": "Bao nhiêu?"},
            closes_at=(now + timedelta(days=5)).isoformat(),
            results_visibility="immediate",
        ),
    )
    assert same.title == "Tuần 1 (đã sửa)" and same.prediction_prompt == "Bao nhiêu?"
    assert same.closes_at == now + timedelta(days=5)
    with pytest.raises(Invalid, match="hiện tại") as exc:
        rounds.update_round(
            session=session, actor=w.org_a, round_id=r1.id, data=RoundUpdate(closes_at=(now - timedelta(hours=1)).isoformat())
        )
    assert exc.value.field == "closes_at"
    with pytest.raises(Invalid) as exc:  # into round 2
        rounds.update_round(
            session=session, actor=w.org_a, round_id=r1.id, data=RoundUpdate(closes_at=(now + timedelta(days=7)).isoformat())
        )
    assert exc.value.field == "closes_at"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "round.update")).one()
    assert set(entry.detail["changed"]) == {"title", "prediction_prompt", "closes_at", "results_visibility"}


def test_a_published_round_that_has_not_opened_can_change(session, w):
    _c, _r1, r2, now = _open_contest(session, w)
    r2 = rounds.update_round(
        session=session,
        actor=w.org_a,
        round_id=r2.id,
        data=RoundUpdate(
            time_limit_s=1200,
            attempts_allowed=0,
            counted_attempt="first_perfect",
            question_ids=w.easy[:4],
            opens_at=(now + timedelta(days=6, hours=1)).isoformat(),
        ),
    )
    assert (r2.time_limit_s, r2.attempts_allowed, r2.draw) == (1200, 0, [])
    assert contests.question_ids_of(session=session, round_ids=[r2.id])[r2.id] == w.easy[:4]
    with pytest.raises(Invalid, match="không đủ"):  # still checked against the bank
        rounds.update_round(session=session, actor=w.org_a, round_id=r2.id, data=RoundUpdate(draw=[{"topic_id": w.other, "count": 5}]))
    with pytest.raises(Invalid) as exc:  # into round 1
        rounds.update_round(
            session=session, actor=w.org_a, round_id=r2.id, data=RoundUpdate(opens_at=(now + timedelta(days=5)).isoformat())
        )
    assert exc.value.field == "opens_at"


def test_a_draft_round_changes_freely_even_when_its_time_has_come(session, w):
    now = datetime.now(UTC)
    c = create(session, w.org_a, round_over(w, 0, opens_at=(now - timedelta(days=1)).isoformat()))
    r1 = contests.rounds_of(session=session, contest=c)[0]
    rounds.update_round(
        session=session,
        actor=w.org_a,
        round_id=r1.id,
        data=RoundUpdate(draw=[{"topic_id": w.other, "difficulty": "easy", "count": 4}], time_limit_s=300, prediction=None),
    )
    assert r1.draw[0]["count"] == 4 and r1.prediction_kind is None
    assert contests.question_ids_of(session=session, round_ids=[r1.id])[r1.id] == []


def test_null_is_no_change_where_a_setting_cannot_be_absent(session, w):
    c, r1, _r2, _now = _open_contest(session, w)
    data = RoundUpdate.model_validate({"time_limit_s": None, "opens_at": None, "title": None})
    assert rounds.update_round(session=session, actor=w.org_a, round_id=r1.id, data=data).time_limit_s == 900


def test_an_ended_round_keeps_its_closing_time(session, w):
    now = datetime.now(UTC).replace(microsecond=0)
    data = round_over(w, 0, opens_at=(now - timedelta(days=8)).isoformat(), closes_at=(now - timedelta(days=1)).isoformat())
    data["rounds"] = data["rounds"][:1]
    c = create(session, w.org_a, data)
    contests.publish_contest(session=session, actor=w.org_a, contest_id=c.id)
    r1 = contests.rounds_of(session=session, contest=c)[0]
    with pytest.raises(Conflict, match="đã đóng") as exc:
        rounds.update_round(
            session=session, actor=w.org_a, round_id=r1.id, data=RoundUpdate(closes_at=(now + timedelta(days=1)).isoformat())
        )
    assert exc.value.extra["field"] == "closes_at"


def test_a_closed_contest_only_renames(session, w):
    c, r1, _r2, _now = _open_contest(session, w)
    contests.close_contest(session=session, actor=w.org_a, contest_id=c.id)
    rounds.update_round(session=session, actor=w.org_a, round_id=r1.id, data=RoundUpdate(title="Tuần một"))
    with pytest.raises(Conflict, match="đã kết thúc"):
        rounds.update_round(session=session, actor=w.org_a, round_id=r1.id, data=RoundUpdate(results_visibility="immediate"))


def test_rules_summary(session, w):
    c = create(session, w.org_a, body(w, tie_break=["score", "duration", "prediction_error"]))
    rounds = contests.rounds_of(session=session, contest=c)
    lines = rules_summary(c, rounds, {rounds[0].id: 3})
    text = "\n".join(lines)
    assert lines[0] == "Cuộc thi gồm 2 vòng thi; mọi mốc thời gian tính theo giờ Việt Nam (UTC+07:00)."
    assert "Tuần 1: mở từ 03/03/2031 08:00 đến 10/03/2031 08:00." in lines
    assert "Mỗi lượt thi gồm 3 câu hỏi do ban tổ chức chọn sẵn, làm trong 15 phút." in lines
    assert "Mỗi người được thi tối đa 3 lần; lượt có điểm cao nhất được tính." in lines
    assert "Mỗi câu trả lời đúng được 1 điểm; điểm tối đa của một lượt thi là 3 điểm." in lines
    assert "Điểm và đáp án được công bố sau khi vòng thi đóng (10/03/2031 08:00)." in lines
    assert "Dự đoán được chốt theo lượt thi đầu tiên bạn nộp; các lượt sau không đổi được dự đoán." in lines
    assert "số người trả lời đúng tất cả các câu hỏi" in text
    assert "Thứ tự câu hỏi và thứ tự các phương án được xáo trộn riêng cho từng lượt thi." in lines
    # Round 2: a draw of 12, 10 minutes, 1 attempt, 2 points, immediate.
    assert "Mỗi lượt thi gồm 12 câu hỏi rút ngẫu nhiên từ ngân hàng câu hỏi, làm trong 10 phút." in lines
    assert "Mỗi người được thi 1 lần." in lines
    assert "Mỗi câu trả lời đúng được 2 điểm; điểm tối đa của một lượt thi là 24 điểm." in lines
    assert "Điểm và đáp án được xem ngay sau khi nộp bài." in lines
    assert lines[-2] == (
        "Xếp hạng mỗi vòng: điểm cao hơn xếp trên; nếu bằng nhau thì thời gian làm bài ngắn hơn "
        "xếp trên; nếu bằng nhau thì dự đoán sát hơn (chênh lệch giữa dự đoán và đáp án nhỏ hơn) "
        "xếp trên."
    )
    assert lines[-1].startswith("Xếp hạng chung cuộc theo tổng điểm")


def test_rules_summary_variants(session, w):
    data = round_over(
        w,
        0,
        attempts_allowed=0,
        cooldown_s=3690,
        counted_attempt="first_perfect",
        time_limit_s=5430,
        shuffle_options=False,
        prediction={"kind": "attempts", "prompt": "Bao nhiêu lượt?", "lock_first": False},
    )
    data["tie_break"] = ["score", "submitted_at"]
    data["rounds"] = data["rounds"][:1]
    c = create(session, w.org_a, data)
    rounds = contests.rounds_of(session=session, contest=c)
    lines = rules_summary(c, rounds, {rounds[0].id: 3})
    assert "Mỗi lượt thi gồm 3 câu hỏi do ban tổ chức chọn sẵn, làm trong 1 giờ 30 phút 30 giây." in lines
    assert any(x.startswith("Mỗi người được thi không giới hạn số lần; lượt đầu tiên đạt điểm tối đa") for x in lines)
    assert "Giữa hai lần thi phải chờ ít nhất 1 giờ 1 phút 30 giây." in lines
    assert "Thứ tự câu hỏi được xáo trộn riêng cho từng lượt thi; các phương án giữ nguyên thứ tự." in lines
    assert any(x.startswith("Câu hỏi dự đoán: «Bao nhiêu lượt?»") and "số lượt thi" in x for x in lines)
    assert any(x.startswith("Có thể trả lời lại câu dự đoán") for x in lines)
    assert "Câu hỏi dự đoán không dùng để xếp hạng cuộc thi này." in lines
    assert lines[-1] == "Xếp hạng mỗi vòng: điểm cao hơn xếp trên; nếu bằng nhau thì nộp bài sớm hơn xếp trên."
    assert rules_summary(c, rounds, {rounds[0].id: 3}, locale="en")  # English catalogue or the source text
