"""Who has not taken part, against a tree counted by hand: members moved between units, deactivated members,
several attempts, an attempt still in progress, and the scope of who may look."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from app.errors import Forbidden, Invalid, NotFound
from app.models import Member
from app.services.org.access import Actor
from app.services.results import participation
from tests.factories import actor, api_token, bearer, make_member, member_actor
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


def _figures(u: participation.UnitTurnout) -> tuple[int, int, int, int]:
    return u.headcount, u.members, u.participants, u.missing


def test_counts_of_every_subtree_match_the_hand_count(session, turnout_world):
    arena = turnout_world.arena
    seen = participation.turnout(session=session, actor=arena.org, round_id=arena.rounds[0].id)
    assert seen.unit.code == "ROOT"
    # members: organiser, an, binh, cuong, em, giang, hai, khoa, lan (dung is deactivated)
    assert _figures(seen.unit) == (212, 9, 4, 5)
    assert seen.unit.rate == round(4 / 212, 4)  # over the subtree's declared headcount, as the unit standings
    children = {u.code: _figures(u) for u in seen.children}
    assert children == {"DB-A": (70, 6, 4, 2), "DB-B": (42, 2, 0, 2)}
    a = participation.turnout(session=session, actor=arena.org, round_id=arena.rounds[0].id, unit_code="DB-A")
    # hai counts in A2 where he is now, though he handed in while in B1
    assert {u.code: _figures(u) for u in a.children} == {"CB-A1": (10, 3, 2, 1), "CB-A2": (20, 3, 2, 1)}


def test_children_sort_by_rate_missing_or_name(session, turnout_world):
    arena = turnout_world.arena
    r = arena.rounds[0].id
    by_rate = participation.turnout(session=session, actor=arena.org, round_id=r, sort="rate")
    assert [u.code for u in by_rate.children] == ["DB-B", "DB-A"]  # lowest turnout first: 0 % before 5.7 %
    a = participation.turnout(session=session, actor=arena.org, round_id=r, unit_code="DB-A", sort="missing")
    assert [u.missing for u in a.children] == [1, 1]
    with pytest.raises(Invalid):
        participation.turnout(session=session, actor=arena.org, round_id=r, sort="bogus")


def test_the_missing_list_is_by_unit_then_name_and_pages(session, turnout_world):
    arena, p = turnout_world.arena, turnout_world.people
    r = arena.rounds[0].id
    everyone = participation.missing(session=session, actor=arena.org, round_id=r)
    assert [m.id for m in everyone] == [arena.org.id, p["cuong"].id, p["giang"].id, p["khoa"].id, p["lan"].id]
    assert everyone[1].unit_code == "CB-A1" and everyone[1].phone == p["cuong"].phone
    page = participation.missing(session=session, actor=arena.org, round_id=r, limit=2, offset=2)
    assert [m.id for m in page] == [p["giang"].id, p["khoa"].id]
    week2 = participation.missing(session=session, actor=arena.org, round_id=arena.rounds[1].id, unit_code="DB-B")
    assert [m.id for m in week2] == [p["khoa"].id]  # lan handed in for week 2; hai has moved out of B


def test_who_may_look(session, turnout_world):
    arena, t = turnout_world.arena, turnout_world.arena.tree
    r = arena.rounds[0].id
    ward: Actor = actor(session, make_member(session, t.b, roles=(("organiser", t.b),)))
    assert participation.turnout(session=session, actor=ward, round_id=r).unit.code == "DB-B"  # their own subtree
    with pytest.raises(Forbidden):
        participation.turnout(session=session, actor=ward, round_id=r, unit_code="DB-A")
    judge = actor(session, make_member(session, t.a1, roles=(("judge", t.a1),)))
    assert participation.turnout(session=session, actor=judge, round_id=r).unit.code == "CB-A1"
    plain = member_actor(session, turnout_world.people["an"])
    with pytest.raises(NotFound):
        participation.turnout(session=session, actor=plain, round_id=r)


def test_api_participation_for_organisers_only(client, session, turnout_world):
    arena, t = turnout_world.arena, turnout_world.arena.tree
    r = arena.rounds[0].id
    make_member(session, t.b, phone="0911000222", roles=(("organiser", t.b),))
    token = api_token(client, "0911000222")
    got = client.get(f"/api/v1/rounds/{r}/participation", headers=bearer(token))
    assert got.status_code == 200
    body = got.json()
    assert body["unit"] == {"code": "DB-B", "name": t.b.name}
    assert (body["headcount"], body["participants"], body["missing_count"]) == (42, 0, 3)  # khoa, lan and the ward organiser
    assert [u["unit"]["code"] for u in body["units"]] == ["CB-B1"]
    assert {m["full_name"] for m in body["missing"]} >= {"Trần Thị Khoa", "Trần Thị Lan"}
    assert set(body["missing"][0]) == {"id", "full_name", "phone", "unit"}
    assert client.get(f"/api/v1/rounds/{r}/participation?unit_code=DB-A", headers=bearer(token)).status_code == 403
    member_token = api_token(client, turnout_world.people["an"].phone)
    assert client.get(f"/api/v1/rounds/{r}/participation", headers=bearer(member_token)).status_code == 404
    assert client.get(f"/api/v1/rounds/{r}/participation?sort=x", headers=bearer(token)).status_code == 422
