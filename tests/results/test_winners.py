"""The public winners of a round: nothing before the seal, then rank, name, unit and prize only, with the digest;
the page and its shared image need no login."""

from __future__ import annotations

import io

from PIL import Image

from tests.factories import make_member
from tests.fixtures.results import add, seal_first_round


def _three(session, arena):
    t, r = arena.tree, arena.rounds[0]
    people = [
        make_member(session, t.a1, full_name="Nguyễn Thị Ánh Tuyết", phone="0912000001", birth_date=None),
        make_member(session, t.a2, full_name="Trần Văn Bình", phone="0912000002"),
        make_member(session, t.b1, full_name="Lê Hoàng Cường", phone="0912000003"),
    ]
    for p, score in zip(people, (5, 4, 3), strict=True):
        add(session, r, p, score=score, prediction=1)
    session.commit()
    return people


def test_winners_are_public_only_after_the_seal(client, session, results_arena):
    r = results_arena.rounds[0]
    people = _three(session, results_arena)
    before = client.get(f"/api/v1/rounds/{r.id}/winners")
    assert before.status_code == 409 and before.json()["error"] == "Conflict"
    assert client.get(f"/rounds/{r.id}/winners").status_code == 409
    assert client.get("/api/v1/rounds/999999/winners").status_code == 404
    sealed = seal_first_round(session, results_arena, [("Giải Nhất", 1), ("Giải Nhì", 1)], unit_tiers=[("Giải tập thể", 1)])
    got = client.get(f"/api/v1/rounds/{r.id}/winners")  # no token: public
    assert got.status_code == 200
    body = got.json()
    assert body["digest"] == sealed.seal_digest and body["round"] == {"id": r.id, "title": r.title}
    assert [(w["rank"], w["full_name"], w["unit"]["code"], w["prize"]) for w in body["rows"]] == [
        (1, "Nguyễn Thị Ánh Tuyết", "CB-A1", "Giải Nhất"),
        (2, "Trần Văn Bình", "CB-A2", "Giải Nhì"),
    ]
    assert set(body["rows"][0]) == {"rank", "full_name", "unit", "prize"}
    assert len(body["units"]) == 1 and body["units"][0]["prize"] == "Giải tập thể"
    text = got.text + client.get(f"/rounds/{r.id}/winners").text
    for p in people:  # nothing private: no phone, no member code
        assert p.phone not in text and p.member_code not in text


def test_the_page_and_its_image_are_shared_without_login(client, session, results_arena):
    r = results_arena.rounds[0]
    _three(session, results_arena)
    sealed = seal_first_round(session, results_arena, [("Giải Nhất", 1)])
    page = client.get(f"/rounds/{r.id}/winners")
    assert page.status_code == 200
    assert 'property="og:image"' in page.text and f"/rounds/{r.id}/winners.png" in page.text
    assert sealed.seal_digest in page.text and "Nguyễn Thị Ánh Tuyết" in page.text
    image = client.get(f"/rounds/{r.id}/winners.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (1200, 630)


def test_a_contests_winners_once_its_last_round_is_sealed(client, session, results_arena):
    _three(session, results_arena)
    seal_first_round(session, results_arena, [("Giải Nhất", 1)])
    contest = results_arena.contest
    assert client.get(f"/contests/{contest.id}/winners").status_code == 409  # week 2 is not sealed
    week2 = results_arena.rounds[1]
    week2.status, week2.sealed_at, week2.seal_digest = "closed", week2.closes_at, "0" * 64  # a round nobody took
    session.add(week2)
    session.commit()
    page = client.get(f"/contests/{contest.id}/winners")
    assert page.status_code == 200 and "Nguyễn Thị Ánh Tuyết" in page.text and week2.title in page.text
    assert f'href="/contests/{contest.id}/winners"' in client.get("/archive").text
    assert client.get("/contests/999999/winners").status_code == 404
