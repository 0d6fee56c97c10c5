from __future__ import annotations

from tests.factories import api_token, bearer, make_member, make_unit


def test_token_and_me(client, session):
    root = make_unit(session, "ROOT", kind="Đảng bộ")
    cell = make_unit(session, "CB1", parent=root)
    m = make_member(session, cell, full_name="Trần Thị Bé", phone="0912345678", roles=(("organiser", root),))
    token = api_token(client, "0912345678")
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == m.id
    assert body["full_name"] == "Trần Thị Bé"
    assert body["unit"] == {"id": cell.id, "code": "CB1", "name": cell.name}
    assert {"role": "organiser", "unit_code": "ROOT"} in body["roles"]
    assert {"role": "member", "unit_code": "CB1"} in body["roles"]
