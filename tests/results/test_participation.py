"""Who has not taken part, against a tree counted by hand: members moved between units, deactivated members,
several attempts, an attempt still in progress, and the scope of who may look."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from app.errors import Forbidden, Invalid, NotFound
from app.services.org.access import Actor
from app.services.results import participation
from tests.factories import actor, api_token, bearer, make_member, member_actor
from tests.pagehelpers import page_login


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


def test_the_cell_secretary_page_lists_who_to_call_and_the_file_holds_everyone(client, session, turnout_world):
    arena, t, p = turnout_world.arena, turnout_world.arena.tree, turnout_world.people
    r = arena.rounds[0]
    make_member(session, t.a, phone="0911000333", roles=(("organiser", t.a),))
    page_login(client, "0911000333")
    page = client.get(f"/rounds/{r.id}/participation")
    assert page.status_code == 200
    html = page.text
    assert 'id="turnout-missing">3<' in html  # the ward organiser, cuong and giang (hai moved in and took part)
    assert f'href="tel:{p["cuong"].phone}"' in html and f'href="sms:{p["giang"].phone}?body=' in html
    assert f"/rounds/{r.id}/enter" in unquote(html)  # the prepared text links to the round
    assert "Trần Thị Khoa" not in html  # another ward's member
    by_name = client.get(f"/rounds/{r.id}/participation?unit=DB-A&sort=name").text
    assert by_name.index('id="t-CB-A1"') < by_name.index('id="t-CB-A2"')
    assert client.get(f"/rounds/{r.id}/participation?unit=DB-B").status_code == 403
    got = client.get(f"/rounds/{r.id}/participation.xlsx")
    assert got.status_code == 200
    book = load_workbook(io.BytesIO(got.content), read_only=True)
    names = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert names[1:] == ["Trần Thị Cuong", "Trần Thị Giang"]  # after the ward's own organiser (unit A first)
    units = {row[0]: row[2:6] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert units["DB-A"] == (70, 7, 4, 3)  # the ward organiser has an account too
    assert units["CB-A2"] == (20, 3, 2, 1)


def test_members_never_see_the_page(client, session, turnout_world):
    r = turnout_world.arena.rounds[0]
    page_login(client, turnout_world.people["an"].phone)
    assert client.get(f"/rounds/{r.id}/participation").status_code == 404
    assert client.get(f"/rounds/{r.id}/participation.xlsx").status_code == 404


def test_every_page_of_the_missing_list_is_its_slice(session, turnout_world):
    """Pages are read from the units that hold them (the stored counts say which): any page, across unit
    boundaries and past the end, is the slice of the whole list."""
    arena = turnout_world.arena
    r = arena.rounds[0].id
    whole = [m.id for m in participation.missing(session=session, actor=arena.org, round_id=r, limit=500)]
    assert len(whole) == 5
    for limit in (1, 2, 3):
        for offset in range(7):
            page = participation.missing(session=session, actor=arena.org, round_id=r, limit=limit, offset=offset)
            assert [m.id for m in page] == whole[offset : offset + limit], (limit, offset)
