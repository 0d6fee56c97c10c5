"""Ranking with hand-built attempts: each tie-break key deciding, other chain orders, each counted-attempt
policy, the prediction truth of each kind, unit figures, cell boards against the union board, contest totals."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.models import Attempt, Standing, Unit, UnitStanding
from app.models.types import utcnow
from app.services.results import closing, rank_cards, standings
from tests.factories import make_member, member_actor
from tests.fixtures.results import add, build, ranks


def test_each_key_of_the_default_chain_decides(session, results_arena):
    r = results_arena.rounds[0]
    m = [make_member(session, results_arena.tree.a1) for _ in range(6)]
    perfect = make_member(session, results_arena.tree.b1)
    add(session, r, perfect, score=5, prediction=2)  # one perfect scorer: truth = 1
    add(session, r, m[0], score=4, prediction=1, duration_s=90)  # error 0
    add(session, r, m[1], score=4, prediction=3, duration_s=30)  # error 2: prediction beats duration
    add(session, r, m[2], score=3, prediction=5, duration_s=50, at_s=10)
    add(session, r, m[3], score=3, prediction=5, duration_s=40, at_s=90)  # same error, shorter: ahead of m2
    add(session, r, m[4], score=2, prediction=1, duration_s=40, at_s=5)  # all equal but earlier
    add(session, r, m[5], score=2, prediction=1, duration_s=40, at_s=6)
    assert build(session, r) == 1
    got = ranks(session, r)
    assert [got[x.id] for x in (perfect, *m)] == [1, 2, 3, 5, 4, 6, 7]


def test_other_chain_orders_and_shared_ranks(session, results_arena):
    r = results_arena.rounds[0]
    fast, close = make_member(session, results_arena.tree.a1), make_member(session, results_arena.tree.a2)
    add(session, r, fast, score=4, prediction=9, duration_s=20)
    add(session, r, close, score=4, prediction=0, duration_s=80)  # truth 0: nobody is perfect
    build(session, r)
    assert ranks(session, r) == {close.id: 1, fast.id: 2}  # default: prediction before duration
    results_arena.contest.tie_break = ["score", "duration", "prediction_error"]
    session.add(results_arena.contest)
    build(session, r)
    assert ranks(session, r) == {fast.id: 1, close.id: 2}
    results_arena.contest.tie_break = ["score"]  # equal on every key of the chain: one shared rank, then a gap
    third = make_member(session, results_arena.tree.b1)
    add(session, r, third, score=1)
    build(session, r)
    assert ranks(session, r) == {fast.id: 1, close.id: 1, third.id: 3}


@pytest.mark.parametrize(("policy", "expected_number"), [("best", 3), ("first", 1), ("last", 4), ("first_perfect", 2)])
def test_counted_attempt_policies(session, results_arena, policy, expected_number):
    r = results_arena.rounds[0]
    r.counted_attempt = policy
    me = make_member(session, results_arena.tree.a1)
    add(session, r, me, number=1, score=3, at_s=0)
    add(session, r, me, number=2, score=5, duration_s=100, at_s=1000)  # first perfect, slow
    add(session, r, me, number=3, score=5, duration_s=50, at_s=2000)  # perfect and faster: the best
    add(session, r, me, number=4, score=2, at_s=3000)
    add(session, r, me, number=5, score=5, at_s=4000, status="in_progress")  # not finished: never counts
    build(session, r)
    s = session.exec(select(Standing).where(Standing.round_id == r.id)).one()
    assert session.get(Attempt, s.attempt_id).number == expected_number and s.attempts == 4


def test_first_perfect_without_a_perfect_attempt_counts_the_best(session, results_arena):
    r = results_arena.rounds[0]
    r.counted_attempt = "first_perfect"
    me = make_member(session, results_arena.tree.a1)
    add(session, r, me, number=1, score=2)
    add(session, r, me, number=2, score=4)
    build(session, r)
    assert session.exec(select(Standing).where(Standing.round_id == r.id)).one().score == 4


@pytest.mark.parametrize(("kind", "truth"), [("perfect_scorers", 2), ("participants", 3), ("attempts", 5)])
def test_prediction_truth_for_each_kind(session, results_arena, kind, truth):
    r = results_arena.rounds[0]
    r.prediction_kind = kind
    a, b, c, d = (make_member(session, results_arena.tree.a1) for _ in range(4))
    add(session, r, a, score=5, number=1)
    add(session, r, a, score=5, number=2)  # the same member twice perfect: one perfect scorer
    add(session, r, b, score=5)
    add(session, r, c, score=1, number=1)
    add(session, r, c, score=2, number=2)
    add(session, r, d, score=5, status="in_progress")  # not finished
    x = add(session, r, d, score=5, number=2)
    x.disqualified_at = utcnow()  # disqualified: out of the official counts
    assert build(session, r) == truth


def test_unit_figures_and_sibling_ranks(session, results_arena):
    r = results_arena.rounds[0]
    t = results_arena.tree
    for score in (5, 3):
        add(session, r, make_member(session, t.a1), score=score)
    add(session, r, make_member(session, t.a2), score=4, number=1)
    add(session, r, make_member(session, t.b1), score=5)
    build(session, r)
    rows = {u.unit_id: u for u in session.exec(select(UnitStanding).where(UnitStanding.round_id == r.id)).all()}
    assert (rows[t.a1.id].participants, rows[t.a1.id].participation_rate, rows[t.a1.id].average_score) == (2, 0.2, 4.0)
    assert (rows[t.a.id].participants, rows[t.a.id].attempts, rows[t.a.id].perfect_count) == (3, 3, 1)
    # a unit's headcount is its subtree's: A declares 40 of its own, A1 10 and A2 20
    assert (rows[t.a.id].headcount, rows[t.a.id].participation_rate) == (70, pytest.approx(3 / 70, abs=1e-6))
    assert (rows[t.b.id].headcount, rows[t.b.id].participation_rate) == (42, pytest.approx(1 / 42, abs=1e-6))
    assert (rows[t.root.id].participants, rows[t.root.id].headcount) == (4, 212)
    assert rows[t.root.id].participation_rate == pytest.approx(4 / 212, abs=1e-6)
    # siblings under A: A1 20% beats A2 (1 of 20 = 5%); under ROOT: B (1 of 42) is behind A (3 of 70)
    assert (rows[t.a1.id].rank, rows[t.a2.id].rank) == (1, 2)
    assert (rows[t.a.id].rank, rows[t.b.id].rank) == (1, 2)
    results_arena.contest.unit_rank_by = "average_score"
    build(session, r)
    rows = {u.unit_id: u for u in session.exec(select(UnitStanding).where(UnitStanding.round_id == r.id)).all()}
    assert (rows[t.b.id].rank, rows[t.a.id].rank) == (1, 2)  # average 5.0 against 4.0


def test_a_ward_never_outranks_all_its_cells_on_participation(session, results_arena):
    """The demo's case: a ward that declares members of its own next to its cells. Counting the subtree's
    participants over the ward's own headcount gave the ward 12/106 above cells at 2.8 %."""
    r = results_arena.rounds[0]
    t = results_arena.tree
    t.a.headcount, t.a1.headcount, t.a2.headcount = 6, 50, 50
    for unit, n in ((t.a1, 2), (t.a2, 1)):
        for _ in range(n):
            add(session, r, make_member(session, unit), score=3)
    build(session, r)
    rows = {u.unit_id: u for u in session.exec(select(UnitStanding).where(UnitStanding.round_id == r.id)).all()}
    ward, cells = rows[t.a.id], [rows[t.a1.id], rows[t.a2.id]]
    assert (ward.participants, ward.headcount) == (3, 106)
    assert [c.participation_rate for c in cells] == [pytest.approx(0.04), pytest.approx(0.02)]
    assert min(c.participation_rate for c in cells) <= ward.participation_rate <= max(c.participation_rate for c in cells)


