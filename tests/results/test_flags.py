"""Flags for judges: each kind raised, and a close case that is not; recomputing is idempotent; the sentences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from app.models import Answer, Attempt, AttemptFlag, AttemptQuestion, Member, Round
from app.models.types import utcnow
from app.services.bank import questions as bank
from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
from app.services.contests import contests
from app.services.contests.schemas import ContestCreate, DrawLine, RoundIn
from app.services.org.principals import actor_of, load
from app.services.quiz import starting
from app.services.results import flags
from app.services.results.flags import FlagSettings
from tests.factories import Tree, actor, make_member, make_tree, make_unit

QUESTIONS = 6


@dataclass(frozen=True)
class Arena:
    tree: Tree
    round: Round
    question_ids: list[int]


@pytest.fixture
def arena(session: Session) -> Arena:
    t = make_tree(session)
    org = actor(session, make_member(session, t.root, roles=(("organiser", t.root), ("judge", t.root))))
    topic = bank.create_topic(session=session, actor=org, data=TopicCreate(name="Nghị quyết", unit_code="ROOT"))
    qs = [
        bank.create_question(
            session=session,
            actor=org,
            data=QuestionCreate(
                topic_id=topic.id,
                text=f"Câu {n}?",
                options=[OptionIn(text="A", correct=True), OptionIn(text="B"), OptionIn(text="C"), OptionIn(text="D")],
            ),
        )
        for n in range(QUESTIONS)
    ]
    now = utcnow()
    # Every attempt asks all six questions, each in its own order with its own option order and option ids.
    contest = contests.create_contest(
        session=session,
        actor=org,
        data=ContestCreate(
            title="Tìm hiểu Nghị quyết",
            scope_unit_code="ROOT",
            rounds=[
                RoundIn(
                    title="Tuần 1",
                    opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(days=1),
                    draw=[DrawLine(topic_id=topic.id, count=QUESTIONS)],
                    attempts_allowed=0,
                )
            ],
        ),
    )
    contests.publish_contest(session=session, actor=org, contest_id=contest.id)
    session.commit()
    return Arena(t, contests.rounds_of(session=session, contest=contest)[0], [q.id for q in qs])


def add(
    session: Session,
    round_: Round,
    member: Member,
    *,
    duration_ms: int = 60_000,
    qn: int = 20,
    ip: str | None = None,
    status: str = "submitted",
    number: int = 1,
) -> Attempt:
    """A finished attempt row, without questions: enough for timing, IP and identity flags."""
    started = utcnow() - timedelta(minutes=30)
    a = Attempt(
        round_id=round_.id,
        member_id=member.id,
        unit_id=member.unit_id,
        number=number,
        status=status,
        seed="x",
        started_at=started,
        deadline_at=started + timedelta(minutes=15),
        ip=ip,
        submitted_at=started + timedelta(milliseconds=duration_ms) if status != "in_progress" else None,
        score=0,
        correct_count=0,
        duration_ms=duration_ms if status != "in_progress" else None,
        question_count=qn,
    )
    session.add(a)
    session.flush()
    return a


def answered(session: Session, arena: Arena, member: Member, picks: dict[int, int | list[int]]) -> Attempt:
    """A real attempt (drawn, shuffled, opaque option ids) answering question index -> bank option position(s)."""
    me = actor_of(load(session=session, member_id=member.id), "127.0.0.1")
    attempt, _ = starting.start(session=session, actor=me, round_id=arena.round.id)
    snapshot = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)).all()
    for aq in snapshot:
        wanted = picks.get(arena.question_ids.index(aq.question_id))
        if wanted is None:
            continue
        wanted = wanted if isinstance(wanted, list) else [wanted]
        session.add(Answer(attempt_id=attempt.id, position=aq.position, option_ids=[o["id"] for o in aq.options if o["qp"] in wanted]))
    attempt.status, attempt.submitted_at, attempt.duration_ms = "submitted", utcnow(), 300_000
    session.flush()
    return attempt


def flagged(session: Session, arena: Arena, kind: str, **settings: int) -> dict[int, dict]:
    flags.compute_round_flags(session=session, round_id=arena.round.id, settings=FlagSettings(**settings))
    return {f.attempt_id: f.detail for f in flags.round_flags(session=session, round_id=arena.round.id, kind=kind)}


def test_too_fast_under_two_seconds_a_question_but_not_at_exactly_two(session, arena):
    r = arena.round
    quick = add(session, r, make_member(session, arena.tree.a1), duration_ms=39_999, qn=20)
    exact = add(session, r, make_member(session, arena.tree.a1), duration_ms=40_000, qn=20)
    add(session, r, make_member(session, arena.tree.a1), duration_ms=1_000, status="in_progress")
    set_aside = add(session, r, make_member(session, arena.tree.a1), duration_ms=5_000, qn=20)
    set_aside.disqualified_at = utcnow()  # still flagged: the judge sees why it was set aside
    session.flush()
    got = flagged(session, arena, "too_fast")
    assert got[quick.id] == {"duration_ms": 39_999, "question_count": 20, "min_s_per_question": 2}
    assert set(got) == {quick.id, set_aside.id}
    r.min_seconds_per_question = 3  # the round's own minimum: now 40 s for 20 questions is too fast as well
    assert set(flagged(session, arena, "too_fast")) == {quick.id, exact.id, set_aside.id}


def test_shared_ip_from_five_accounts_but_not_four(session, arena):
    r = arena.round
    crowd = [make_member(session, arena.tree.b1) for _ in range(5)]
    shared = [add(session, r, m, ip="203.0.113.5") for m in crowd]
    shared.append(add(session, r, crowd[0], ip="203.0.113.5", number=2))  # a second attempt: still five accounts
    four = [add(session, r, make_member(session, arena.tree.a2), ip="203.0.113.9") for _ in range(4)]
    add(session, r, make_member(session, arena.tree.a2), ip="203.0.113.9", status="in_progress")  # not finished
    for _ in range(6):
        add(session, r, make_member(session, arena.tree.a2), ip=None)
        add(session, r, make_member(session, arena.tree.a2), ip="")
    got = flagged(session, arena, "shared_ip")
    assert got == {a.id: {"ip": "203.0.113.5", "accounts": 5} for a in shared}
    assert not set(got) & {a.id for a in four}
    assert set(flagged(session, arena, "shared_ip", shared_ip_min_accounts=4)) == {a.id for a in shared + four}


def test_duplicate_identity_same_folded_name_and_birth_date(session, arena):
    r, t = arena.round, arena.tree
    born = date(1990, 1, 2)
    me = make_member(session, t.a1, full_name="Nguyễn Văn An", birth_date=born)
    twin = make_member(session, t.b1, full_name="NGUYỄN  VĂN AN", birth_date=born, member_code="HV-TWIN")
    mine = add(session, r, me)
    got = flagged(session, arena, "duplicate_identity")
    assert got == {
        mine.id: {
            "count": 1,
            "others": [{"member_id": twin.id, "full_name": "NGUYỄN  VĂN AN", "member_code": "HV-TWIN", "unit_name": t.b1.name}],
        }
    }
    theirs = add(session, r, twin)  # both took the round: each points at the other
    got = flagged(session, arena, "duplicate_identity")
    assert got[theirs.id]["others"][0]["member_id"] == me.id and set(got) == {mine.id, theirs.id}


def test_no_duplicate_identity_without_the_same_birth_date(session, arena):
    r, t = arena.round, arena.tree
    one = make_member(session, t.a1, full_name="Trần Thị Bình", birth_date=date(1991, 5, 6))
    make_member(session, t.a2, full_name="Trần Thị Bình", birth_date=date(1991, 5, 7))  # another day
    nobirth = make_member(session, t.a1, full_name="Lê Văn Cường")
    make_member(session, t.a2, full_name="Lê Văn Cường")  # no birth date on either: nothing to compare
    gone = make_member(session, t.a1, full_name="Phạm Văn Dũng", birth_date=date(1992, 1, 1))
    make_member(session, t.a2, full_name="Phạm Văn Dũng", birth_date=date(1992, 1, 1), active=False)  # settled
    away = make_member(session, t.b1, full_name="Hoàng Văn Em", birth_date=date(1993, 1, 1))
    elsewhere = make_unit(session, "NGOAI", name="Đơn vị khác")  # outside the contest's scope
    make_member(session, elsewhere, full_name="Hoàng Văn Em", birth_date=date(1993, 1, 1))
    for m in (one, nobirth, gone, away):
        add(session, r, m)
    assert flagged(session, arena, "duplicate_identity") == {}


WRONG = {0: 1, 1: 0, 2: 2, 3: 0, 4: 3, 5: 0}  # bank positions chosen: a few wrong answers, shared by copiers


def test_identical_answers_across_shuffled_snapshots(session, arena):
    t = arena.tree
    copies = [answered(session, arena, make_member(session, t.a1), WRONG) for _ in range(3)]
    near = answered(session, arena, make_member(session, t.a1), {**WRONG, 5: 1})  # one answer differs
    others = sorted(a.id for a in copies)
    got = flagged(session, arena, "identical_answers")
    assert got == {a.id: {"group_size": 3, "others": [x for x in others if x != a.id]} for a in copies}
    assert near.id not in got


def test_identical_answers_need_enough_attempts_and_enough_answers(session, arena):
    t = arena.tree
    pair = [answered(session, arena, make_member(session, t.a1), WRONG) for _ in range(2)]  # only two alike
    few = {0: 1, 1: 1, 2: 1, 3: 1}  # four answered, under the minimum of five
    sparse = [answered(session, arena, make_member(session, t.a2), few) for _ in range(4)]
    cleared = session.exec(
        select(AttemptQuestion).where(AttemptQuestion.attempt_id == sparse[0].id, AttemptQuestion.question_id == arena.question_ids[4])
    ).one()
    session.add(Answer(attempt_id=sparse[0].id, position=cleared.position, option_ids=[]))  # chosen, then cleared
    session.flush()
    assert flagged(session, arena, "identical_answers") == {}
    got = flagged(session, arena, "identical_answers", identical_min_attempts=2, identical_min_answered=4)
    assert set(got) == {a.id for a in pair + sparse}
    assert got[sparse[0].id]["group_size"] == 4 and len(got[sparse[0].id]["others"]) == 3


def test_multiple_choice_answers_compare_as_sets(session, arena):
    t = arena.tree
    a, b, c = (answered(session, arena, make_member(session, t.a1), {**WRONG, 0: [0, 2]}) for _ in range(3))
    for attempt in (b, c):  # the same options saved in another order
        aq = session.exec(
            select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.question_id == arena.question_ids[0])
        ).one()
        ans = session.exec(select(Answer).where(Answer.attempt_id == attempt.id, Answer.position == aq.position)).one()
        ans.option_ids = list(reversed(ans.option_ids))
    session.flush()
    assert set(flagged(session, arena, "identical_answers")) == {a.id, b.id, c.id}


def test_recompute_replaces_the_flags(session, arena):
    r = arena.round
    crowd = [make_member(session, arena.tree.b1) for _ in range(5)]
    for m in crowd:
        add(session, r, m, ip="198.51.100.1", duration_ms=10_000)
    first = flags.compute_round_flags(session=session, round_id=r.id)
    session.commit()
    again = flags.compute_round_flags(session=session, round_id=r.id)
    session.commit()
    assert first == again == {"too_fast": 5, "shared_ip": 5, "duplicate_identity": 0, "identical_answers": 0}
    rows = session.exec(select(AttemptFlag).where(AttemptFlag.round_id == r.id)).all()
    assert len(rows) == 10 and len({(f.attempt_id, f.kind) for f in rows}) == 10
    some = [rows[0].attempt_id]
    assert {f.attempt_id for f in flags.round_flags(session=session, round_id=r.id, attempt_ids=some)} == set(some)
    assert flags.round_flags(session=session, round_id=r.id, attempt_ids=[]) == []


def _flag(kind: str, **detail: object) -> AttemptFlag:
    return AttemptFlag(round_id=1, attempt_id=1, member_id=1, kind=kind, detail=detail)


def test_explain_in_vietnamese_with_the_figures():
    assert flags.explain(_flag("too_fast", duration_ms=18_000, question_count=20, min_s_per_question=2)) == (
        "Làm 20 câu trong 18 giây (dưới mức tối thiểu 40 giây, 2 giây mỗi câu)."
    )
    assert flags.explain(_flag("too_fast", duration_ms=39_990, question_count=20, min_s_per_question=2)) == (
        "Làm 20 câu trong 39,9 giây (dưới mức tối thiểu 40 giây, 2 giây mỗi câu)."
    )
    assert flags.explain(_flag("shared_ip", ip="203.0.113.5", accounts=7)) == (
        "7 tài khoản cùng làm bài từ địa chỉ IP 203.0.113.5 trong vòng thi này."
    )
    other = {"member_id": 2, "full_name": "Nguyễn Văn A", "member_code": "HV0002", "unit_name": "Chi đoàn 3"}
    assert flags.explain(_flag("duplicate_identity", others=[other], count=1)) == (
        "Trùng họ tên và ngày sinh với 1 hội viên khác: Nguyễn Văn A (mã HV0002, Chi đoàn 3)."
    )
    assert flags.explain(_flag("identical_answers", group_size=4, others=[12, 15, 19])) == (
        "Bộ đáp án giống hệt 3 lượt thi khác (lượt #12, #15, #19)."
    )
    assert flags.explain(_flag("identical_answers", group_size=13, others=list(range(1, 11)))).endswith(
        "giống hệt 12 lượt thi khác (lượt #1, #2, #3, #4, #5, #6, #7, #8, #9, #10, …)."
    )


def test_explain_a_computed_flag(session, arena):
    add(session, arena.round, make_member(session, arena.tree.a1), duration_ms=18_000, qn=20)
    flags.compute_round_flags(session=session, round_id=arena.round.id)
    (flag,) = flags.round_flags(session=session, round_id=arena.round.id)
    assert flags.explain(flag) == "Làm 20 câu trong 18 giây (dưới mức tối thiểu 40 giây, 2 giây mỗi câu)."
