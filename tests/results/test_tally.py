"""The stored turnout counts follow every change: attempts finished (inserted finished, handed in later, a second
attempt), members added, moved, deactivated and reactivated (also by an attribute set without loading it first),
a move and a first hand-in in one flush, a bulk insert; after each commit they equal the counts made again from
the rows, and a few are checked by hand."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlmodel import Session

from app.models import Member, RoundTally, UnitTally
from app.models.quiz import AttemptStatus
from app.models.types import utcnow
from app.services.results import tally
from tests.factories import make_member
from tests.fixtures.results import ResultsArena, add


def _stored(session: Session) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    members = {u: n for u, n in session.execute(select(UnitTally.unit_id, UnitTally.members)) if n}
    took = {(r, u): n for r, u, n in session.execute(select(RoundTally.round_id, RoundTally.unit_id, RoundTally.participants)) if n}
    return members, took


def _matches_a_recount(session: Session) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    """The stored counts, after checking them against a recount from the rows (which is then rolled back)."""
    stored = _stored(session)
    with session.begin_nested():
        tally.rebuild(session.connection())
        recount = _stored(session)
        session.rollback()
    assert stored == recount
    return stored


def test_the_counts_follow_every_change(session, results_arena: ResultsArena):
    t, r1, r2 = results_arena.tree, results_arena.rounds[0].id, results_arena.rounds[1].id
    a1, a2, b1 = t.a1.id, t.a2.id, t.b1.id
    people = {k: make_member(session, unit) for k, unit in {"an": t.a1, "binh": t.a1, "chi": t.a2, "duc": t.b1}.items()}
    members, took = _matches_a_recount(session)
    assert members[a1] == 2 and members[a2] == 1 and members[b1] == 1
    assert not took

    add(session, results_arena.rounds[0], people["an"], score=3)
    waiting = add(session, results_arena.rounds[0], people["binh"], score=0, status="in_progress")
    add(session, results_arena.rounds[1], people["chi"], score=2, status="expired")
    session.commit()
    members, took = _matches_a_recount(session)
    assert took == {(r1, a1): 1, (r2, a2): 1}  # an in progress attempt is not taking part

    waiting.status = AttemptStatus.submitted  # binh hands in
    add(session, results_arena.rounds[0], people["an"], score=4, number=2)  # a second attempt counts once
    session.commit()
    members, took = _matches_a_recount(session)
    assert took[(r1, a1)] == 2

    session.expire(people["an"])
    people["an"].unit_id = b1  # moved without the old unit ever loaded in this session
    session.commit()
    members, took = _matches_a_recount(session)
    assert took[(r1, a1)] == 1 and took[(r1, b1)] == 1 and members[b1] == 2

    people["duc"].unit_id = a2  # moved, and his first hand-in, in one flush: counted once, where he is now
    add(session, results_arena.rounds[1], people["duc"], score=1)
    people["chi"].active = False
    session.commit()
    members, took = _matches_a_recount(session)
    assert took[(r2, a2)] == 1 and (r2, b1) not in took

    people["chi"].active = True
    people["binh"].active = False
    session.commit()
    members, took = _matches_a_recount(session)
    assert took[(r2, a2)] == 2 and (r1, a1) not in took and a1 not in members


def test_a_bulk_insert_counts_everything_again(session, results_arena: ResultsArena):
    t = results_arena.tree
    now = utcnow()
    rows = [
        {
            "full_name": f"Hội viên {i}",
            "phone": f"09180000{i:02d}",
            "member_code": f"BULK{i}",
            "unit_id": t.a2.id,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(30)
    ]
    session.execute(insert(Member), rows)
    session.commit()
    members, _ = _matches_a_recount(session)
    assert members[t.a2.id] == 30