def test_subtree_totals_over_a_deep_tree() -> None:
    from app.services.org.units import subtree_totals

    rows = [("/1/", 5), ("/1/2/", 3), ("/1/2/4/", 20), ("/1/2/4/8/", 7), ("/1/3/", 4)]
    assert subtree_totals(rows) == {1: 39, 2: 30, 4: 27, 8: 7, 3: 4}
    # a subtree taken below the root: its ancestors are not in it
    assert subtree_totals(rows[1:4]) == {2: 30, 4: 27, 8: 7}


def test_cell_board_is_the_union_board_filtered_and_reranked(session, results_arena):
    r = results_arena.rounds[0]
    r.results_visibility = "immediate"
    t = results_arena.tree
    people = [
        (make_member(session, unit), score) for unit, score in [(t.a1, 5), (t.b1, 5), (t.a1, 4), (t.a2, 4), (t.b1, 3), (t.a1, 3), (t.a1, 1)]
    ]
    for i, (m, score) in enumerate(people):
        add(session, r, m, score=score, duration_s=30 + i)
    build(session, r)
    total, union = standings.round_board(session=session, actor=results_arena.org, round_id=r.id)
    assert total == 7 and [row.rank for row in union] == [1, 2, 3, 4, 5, 6, 7]
    for unit in (t.a, t.a1, t.b):
        n, board = standings.round_board(session=session, actor=results_arena.org, round_id=r.id, unit_code=unit.code)
        expected = [row for row in union if _under(session, row.unit_code, unit)]
        assert [row.member_id for row in board] == [row.member_id for row in expected] and n == len(expected)
        assert [row.rank for row in board] == list(range(1, n + 1))
    n, page = standings.round_board(session=session, actor=results_arena.org, round_id=r.id, unit_code="CB-A1", limit=2, offset=2)
    assert n == 4 and [row.rank for row in page] == [3, 4]
    me = people[5][0]
    card = rank_cards.rank_card(session=session, actor=member_actor(session, me), round_id=r.id)
    assert (card.rank, card.total, card.unit_rank, card.unit_total) == (6, 7, 3, 4)


def _under(session: Session, code: str, unit: Unit) -> bool:
    return session.exec(select(Unit).where(Unit.code == code)).one().path.startswith(unit.path)


def test_close_freezes_totals_truth_and_contest_standings(session, results_arena):
    r1, r2 = results_arena.rounds
    t = results_arena.tree
    a, b = make_member(session, t.a1), make_member(session, t.b1)
    add(session, r1, a, score=5, prediction=1)
    add(session, r1, b, score=4, prediction=1)
    add(session, r2, a, score=2)
    add(session, r2, b, score=4)
    closing.close_round(session=session, actor=results_arena.org, round_id=r1.id)
    closing.close_round(session=session, actor=results_arena.org, round_id=r2.id)
    assert (r1.status, r1.prediction_truth, r1.totals) == ("closed", 1, {"participants": 2, "attempts": 2, "perfect_scorers": 1})
    _c, total, rows = standings.contest_board(session=session, actor=results_arena.org, contest_id=results_arena.contest.id)
    assert total == 2 and [(row.member_id, row.score, row.rank) for row in rows] == [(b.id, 8, 1), (a.id, 7, 2)]
