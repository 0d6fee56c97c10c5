"""Judges: disqualify and reinstate (standings, totals and the prediction truth follow), prize allocation
(one per person, caps, ties at a tier boundary), confirmation, the seal and its digest, scope."""

from __future__ import annotations

import csv
import hashlib
import os

import pytest
from sqlmodel import select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditEntry, Standing
from app.models.results import Prize
from app.services.results import judging, prizes, results, sealing
from tests.factories import actor, make_member
from tests.fixtures.results import add, close, ranks, rules


def test_disqualifying_moves_standings_totals_and_the_prediction_truth(session, results_arena):
    r = results_arena.rounds[0]
    a, b, c = (make_member(session, results_arena.tree.a1) for _ in range(3))
    cheat = add(session, r, a, score=5, prediction=2)  # the only perfect scorer: truth 1
    add(session, r, b, score=4, prediction=1)
    add(session, r, c, score=4, prediction=0, duration_s=30)
    close(session, results_arena)
    assert r.prediction_truth == 1 and ranks(session, r) == {a.id: 1, b.id: 2, c.id: 3}
    with pytest.raises(Invalid):
        judging.set_disqualified(session=session, actor=results_arena.org, attempt_id=cheat.id, disqualified=True, reason="  ")
    judging.set_disqualified(
        session=session, actor=results_arena.org, attempt_id=cheat.id, disqualified=True, reason="Làm bài 20 câu trong 9 giây"
    )
    session.commit()
    session.refresh(r)
    assert r.totals == {"participants": 2, "attempts": 2, "perfect_scorers": 0}
    assert r.prediction_truth == 0  # c predicted 0 and is now exact
    assert ranks(session, r) == {c.id: 1, b.id: 2}
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "attempt.disqualify")).one()
    assert entry.detail["reason"] == "Làm bài 20 câu trong 9 giây" and entry.actor_id == results_arena.org.id
    judging.set_disqualified(
        session=session, actor=results_arena.org, attempt_id=cheat.id, disqualified=False, reason="Đã xác minh: làm bài trung thực"
    )
    session.commit()
    session.refresh(r)
    assert r.prediction_truth == 1 and ranks(session, r)[a.id] == 1


def test_a_member_is_disqualified_for_the_round_with_all_their_attempts(session, results_arena):
    r = results_arena.rounds[0]
    a, b = make_member(session, results_arena.tree.a1), make_member(session, results_arena.tree.b1)
    add(session, r, a, score=5, number=1)
    add(session, r, a, score=3, number=2, at_s=100)
    add(session, r, b, score=2)
    close(session, results_arena)
    changed = judging.set_member_disqualified(
        session=session, actor=results_arena.org, round_id=r.id, member_id=a.id, disqualified=True, reason="Nhờ người khác thi hộ"
    )
    session.commit()
    assert changed == 2 and ranks(session, r) == {b.id: 1}


def test_judges_act_only_inside_their_subtree(session, results_arena):
    r = results_arena.rounds[0]
    a, b = make_member(session, results_arena.tree.a1), make_member(session, results_arena.tree.b1)
    attempt_b = add(session, r, b, score=3)
    add(session, r, a, score=2)
    close(session, results_arena)
    cell_judge = actor(session, make_member(session, results_arena.tree.a1, roles=(("judge", results_arena.tree.a1),)))
    organiser = actor(session, make_member(session, results_arena.tree.a1, roles=(("organiser", results_arena.tree.root),)))
    with pytest.raises(NotFound):
        judging.set_disqualified(session=session, actor=cell_judge, attempt_id=attempt_b.id, disqualified=True, reason="x")
    with pytest.raises(NotFound):  # organisers are not judges
        judging.set_disqualified(session=session, actor=organiser, attempt_id=attempt_b.id, disqualified=True, reason="x")
    judged = judging.judge_round(session=session, actor=cell_judge, round_id=r.id)
    assert judged.unit.id == results_arena.tree.a1.id and not judged.whole
    with pytest.raises(Forbidden):
        judging.judge_round(session=session, actor=cell_judge, round_id=r.id, unit_code=results_arena.tree.b1.code)
    with pytest.raises(Forbidden):  # prizes and the seal are for judges of the whole scope
        sealing.seal(session=session, actor=cell_judge, round_id=r.id)
    with pytest.raises(Forbidden):
        results.export_round(session=session, actor=cell_judge, round_id=r.id, fmt="csv", unit_code=results_arena.tree.b1.code)


