from __future__ import annotations

import csv
import io

from sqlalchemy import func
from sqlmodel import select

from app.models import Member
from app.services.org.member_import import COLUMNS
from tests.factories import api_token, bearer, make_member, make_unit

HEADER = [c.header for c in COLUMNS]
URL = "/api/v1/members/import"


def csv_file(rows: list[list]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def setup(session):
    root = make_unit(session, "ROOT", kind="Đảng bộ")
    cell = make_unit(session, "CB1", parent=root)
    other = make_unit(session, "CB2", parent=root)
    make_member(session, root, phone="0900000001", roles=(("organiser", cell),))
    make_member(session, cell, phone="0900000002")
    return cell, other


def count(session) -> int:
    session.rollback()  # a fresh snapshot: the request wrote through another connection
    return session.exec(select(func.count()).select_from(Member)).one()


def test_member_gets_403(client, session):
    setup(session)
    token = api_token(client, "0900000002")
    content = csv_file([["Lê Văn Một", "0911000001", "HV0001", "", "CB1", "", ""]])
    r = client.post(URL, headers=bearer(token), files={"file": ("ds.csv", content, "text/csv")})
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "Forbidden"


def test_organiser_bad_file_gets_422_and_nothing_written(client, session):
    setup(session)
    token = api_token(client, "0900000001")
    before = count(session)
    content = csv_file(
        [
            ["Lê Văn Một", "0911000001", "HV0001", "", "CB1", "", ""],
            ["Lê Văn Hai", "", "HV0002", "32/01/1990", "CB2", "", ""],
        ]
    )
    r = client.post(URL, headers=bearer(token), files={"file": ("ds.csv", content, "text/csv")}, data={"initial_password": "KhoiDau#2025"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "ImportFailed" and body["detail"]
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "phone"), (3, "birth_date"), (3, "unit_code")]
    assert all(e["message"] for e in body["errors"])
    assert count(session) == before


def test_organiser_wrong_file_type_gets_422(client, session):
    setup(session)
    token = api_token(client, "0900000001")
    r = client.post(URL, headers=bearer(token), files={"file": ("ds.txt", b"hello", "text/plain")})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["row"] == 0


def test_organiser_good_file_gets_200(client, session):
    setup(session)
    token = api_token(client, "0900000001")
    before = count(session)
    content = csv_file(
        [
            ["Lê Văn Một", "0911000001", "HV0001", "15/05/1990", "cb1", "", ""],
            ["Lê Thị Hai", "0911000002", "HV0002", "", "CB1", "", ""],
            ["Khách Cũ", "0900000002", "HVX", "", "CB1", "", ""],  # an existing member: updated
        ]
    )
    r = client.post(URL, headers=bearer(token), files={"file": ("ds.csv", content, "text/csv")}, data={"initial_password": "KhoiDau#2025"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["updated"], body["errors"]) == (2, 1, [])
    assert count(session) == before + 2
    token = api_token(client, "0911000001", "KhoiDau#2025")
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert me["full_name"] == "Lê Văn Một" and me["unit"]["code"] == "CB1"


def test_missing_file_is_422(client, session):
    setup(session)
    token = api_token(client, "0900000001")
    r = client.post(URL, headers=bearer(token), data={"initial_password": "x"})
    assert r.status_code == 422


def test_an_unknown_legacy_code_is_refused(client, session):
    setup(session)
    token = api_token(client, "0900000001")
    content = csv_file([["Lê Văn Một", "0911000001", "HV0001", "", "CB1", "", ""]])
    r = client.post(URL, headers=bearer(token), data={"legacy": "vni2"}, files={"file": ("ds.csv", content, "text/csv")})
    assert r.status_code == 422, r.text
    assert "legacy" in r.text
    assert count(session) == 2
