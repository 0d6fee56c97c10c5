"""The people of the board tests (pages and browser): who they are, where, and what they scored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.models import Member, Round
from app.services.results import closing
from tests.factories import make_member
from tests.fixtures.results import ResultsArena, add

BIRTH = date(1987, 3, 9)
# name, unit, round 1 score, round 1 seconds, round 2 score
PEOPLE = [
    ("Trần Thị An", "a1", 5, 30, 1),
    ("Lê Văn Bình", "b1", 5, 40, 5),
    ("Phạm Thị Cúc", "a1", 4, 30, 3),
    ("Hoàng Văn Dũng", "a2", 4, 50, None),
    ("Vũ Thị Em", "b1", 3, 30, None),
    ("Đỗ Văn Phúc", "a1", 2, 30, None),
]


@dataclass(frozen=True)
class Seeded:
    by_name: dict[str, Member]
    phones: list[str]


def seed_people(session: Session, arena: ResultsArena, *, second: bool = False) -> Seeded:
    """PEOPLE's attempts in round 1 (and in round 2 with `second`), each with a phone and BIRTH."""
    r1, r2 = arena.rounds
    people: dict[str, Member] = {}
    for n, (name, unit, score, seconds, score2) in enumerate(PEOPLE):
        m = make_member(session, getattr(arena.tree, unit), full_name=name, phone=f"09120000{n:02d}", birth_date=BIRTH)
        people[name] = m
        add(session, r1, m, score=score, duration_s=seconds, prediction=2)
        if second and score2 is not None:
            add(session, r2, m, score=score2)
    session.commit()
    return Seeded(by_name=people, phones=[m.phone for m in people.values()] + [arena.org.member.phone])


def close_rounds(session: Session, arena: ResultsArena, *rounds: Round) -> None:
    for r in rounds:
        closing.close_round(session=session, actor=arena.org, round_id=r.id)
    session.commit()
