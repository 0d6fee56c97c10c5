"""The results tests' fixtures. The results arena (results_arena: two rounds to add finished attempts to and
rank), which the contest pages use too, is in tests/fixtures/results.py, and the quiz world these tests
close and re-score (quiz_world) in tests/fixtures/quiz.py; the board people are in tests/results/helpers.py.
The turnout world (who has taken part in a round) is here."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from app.models import Member
from tests.factories import make_member
from tests.fixtures.results import ResultsArena, add


@dataclass(frozen=True)
class Turnout:
    arena: ResultsArena
    people: dict[str, Member]


@pytest.fixture
def turnout_world(session: Session, results_arena: ResultsArena) -> Turnout:
    """Round 1 (week 1) of the arena. Declared headcounts (each unit's own): ROOT 100, A 40, A1 10, A2 20, B 30,
    B1 12; a subtree's is the sum: ROOT 212, A 70, B 42.
    A1: an (handed in), binh (time ran out: finalised), cuong (still in progress), dung (handed in, then
        deactivated). A2: em (two attempts, one handed in), giang (nothing), hai (handed in while in B1, then
        moved to A2). B1: khoa (nothing), lan (handed in for week 2 only). ROOT: the arena's organiser."""
    t, r1, r2 = results_arena.tree, results_arena.rounds[0], results_arena.rounds[1]
    names = {"an": t.a1, "binh": t.a1, "cuong": t.a1, "dung": t.a1, "em": t.a2, "giang": t.a2, "hai": t.b1, "khoa": t.b1, "lan": t.b1}
    people = {k: make_member(session, unit, full_name=f"Trần Thị {k.capitalize()}") for k, unit in names.items()}
    add(session, r1, people["an"], score=3)
    add(session, r1, people["binh"], score=2, status="expired")
    add(session, r1, people["cuong"], score=0, status="in_progress")
    add(session, r1, people["dung"], score=4)
    add(session, r1, people["em"], score=1)
    add(session, r1, people["em"], score=0, number=2, status="in_progress")
    add(session, r1, people["hai"], score=5)
    add(session, r2, people["lan"], score=5)
    people["dung"].active = False
    people["hai"].unit_id = t.a2.id
    session.commit()
    return Turnout(results_arena, people)