def test_prizes_one_per_person_cap_and_ties_at_a_tier_boundary(session, results_arena):
    r = results_arena.rounds[0]
    results_arena.contest.tie_break = ["score"]
    session.add(results_arena.contest)
    m = [make_member(session, results_arena.tree.a1, full_name=f"Nguyễn Văn {chr(65 + i)}") for i in range(8)]
    for i, score in enumerate([5, 4, 4, 3, 3, 3, 2, 1]):
        add(session, r, m[i], score=score)
        add(session, r, m[i], score=max(score - 1, 0), number=2, at_s=500)  # a second attempt never adds a prize
    close(session, results_arena)
    rules(session, results_arena, [("Giải Nhất", 1), ("Giải Nhì", 1), ("Giải Ba", 2)])
    _judged, alloc = prizes.preview(session=session, actor=results_arena.org, round_id=r.id)
    # the two 4s tie at the Nhì boundary: both Nhì, using up a place of Ba; the three 3s do not fit in the one left
    assert [(a.member_id, a.tier_name) for a in alloc.awards] == [(m[0].id, "Giải Nhất"), (m[1].id, "Giải Nhì"), (m[2].id, "Giải Nhì")]
    assert alloc.notes and alloc.notes[0][1] == {"n": 3, "rank": 4}
    assert len({a.member_id for a in alloc.awards}) == len(alloc.awards)
    rules(session, results_arena, [("Giải Nhất", 1), ("Khuyến khích", 6)], cap=0.5)  # 8 participants: at most 4
    _judged, alloc = prizes.preview(session=session, actor=results_arena.org, round_id=r.id)
    assert alloc.cap == 4 and [a.member_id for a in alloc.awards] == [m[0].id, m[1].id, m[2].id]
    rules(session, results_arena, [("Giải Nhất", 1), ("Khuyến khích", 6)])
    _judged, alloc = prizes.preview(session=session, actor=results_arena.org, round_id=r.id)
    assert [a.tier for a in alloc.awards] == [1, 2, 2, 2, 2, 2, 2]


def test_confirmed_prizes_are_voided_when_the_standings_change(session, results_arena):
    r = results_arena.rounds[0]
    a, b = make_member(session, results_arena.tree.a1), make_member(session, results_arena.tree.b1)
    first = add(session, r, a, score=5)
    add(session, r, b, score=3)
    close(session, results_arena)
    rules(session, results_arena, [("Giải Nhất", 1)], unit_tiers=[("Giải tập thể", 1)])
    prizes.confirm(session=session, actor=results_arena.org, round_id=r.id)
    session.commit()
    won = session.exec(select(Prize).where(Prize.round_id == r.id).order_by(Prize.collective)).all()
    assert [(p.member_id, p.collective) for p in won] == [(a.id, False), (None, True)]
    judging.set_disqualified(session=session, actor=results_arena.org, attempt_id=first.id, disqualified=True, reason="Gian lận")
    session.commit()
    session.refresh(r)
    assert r.prizes_confirmed_at is None and not session.exec(select(Prize).where(Prize.round_id == r.id)).all()
    with pytest.raises(Conflict):  # prizes declared but not confirmed: no seal yet
        sealing.seal(session=session, actor=results_arena.org, round_id=r.id)


def _csv_digest(path: str) -> str:
    """What anyone can do with the CSV export (README, "Checking a sealed list")."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return hashlib.sha256("\n".join("\t".join(row) for row in rows).encode("utf-8")).hexdigest()


def test_sealing_freezes_the_list_and_its_digest_matches_the_csv(session, results_arena):
    r = results_arena.rounds[0]
    people = [
        make_member(session, unit, full_name=name)
        for unit, name in (
            (results_arena.tree.a1, "Nguyễn Thị Ánh Tuyết"),
            (results_arena.tree.a2, '=HYPERLINK("http://x","a")'),
            (results_arena.tree.b1, "Trần Văn Bình"),
        )
    ]
    attempts = [add(session, r, p, score=s, prediction=1) for p, s in zip(people, (5, 4, 3), strict=True)]
    with pytest.raises(Conflict):
        sealing.seal(session=session, actor=results_arena.org, round_id=r.id)  # not closed yet
    close(session, results_arena)
    rules(session, results_arena, [("Giải Nhất", 1), ("Giải Nhì", 1)])
    prizes.confirm(session=session, actor=results_arena.org, round_id=r.id)
    sealed = sealing.seal(session=session, actor=results_arena.org, round_id=r.id)
    session.commit()
    out = results.export_round(session=session, actor=results_arena.org, round_id=r.id, fmt="csv")
    try:
        assert _csv_digest(out.path) == sealed.seal_digest
        with open(out.path, encoding="utf-8-sig") as fh:
            text = fh.read()
        assert "'=HYPERLINK" in text and "Nguyễn Thị Ánh Tuyết" in text and "Giải Nhất" in text
    finally:
        os.unlink(out.path)
    before = ranks(session, r)
    for attempt_change in (
        lambda: judging.set_disqualified(
            session=session, actor=results_arena.org, attempt_id=attempts[0].id, disqualified=True, reason="x"
        ),
        lambda: rules(session, results_arena, [("Giải Nhất", 2)]),
        lambda: prizes.confirm(session=session, actor=results_arena.org, round_id=r.id),
        lambda: sealing.seal(session=session, actor=results_arena.org, round_id=r.id),
    ):
        with pytest.raises(Conflict):
            attempt_change()
        session.rollback()
    assert ranks(session, r) == before
    assert session.exec(select(Standing).where(Standing.round_id == r.id)).all()
