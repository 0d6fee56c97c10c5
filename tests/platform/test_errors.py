"""Expected conditions never become a 500."""

from __future__ import annotations

import pytest

from app.services.org import members
from tests.factories import api_token, bearer, make_member, make_unit


def test_unique_race_is_409_not_500(client, session, monkeypatch):
    root = make_unit(session, "ROOT")
    make_member(session, root, phone="0900000001", roles=(("organiser", root),))
    make_member(session, root, phone="0911222333")
    token = api_token(client, "0900000001")
    # Two requests that pass the uniqueness check at the same moment: the database's constraint decides.
    monkeypatch.setattr(members, "check_unique", lambda **kw: None)
    r = client.post(
        "/api/v1/members",
        headers=bearer(token),
        json={"full_name": "Người Trùng Số", "phone": "0911222333", "member_code": "NEW1", "unit_code": "ROOT"},
    )
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


@pytest.mark.parametrize(
    ("method", "path", "kw"),
    [
        ("GET", "/api/v1/rounds/1/standings?offset=9223372036854775808", {}),
        ("GET", "/api/v1/rounds/1/standings?offset=-1", {}),
        ("PUT", "/api/v1/attempts/1/answers/99999999999999999999", {"json": {"option_ids": ["x"]}}),
        ("POST", "/api/v1/auth/token", {"content": b"[" * 100_000 + b"]" * 100_000, "headers": {"Content-Type": "application/json"}}),
        (
            "POST",
            "/api/v1/units",
            {"content": b'{"code":' + b"[" * 60_000 + b"]" * 60_000 + b"}", "headers": {"Content-Type": "application/json"}},
        ),
    ],
)
def test_numbers_and_nesting_beyond_reason_are_client_errors(client, method, path, kw):
    """The probe's overflowing offset, oversized answer position and 100,000-deep JSON were 500s."""
    r = client.request(method, path, **kw)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    assert r.json()["error"]


def test_judge_and_list_pages_take_any_number(client, session):
    from tests.pagehelpers import page_login

    root = make_unit(session, "ROOT", kind="Đảng bộ")
    make_member(session, root, phone="0944000001", roles=(("organiser", root), ("judge", root), ("admin", root)))
    page_login(client, "0944000001")
    for url in (
        "/audit?page=9223372036854775807",
        "/org/members?page=99999999999999999999",
        "/judging/rounds/1?min_score=1180591620717411303424&max_score=-1180591620717411303424&page=2e9",
    ):
        r = client.get(url)
        assert r.status_code < 500, (url, r.status_code)


def test_api_messages_follow_accept_language(client, session):
    make_member(session, make_unit(session, "ROOT"), phone="0911000444")
    body = {"username": "0911000444", "password": "sai-mat-khau-1"}
    vi = client.post("/api/v1/auth/token", json=body)
    en = client.post("/api/v1/auth/token", json=body, headers={"Accept-Language": "en-US,en;q=0.9,vi;q=0.5"})
    preferred_vi = client.post("/api/v1/auth/token", json=body, headers={"Accept-Language": "en;q=0.4, vi"})
    assert vi.status_code == en.status_code == 401
    assert vi.json()["detail"].startswith("Sai tên đăng nhập")
    assert en.json()["detail"].startswith("Wrong username or password")
    assert preferred_vi.json()["detail"] == vi.json()["detail"]


def test_openapi_documents_the_errors_and_bodies_the_api_really_has(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    token = doc["paths"]["/api/v1/auth/token"]["post"]
    assert set(token["requestBody"]["content"]) >= {"application/json", "application/x-www-form-urlencoded"}
    bad = doc["paths"]["/api/v1/members"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    error = doc["components"]["schemas"][bad["$ref"].rsplit("/", 1)[1]]
    assert {"error", "detail", "errors"} <= set(error["properties"])
