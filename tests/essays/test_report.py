"""The essay campaign's report up the tree: each child unit's essays handed in, accepted, returned and graded,
every figure its subtree's; the page, XLSX and PDF; organisers of another branch are refused."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from pypdf import PdfReader

from app.services.essays import essays
from app.services.results import report
from tests.essays.helpers import WORDS, draft, submit
from tests.factories import actor, make_member
from tests.pagehelpers import page_login


def test_the_campaign_report_rolls_up_the_subtrees(client, session, essay_world):
    w, t = essay_world, essay_world.tree
    second = make_member(session, t.a2, full_name="Trần Văn Hai")
    third = make_member(session, t.b1, full_name="Lê Thị Ba")
    draft(w, w.member, WORDS)
    submit(w, w.member)
    draft(w, second, WORDS)
    submit(w, second)
    draft(w, third, WORDS)  # a draft is not handed in
    essay = essays.mine_in(session=session, actor=actor(session, w.member), campaign_ids=[w.campaign.id])[w.campaign.id]
    essays.review(session=session, actor=actor(session, w.cell_org), essay_id=essay.id, action="reviewed", comment="")
    session.commit()
    r = report.campaign_report(session=session, actor=actor(session, w.org), campaign_id=w.campaign.id)
    lines = {x.code: (x.handed_in, x.reviewed, x.returned) for x in r.children}
    assert lines == {"DB-A": (2, 1, 0), "DB-B": (0, 0, 0)}
    assert (r.total.handed_in, r.total.reviewed) == (2, 1)
    page_login(client, w.org.phone)
    assert 'id="r-DB-A"' in client.get(f"/essays/campaigns/{w.campaign.id}/report").text
    book = load_workbook(io.BytesIO(client.get(f"/essays/campaigns/{w.campaign.id}/report.xlsx").content), read_only=True)
    rows = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert rows["DB-A"][3:5] == (2, 1) and rows["ROOT"][3] == 2
    text = PdfReader(io.BytesIO(client.get(f"/essays/campaigns/{w.campaign.id}/report.pdf").content)).pages[0].extract_text()
    assert "BÁO CÁO KẾT QUẢ BÀI THU HOẠCH" in text and "DB-A" in text
    page_login(client, w.other_org.phone)
    assert client.get(f"/essays/campaigns/{w.campaign.id}/report?unit=DB-A").status_code == 403
