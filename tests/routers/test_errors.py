"""Expected conditions never become a 500."""
from __future__ import annotations

from app.services import members
from tests.factories import api_token, bearer, make_member, make_unit


def test_unique_race_is_409_not_500(client, session, monkeypatch):
    root = make_unit(session, "ROOT")
    make_member(session, root, phone="0900000001", roles=(("organiser", root),))
    make_member(session, root, phone="0911222333")
    token = api_token(client, "0900000001")
    # Two requests that pass the uniqueness check at the same moment: the database's constraint decides.
    monkeypatch.setattr(members, "check_unique", lambda **kw: None)
    r = client.post("/api/v1/members", headers=bearer(token), json={
        "full_name": "Người Trùng Số", "phone": "0911222333", "member_code": "NEW1", "unit_code": "ROOT"})
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "Conflict"


def test_unknown_api_path_is_json_404(client):
    r = client.get("/api/v1/khong-co")
    assert r.status_code == 404
    assert r.json()["error"] == "NotFound"


def test_unknown_page_is_vietnamese_404(client):
    r = client.get("/khong-co-trang-nay")
    assert r.status_code == 404
    assert "Không tìm thấy" in r.text
