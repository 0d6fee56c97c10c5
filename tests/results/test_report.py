"""The report up the tree on a three-level tree: every unit's figures are its subtree's (participation in each
round, prizes, essays of linked campaigns); the page, the XLSX and the PDF agree."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import make_member
from tests.fixtures.results import add, seal_first_round
from tests.pagehelpers import page_login


def test_the_report_rolls_up_the_subtrees(client, session, results_arena):
    t, r1 = results_arena.tree, results_arena.rounds[0]
    # A1: two took part, one won; A2: one took part; B1: one did not take part
    people = {
        "an": make_member(session, t.a1, full_name="Lý Văn An"),
        "binh": make_member(session, t.a1, full_name="Lý Văn Bình"),
        "cuc": make_member(session, t.a2, full_name="Lý Thị Cúc"),
        "dao": make_member(session, t.b1, full_name="Lý Thị Đào"),
    }
    add(session, r1, people["an"], score=5)
    add(session, r1, people["binh"], score=3)
    add(session, r1, people["cuc"], score=2)
    session.commit()
    seal_first_round(session, results_arena, [("Giải Nhất", 1)])
    make_member(session, t.a, phone="0917000001", roles=(("organiser", t.a),))
    page_login(client, "0917000001")
    page = client.get(f"/contests/{results_arena.contest.id}/report")
    assert page.status_code == 200
    html = page.text
    assert 'id="r-CB-A1"' in html and 'id="r-CB-A2"' in html and 'id="r-DB-B"' not in html  # the ward's own subtree
    book = load_workbook(io.BytesIO(client.get(f"/contests/{results_arena.contest.id}/report.xlsx").content), read_only=True)
    rows = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    # code, name, headcount, week 1 participants, rate, week 2 participants, rate, prizes, essays
    assert rows["CB-A1"][2:4] == (10, 2) and rows["CB-A1"][7] == 1
    assert rows["CB-A2"][2:4] == (20, 1) and rows["CB-A2"][7] == 0
    assert rows["DB-A"][2:4] == (70, 3) and rows["DB-A"][7] == 1  # the ward: its own plus its cells
    pdf = client.get(f"/contests/{results_arena.contest.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "BÁO CÁO KẾT QUẢ" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "CB-A1" in text and "CB-A2" in text
    assert client.get(f"/contests/{results_arena.contest.id}/report?unit=DB-B").status_code == 403
    assert client.get(f"/contests/{results_arena.contest.id}/report.doc").status_code == 404
