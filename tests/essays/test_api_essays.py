"""The essays API: campaigns, a member's draft and submit with its receipt, the cell's review, judges' grades, the
errors as {"error", "detail"} with fitting statuses, and the unit's files (XLSX opened with openpyxl, PDF read back
as text with pypdf)."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from pypdf import PdfReader

from app.models import Role
from tests.essays.helpers import WORDS
from tests.factories import api_token, bearer, local_time, make_member

OPENS = datetime.now(UTC) - timedelta(days=1)


def _auth(client, member) -> dict:
    return bearer(api_token(client, member.phone))


def test_campaign_create_list_and_errors(client, essay_world):
    org = _auth(client, essay_world.org)
    opens = local_time(10, 7)
    body = {
        "title": "Thu hoạch chuyên đề 2026",
        "prompt": "Viết về …",
        "topics": ["Kinh tế số", "Chuyển đổi số"],
        "scope_unit_code": "DB-A",
        "opens_at": opens,
        "closes_at": local_time(24, 17),
        "min_words": 100,
        "max_words": 1500,
        "rubric": [{"label": "Nội dung", "max_points": 70}, {"label": "Hình thức", "max_points": 30}],
    }
    r = client.post("/api/v1/essay-campaigns", headers=org, json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["opens_at"] == f"{opens}:00+07:00" and out["state"] == "upcoming" and out["rubric_max"] == 100
    assert [c["key"] for c in out["rubric"]] == ["noi_dung", "hinh_thuc"]
    bad = client.post("/api/v1/essay-campaigns", headers=org, json={**body, "min_words": 2000})
    assert bad.status_code == 422 and bad.json()["error"] == "ValidationError" and bad.json()["field"] == "min_words"
    member = _auth(client, essay_world.member)
    assert client.post("/api/v1/essay-campaigns", headers=member, json=body).status_code == 403
    cell = _auth(client, essay_world.cell_org)
    assert client.post("/api/v1/essay-campaigns", headers=cell, json=body).json()["error"] == "Forbidden"
    seen = {c["id"] for c in client.get("/api/v1/essay-campaigns", headers=member).json()}
    assert seen == {essay_world.campaign.id, out["id"]}  # the member's unit (A1) lies in both scopes
    assert {c["id"] for c in client.get("/api/v1/essay-campaigns", headers=_auth(client, essay_world.other_org)).json()} == {
        essay_world.campaign.id
    }
    patched = client.patch(f"/api/v1/essay-campaigns/{out['id']}", headers=org, json={"max_words": 2000})
    assert patched.status_code == 200 and patched.json()["max_words"] == 2000
    assert client.patch(f"/api/v1/essay-campaigns/{out['id']}", headers=cell, json={"max_words": 1}).status_code == 404


def test_member_writes_submits_gets_a_receipt_and_the_cell_and_judges_act(client, essay_world):
    c = essay_world.campaign
    member = _auth(client, essay_world.member)
    empty = client.get(f"/api/v1/essay-campaigns/{c.id}/my-essay", headers=member).json()
    assert empty["id"] is None and empty["can_edit"] is True
    saved = client.put(f"/api/v1/essay-campaigns/{c.id}/my-essay", headers=member, json={"topic": "Xây dựng Đảng", "text": "Ngắn quá."})
    assert saved.status_code == 200 and saved.json()["draft_words"] == 2
    short = client.post(f"/api/v1/essay-campaigns/{c.id}/my-essay/submit", headers=member)
    assert short.status_code == 422 and "cần ít nhất 10 chữ" in short.json()["detail"]
    text = WORDS.strip() + "\n\nĐoạn hai <script>alert(1)</script>."
    client.put(f"/api/v1/essay-campaigns/{c.id}/my-essay", headers=member, json={"topic": "Xây dựng Đảng", "text": text})
    again = client.get(f"/api/v1/essay-campaigns/{c.id}/my-essay", headers=member).json()
    assert again["draft_text"] == text  # read back as saved
    receipt = client.post(f"/api/v1/essay-campaigns/{c.id}/my-essay/submit", headers=member)
    assert receipt.status_code == 200, receipt.text
    got = receipt.json()
    assert got["status"] == "submitted" and got["word_count"] == 20 and got["submitted_at"].endswith("+07:00")
    essay_id = got["id"]

    outsider = _auth(client, essay_world.other_org)
    assert client.post(f"/api/v1/essays/{essay_id}/review", headers=outsider, json={"action": "reviewed"}).status_code == 404
    cell = _auth(client, essay_world.cell_org)
    listing = client.get(f"/api/v1/essay-campaigns/{c.id}/essays?q=nghi quyet", headers=cell).json()
    assert [e["id"] for e in listing["essays"]] == [essay_id] and listing["unit_code"] == "CB-A1"
    assert client.post(f"/api/v1/essays/{essay_id}/review", headers=cell, json={"action": "returned", "comment": ""}).status_code == 422
    returned = client.post(f"/api/v1/essays/{essay_id}/review", headers=cell, json={"action": "returned", "comment": "Bổ sung giải pháp."})
    assert returned.json()["status"] == "returned"
    assert client.get(f"/api/v1/essay-campaigns/{c.id}/my-essay", headers=member).json()["review_comment"] == "Bổ sung giải pháp."
    client.put(
        f"/api/v1/essay-campaigns/{c.id}/my-essay",
        headers=member,
        json={"topic": "Xây dựng Đảng", "text": text + " Giải pháp: học tập thường xuyên."},
    )
    assert client.post(f"/api/v1/essay-campaigns/{c.id}/my-essay/submit", headers=member).json()["status"] == "submitted"
    assert client.post(f"/api/v1/essays/{essay_id}/review", headers=cell, json={"action": "reviewed"}).status_code == 200

    t = essay_world.tree
    j1 = _auth(client, make_member(essay_world.session, t.root, roles=((Role.judge, t.root),)))
    j2 = _auth(client, make_member(essay_world.session, t.a, roles=((Role.judge, t.a),)))
    jb = _auth(client, make_member(essay_world.session, t.b, roles=((Role.judge, t.b),)))
    scores = {"noi_dung": 50, "giai_phap": 20, "trinh_bay": 8}
    assert client.put(f"/api/v1/essays/{essay_id}/grade", headers=jb, json={"scores": scores}).status_code == 404
    over = client.put(f"/api/v1/essays/{essay_id}/grade", headers=j1, json={"scores": {**scores, "trinh_bay": 11}})
    assert over.status_code == 422 and over.json()["field"] == "scores.trinh_bay"
    first = client.put(f"/api/v1/essays/{essay_id}/grade", headers=j1, json={"scores": scores, "comment": "Khá"})
    assert first.status_code == 200 and first.json()["total"] == 78
    second = client.put(
        f"/api/v1/essays/{essay_id}/grade", headers=j2, json={"scores": {"noi_dung": 30, "giai_phap": 15, "trinh_bay": 5}}
    ).json()
    assert second["essay_score"] == 64 and second["grade_count"] == 2 and second["disagreement"] is True
    detail = client.get(f"/api/v1/essays/{essay_id}", headers=j1).json()
    assert [g["total"] for g in detail["grades"]] == [78, 50]
    frozen = client.put(f"/api/v1/essay-campaigns/{c.id}/my-essay", headers=member, json={"topic": "", "text": "x"})
    assert frozen.status_code == 409 and frozen.json()["error"] == "Conflict"


def test_the_window_over_the_api(client, essay_world):
    later = essay_world.new_campaign(opens_at=datetime.now(UTC) + timedelta(days=1), closes_at=datetime.now(UTC) + timedelta(days=2))
    r = client.put(
        f"/api/v1/essay-campaigns/{later.id}/my-essay", headers=_auth(client, essay_world.member), json={"topic": "", "text": "Bài"}
    )
    assert r.status_code == 409 and "chưa mở" in r.json()["detail"]
    assert client.get("/api/v1/essay-campaigns/999999/my-essay", headers=_auth(client, essay_world.member)).status_code == 404
    assert client.get("/api/v1/essay-campaigns/99999999999/my-essay", headers=_auth(client, essay_world.member)).status_code == 404


def _pdf_text(content: bytes) -> str:
    return unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages))


def test_exports_per_unit(client, essay_world):
    t = essay_world.tree
    c = essay_world.campaign
    people = [
        (essay_world.member, t.a1),
        (make_member(essay_world.session, t.a2, full_name='=HYPERLINK("x")'), t.a2),
        (make_member(essay_world.session, t.b1, full_name="Phạm Văn Đức", phone="0933000111"), t.b1),
    ]
    make_member(essay_world.session, t.a1, full_name="Lê Thị Hoa", phone="0933000222")  # never writes
    for who, _unit in people:
        h = _auth(client, who)
        client.put(
            f"/api/v1/essay-campaigns/{c.id}/my-essay",
            headers=h,
            json={"topic": "Phát triển kinh tế", "text": WORDS + "\n\nĐoạn thứ hai về kinh tế số."},
        )
        assert client.post(f"/api/v1/essay-campaigns/{c.id}/my-essay/submit", headers=h).status_code == 200
    org = _auth(client, essay_world.org)
    xlsx = client.get(f"/api/v1/essay-campaigns/{c.id}/export.xlsx?unit_code=DB-A", headers=org)
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["Bài thu hoạch", "Chưa nộp", "Tham gia theo đơn vị", "Ghi chú"]
    rows = list(wb["Bài thu hoạch"].values)
    assert rows[0][:8] == ("Họ và tên", "Mã hội viên", "Mã đơn vị", "Đơn vị", "Chủ đề", "Số chữ", "Nộp lúc", "Trạng thái")
    names = [r[0] for r in rows[1:]]
    assert names == ["Nguyễn Thị Ánh Tuyết", '\'=HYPERLINK("x")']  # in unit order, neutralised, no branch B
    first = rows[1]
    assert first[4] == "Phát triển kinh tế" and first[5] == 24 and first[7] == "Đã nộp, chờ chi bộ xem"
    assert datetime.strptime(first[6], "%d/%m/%Y %H:%M")
    missing = [r[0] for r in list(wb["Chưa nộp"].values)[1:]]
    assert "Lê Thị Hoa" in missing and "Phạm Văn Đức" not in missing
    share = list(wb["Tham gia theo đơn vị"].values)
    assert share[0] == ("Mã đơn vị", "Đơn vị", "Đã nộp", "Số hội viên (khai báo)", "Tỉ lệ tham gia")
    by_code = {r[0]: r for r in share[1:]}
    assert by_code["CB-A1"][2:] == (1, 10, 0.1) and by_code["CB-A2"][2:] == (1, 10, 0.1)
    assert by_code["DB-A"][1].endswith("(trực thuộc)") and by_code["DB-A"][2] == 0

    pdf = client.get(f"/api/v1/essay-campaigns/{c.id}/export.pdf?unit_code=DB-A", headers=org)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = _pdf_text(pdf.content)
    for expected in (
        "TẬP BÀI THU HOẠCH",
        c.title,
        "Đơn vị DB-A".upper(),
        "Nguyễn Thị Ánh Tuyết",
        "Đoạn thứ hai về kinh tế số",
        "Số bài đã nộp",
    ):
        assert expected in text, expected
    assert "Phạm Văn Đức" not in text
    # a cell organiser gets their cell; another cell is refused; a plain member has no files
    cell = _auth(client, essay_world.cell_org)
    own = load_workbook(io.BytesIO(client.get(f"/api/v1/essay-campaigns/{c.id}/export.xlsx", headers=cell).content))
    assert [r[0] for r in list(own["Bài thu hoạch"].values)[1:]] == ["Nguyễn Thị Ánh Tuyết"]
    assert client.get(f"/api/v1/essay-campaigns/{c.id}/export.pdf?unit_code=CB-B1", headers=cell).status_code == 403
    assert client.get(f"/api/v1/essay-campaigns/{c.id}/export.pdf", headers=_auth(client, essay_world.member)).status_code == 404
    assert client.get(f"/api/v1/essay-campaigns/{c.id}/export.doc", headers=org).status_code == 422
