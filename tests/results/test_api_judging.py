"""Judges' JSON API: disqualify / reinstate, flags, prizes, seal, and the exports (XLSX opened with openpyxl, CSV
checked against the seal's digest, PDF read back as text), with scope checks."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

from openpyxl import load_workbook
from pypdf import PdfReader

from app.models import Attempt, Member
from tests.factories import api_token, bearer, make_member
from tests.fixtures.results import add


def _login(client, session, member: Member, phone: str) -> dict:
    member.phone = phone
    session.add(member)
    session.commit()
    return bearer(api_token(client, phone))


def _setup(client, session, arena):
    r = arena.rounds[0]
    t = arena.tree
    people = [
        make_member(session, unit, full_name=name)
        for unit, name in (
            (t.a1, "Nguyễn Thị Ánh Tuyết"),
            (t.a1, '=HYPERLINK("http://evil","x")'),
            (t.b1, "Trần Văn Bình"),
            (t.b1, "Lê Thị Hoa"),
        )
    ]
    attempts = [
        add(session, r, m, score=s, prediction=1, duration_s=d) for m, s, d in zip(people, (5, 4, 3, 2), (60, 70, 80, 3), strict=True)
    ]
    session.commit()
    judge = _login(client, session, session.get(Member, arena.org.id), "0911000200")
    assert client.post(f"/api/v1/rounds/{r.id}/close", headers=judge).status_code == 200
    return r, people, attempts, judge


def test_disqualify_reinstate_and_flags(client, session, results_arena):
    r, people, attempts, judge = _setup(client, session, results_arena)
    flags = client.get(f"/api/v1/rounds/{r.id}/flags", headers=judge).json()
    assert [(f["attempt_id"], f["kind"]) for f in flags] == [(attempts[3].id, "too_fast")]  # 5 questions in 3 s
    assert "giây" in flags[0]["explanation"]
    no_reason = client.post(f"/api/v1/attempts/{attempts[0].id}/disqualify", headers=judge, json={"reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["error"] == "ValidationError"
    out = client.post(f"/api/v1/attempts/{attempts[0].id}/disqualify", headers=judge, json={"reason": "Thi hộ"})
    assert out.status_code == 200, out.text
    assert out.json()["disqualify_reason"] == "Thi hộ" and out.json()["disqualified_at"]
    board = client.get(f"/api/v1/rounds/{r.id}/standings", headers=judge).json()
    assert [row["member"]["id"] for row in board["rows"]] == [p.id for p in people[1:]]
    member = _login(client, session, people[2], "0911000201")
    assert client.post(f"/api/v1/attempts/{attempts[0].id}/reinstate", headers=member, json={"reason": "x"}).status_code == 403
    back = client.post(f"/api/v1/attempts/{attempts[0].id}/reinstate", headers=judge, json={"reason": "Đã xác minh"})
    assert back.status_code == 200 and back.json()["disqualified_at"] is None
    session.expire_all()
    assert session.get(Attempt, attempts[0].id).disqualified_at is None
    cell_judge = make_member(session, results_arena.tree.a1, roles=(("judge", results_arena.tree.a1),))
    cell = _login(client, session, cell_judge, "0911000202")
    assert (
        client.post(f"/api/v1/attempts/{attempts[2].id}/disqualify", headers=cell, json={"reason": "x"}).status_code == 404
    )  # another unit's attempt does not exist for them
    assert client.get(f"/api/v1/rounds/{r.id}/export.csv?unit_code=CB-B1", headers=cell).status_code == 403
    assert client.post(f"/api/v1/rounds/{r.id}/seal", headers=cell).status_code == 403
    own = client.get(f"/api/v1/rounds/{r.id}/export.csv", headers=cell)  # their own cell by default
    assert own.status_code == 200
    names = [row[2] for row in csv.reader(io.StringIO(own.content.decode("utf-8-sig")))][1:]
    assert names == ["Nguyễn Thị Ánh Tuyết", '\'=HYPERLINK("http://evil","x")']


def test_prizes_seal_and_exports(client, session, results_arena):
    r, people, _attempts, judge = _setup(client, session, results_arena)
    bad = client.put(f"/api/v1/rounds/{r.id}/prizes", headers=judge, json={"tiers": [{"name": "", "count": 1}]})
    assert bad.status_code == 422
    preview = client.put(
        f"/api/v1/rounds/{r.id}/prizes",
        headers=judge,
        json={
            "tiers": [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2}],
            "cap_share": 0.5,
            "unit_tiers": [{"name": "Giải tập thể", "count": 1}],
        },
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["confirmed_at"] is None and body["cap"] == 2
    assert [(a["tier_name"], a["member_id"]) for a in body["awards"]] == [("Giải Nhất", people[0].id), ("Giải Nhì", people[1].id)]
    assert client.post(f"/api/v1/rounds/{r.id}/seal", headers=judge).status_code == 409  # not confirmed yet
    assert client.post(f"/api/v1/rounds/{r.id}/prizes/confirm", headers=judge).json()["confirmed_at"]
    sealed = client.post(f"/api/v1/rounds/{r.id}/seal", headers=judge)
    assert sealed.status_code == 200, sealed.text
    digest = sealed.json()["digest"]
    assert client.post(f"/api/v1/rounds/{r.id}/seal", headers=judge).status_code == 409

    got = client.get(f"/api/v1/rounds/{r.id}/export.csv", headers=judge)
    assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Hạng", "Mã hội viên", "Họ và tên"]
    assert hashlib.sha256("\n".join("\t".join(row) for row in rows[1:]).encode()).hexdigest() == digest
    assert [row[-1] for row in rows[1:]] == ["Giải Nhất", "Giải Nhì", "", ""]

    xlsx = client.get(f"/api/v1/rounds/{r.id}/export.xlsx", headers=judge)
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames[:3] == ["Xếp hạng", "Thống kê đơn vị", "Đạt giải"]
    ranking = wb["Xếp hạng"]
    assert ranking.freeze_panes == "A2"
    values = list(ranking.iter_rows(min_row=2, values_only=True))
    assert [v[0] for v in values] == [1, 2, 3, 4] and values[0][2] == "Nguyễn Thị Ánh Tuyết"
    assert values[1][2].startswith("'=")  # neutralised: a spreadsheet shows it as text
    assert ranking.cell(row=2, column=12).number_format.startswith("dd/mm/yyyy")
    # a duration is an Excel duration shown m:ss, exact to the millisecond; the CSV keeps the milliseconds
    duration = ranking.cell(row=2, column=11)
    assert ranking.cell(row=1, column=11).value == "Thời gian làm bài" and duration.number_format == "[m]:ss"
    assert duration.value == timedelta(seconds=60)  # openpyxl reads an Excel duration back as a timedelta
    assert rows[0][10] == "Thời gian làm bài (mili giây)" and rows[1][10] == "60000"
    winners = list(wb["Đạt giải"].iter_rows(min_row=2, values_only=True))
    assert [(w[0], w[2], w[5]) for w in winners] == [
        ("Giải Nhất", "Nguyễn Thị Ánh Tuyết", people[0].phone),
        ("Giải Nhì", '\'=HYPERLINK("http://evil","x")', people[1].phone),
    ]
    notes = " ".join(str(c.value) for row in wb["Ghi chú"].iter_rows() for c in row)
    assert digest in notes

    pdf = client.get(f"/api/v1/rounds/{r.id}/export.pdf", headers=judge)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = "".join(text.split())
    assert "BIÊN BẢN XÉT GIẢI" in text and "Nguyễn Thị Ánh Tuyết" in text and digest in flat
    assert text.index("Nguyễn Thị Ánh Tuyết") < text.index("HYPERLINK")
    assert "TRƯỞNG BAN GIÁM KHẢO" in text

    names = {
        part: client.get(f"/api/v1/rounds/{r.id}/export.csv?part={part}", headers=judge).headers["content-disposition"]
        for part in ("ranking", "units", "winners")
    }
    assert "xep-hang-" in names["ranking"] and "thong-ke-don-vi-" in names["units"] and "dat-giai-" in names["winners"]
    unit = client.get(f"/api/v1/rounds/{r.id}/export.csv?unit_code=CB-B1&part=units", headers=judge)
    assert [row[0] for row in csv.reader(io.StringIO(unit.content.decode("utf-8-sig")))][1:] == ["CB-B1"]
    assert client.get(f"/api/v1/rounds/{r.id}/export.doc", headers=judge).status_code == 422
    assert client.get(f"/api/v1/rounds/{r.id}/export.csv?part=nope", headers=judge).status_code == 422
    assert (
        client.post(f"/api/v1/attempts/{_attempts[0].id}/disqualify", headers=judge, json={"reason": "muộn"}).status_code == 409
    )  # sealed


def test_contest_exports_rank_over_closed_rounds_with_scope_checks(client, session, results_arena):
    org = session.get(Member, results_arena.org.id)
    early = _login(client, session, org, "0911000200")
    none_closed = client.get(f"/api/v1/contests/{results_arena.contest.id}/export.csv", headers=early)
    assert none_closed.status_code == 422 and none_closed.json()["error"] == "ValidationError"
    r1, people, _attempts, judge = _setup(client, session, results_arena)
    r2 = results_arena.rounds[1]
    tuyet, evil, binh, hoa = people
    for member, score in ((tuyet, 1), (binh, 5), (hoa, 5)):  # the second name sits the second round out
        add(session, r2, member, score=score, prediction=1, duration_s=40 if member is binh else 50)
    session.commit()
    assert client.post(f"/api/v1/rounds/{r2.id}/close", headers=judge).status_code == 200

    got = client.get(f"/api/v1/contests/{results_arena.contest.id}/export.csv", headers=judge)
    assert got.status_code == 200, got.text
    assert got.content.startswith(b"\xef\xbb\xbf") and got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Hạng", "Mã hội viên", "Họ và tên", "Mã đơn vị", "Đơn vị", "Tổng điểm"]
    assert rows[0][-2:] == [f"Điểm: {r1.title}", f"Điểm: {r2.title}"]
    # totals: Bình 3 + 5, Hoa 2 + 5, Tuyết 5 + 1, the formula-like name 4 + nothing
    assert [(row[0], row[2], row[5], row[-2], row[-1]) for row in rows[1:]] == [
        ("1", "Trần Văn Bình", "8", "3", "5"),
        ("2", "Lê Thị Hoa", "7", "2", "5"),
        ("3", "Nguyễn Thị Ánh Tuyết", "6", "5", "1"),
        ("4", '\'=HYPERLINK("http://evil","x")', "4", "4", ""),
    ]
    assert rows[1][1] == binh.member_code and rows[1][3] == "CB-B1" and rows[1][7] == "2"  # two rounds taken

    xlsx = client.get(f"/api/v1/contests/{results_arena.contest.id}/export.xlsx", headers=judge)
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["Xếp hạng", "Ghi chú"]
    ranking = wb["Xếp hạng"]
    assert ranking.freeze_panes == "A2"
    values = list(ranking.iter_rows(min_row=2, values_only=True))
    assert [v[0] for v in values] == [1, 2, 3, 4] and [v[5] for v in values] == [8, 7, 6, 4]
    assert values[3][-2:] == (4, None)
    assert ranking.cell(row=2, column=11).is_date and ranking.cell(row=2, column=11).number_format.startswith("dd/mm/yyyy")
    notes = " ".join(str(c.value) for row in wb["Ghi chú"].iter_rows() for c in row)
    assert results_arena.contest.title in notes and r1.title in notes and "chưa niêm phong" in notes

    unit = client.get(f"/api/v1/contests/{results_arena.contest.id}/export.csv?unit_code=CB-B1", headers=judge)
    assert [row[2] for row in csv.reader(io.StringIO(unit.content.decode("utf-8-sig")))][1:] == ["Trần Văn Bình", "Lê Thị Hoa"]
    cell = _login(client, session, make_member(session, results_arena.tree.a1, roles=(("judge", results_arena.tree.a1),)), "0911000202")
    assert client.get(f"/api/v1/contests/{results_arena.contest.id}/export.csv?unit_code=CB-B1", headers=cell).status_code == 403
    own = client.get(f"/api/v1/contests/{results_arena.contest.id}/export.csv", headers=cell)  # their own cell by default
    assert own.status_code == 200
    assert [row[0] for row in csv.reader(io.StringIO(own.content.decode("utf-8-sig")))][1:] == ["3", "4"]
    member = _login(client, session, binh, "0911000201")
    assert client.get(f"/api/v1/contests/{results_arena.contest.id}/export.xlsx", headers=member).status_code in (403, 404)
    assert client.get(f"/api/v1/contests/{results_arena.contest.id}/export.pdf", headers=judge).status_code == 422
    assert client.get("/api/v1/contests/999999/export.csv", headers=judge).status_code == 404
    assert client.get(f"/api/v1/contests/{results_arena.contest.id}/export.csv?unit_code=NOPE", headers=judge).status_code == 404
