"""The report for a period (báo cáo kết quả theo kỳ), across contests and essay campaigns, on the arena's
three-level tree counted by hand (period_world in tests/results/conftest.py): only the rounds that close inside
the period (on the Vietnamese calendar, both ends included) and the campaigns whose deadline falls in it count;
a unit's figures are its subtree's; the page, the XLSX and the PDF agree; a unit outside one's reach does not
exist; bad dates are said plainly."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app import i18n
from app.models.types import utcnow
from app.services.kit.sheets import VN_TZ
from app.services.results import period_report
from tests.factories import actor
from tests.pagehelpers import page_login

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = "from=2026-03-01&to=2026-03-31"


def _page_rows(html: str) -> dict[str, dict[str, str]]:
    """The units table of the page: code → {figure: text}."""
    rows = {}
    for code, body in re.findall(r'<tr id="p-([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        rows[code] = dict(re.findall(r'data-k="(\w+)"[^>]*>([^<]*)<', body))
    return rows


def _xlsx(content: bytes) -> tuple[dict[str, tuple], list[tuple], list[tuple]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    units, rounds, campaigns = (list(ws.iter_rows(min_row=2, values_only=True)) for ws in book.worksheets[:3])
    return {row[0]: row for row in units}, rounds, campaigns


def _pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


# code: headcount, rounds counted, participations, average rate, individual prizes, essays handed in
ROOT_MARCH = {
    "DB-A": (70, 2, 6, 0.0429, 2, 2),
    "DB-B": (42, 1, 1, 0.0238, 0, 2),
    "ROOT": (212, 2, 7, 0.0309, 2, 4),  # Tuần 1: 4/212 = 1.89 %; Đợt 1 (the ward's contest): 3/70 = 4.29 %
}
WARD_MARCH = {
    "CB-A1": (10, 2, 3, 0.15, 1, 2),  # Tuần 1: 2/10, Đợt 1: 1/10
    "CB-A2": (20, 2, 3, 0.075, 1, 0),  # Tuần 1: 1/20, Đợt 1: 2/20
    "DB-A": (70, 2, 6, 0.0429, 2, 2),
}


def test_the_period_report_counts_only_what_closes_in_the_period(session, period_world):
    org = actor(session, period_world.root_org)
    report = period_report.period_report(session=session, actor=org, date_from="2026-03-01", date_to="2026-03-31")
    got = {x.code: (x.headcount, x.rounds, x.participations, x.rate, x.prizes, x.essays) for x in [*report.children, report.total]}
    assert got == ROOT_MARCH
    assert [x.code for x in report.children] == ["DB-A", "DB-B"] and report.total.code == "ROOT"
    rounds = [(x.contest, x.title, x.closes_on, x.participants, x.rate) for x in report.rounds]
    assert rounds == [
        ("Tìm hiểu Nghị quyết", "Tuần 1", date(2026, 3, 1), 4, 0.0189),
        ("Tìm hiểu lịch sử Đảng bộ phường", "Đợt 1", date(2026, 3, 31), 3, 0.0429),
    ]
    assert [(x.title, x.deadline, x.handed_in) for x in report.campaigns] == [
        ("Thu hoạch chi bộ B1", date(2026, 3, 5), 1),
        ("Thu hoạch Nghị quyết", date(2026, 3, 25), 3),
    ]
    # April, for the ward: Tuần 2 (closes half an hour into 1 April) and the cell's campaign
    april = period_report.period_report(session=session, actor=org, unit_code="db-a", date_from="2026-04-01", date_to="2026-04-30")
    got = {x.code: (x.rounds, x.participations, x.rate, x.prizes, x.essays) for x in [*april.children, april.total]}
    assert got == {"CB-A1": (1, 1, 0.1, 0, 1), "CB-A2": (1, 1, 0.05, 1, 0), "DB-A": (1, 2, 0.0286, 1, 1)}
    assert [(x.title, x.participants) for x in april.rounds] == [("Tuần 2", 2)]
    assert [(x.title, x.handed_in) for x in april.campaigns] == [("Thu hoạch chi bộ A1", 1)]
    # February holds only the ward's Đợt 0 (an), none of the tree's campaigns
    february = period_report.period_report(session=session, actor=org, date_from="2026-02-01", date_to="2026-02-28")
    assert [x.title for x in february.rounds] == ["Đợt 0"] and february.campaigns == []
    assert {x.code: (x.rounds, x.participations) for x in february.children} == {"DB-A": (1, 1), "DB-B": (0, 0)}
    assert february.children[1].rate is None  # no round reached branch B


def test_the_page_the_xlsx_and_the_pdf_agree(client, period_world):
    page_login(client, period_world.ward_org.phone)
    page = client.get(f"/reports?{MARCH}")
    assert page.status_code == 200
    html = page.text
    assert 'value="DB-A"' in html and 'value="2026-03-01"' in html and 'value="2026-03-31"' in html
    rows = _page_rows(html)
    assert set(rows) == set(WARD_MARCH)  # the ward's cells and its own total; nothing of branch B
    for code, (heads, n, part, rate, prizes, essays) in WARD_MARCH.items():
        shown = rows[code]
        figures = (shown["headcount"], shown["rounds"], shown["participations"], shown["prizes"], shown["essays"])
        assert figures == tuple(str(v) for v in (heads, n, part, prizes, essays)), code
        assert shown["rate"] == i18n.percent(rate, "vi"), code
    assert "Tìm hiểu lịch sử Đảng bộ phường" in html and "31/03/2026" in html and "Thu hoạch Nghị quyết" in html
    assert "Thu hoạch chi bộ B1" not in html and "Tuần 2" not in html and "Cuộc thi còn nháp" not in html
    assert f'href="/reports.xlsx?unit=DB-A&amp;{MARCH.replace("&", "&amp;")}"' in html

    xlsx = client.get(f"/reports.xlsx?{MARCH}")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    units, rounds, campaigns = _xlsx(xlsx.content)
    assert {code: row[2:] for code, row in units.items()} == WARD_MARCH
    assert [(r[1], r[2].date(), r[3], r[4]) for r in rounds] == [
        ("Tuần 1", date(2026, 3, 1), 3, 0.0429),
        ("Đợt 1", date(2026, 3, 31), 3, 0.0429),
    ]
    assert [(c[0], c[1].date(), c[2]) for c in campaigns] == [("Thu hoạch Nghị quyết", date(2026, 3, 25), 2)]

    pdf = client.get(f"/reports.pdf?{MARCH}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "BÁO CÁO KẾT QUẢ THEO KỲ" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Từ ngày 01/03/2026 đến ngày 31/03/2026" in text
    for code, (heads, n, part, rate, prizes, essays) in WARD_MARCH.items():
        assert code in text
        assert f"{heads} {n} {part} {rate * 100:.2f} {prizes} {essays}" in text, code
    assert "Đợt 1" in text and "31/03/2026" in text and "Thu hoạch Nghị quyết" in text


def test_the_default_is_the_widest_unit_and_the_current_month(client, period_world):
    page_login(client, period_world.root_org.phone)
    html = client.get("/reports").text
    today = datetime.now(VN).date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    assert 'value="ROOT"' in html and f'value="{first.isoformat()}"' in html and f'value="{last.isoformat()}"' in html
    assert set(_page_rows(html)) == {"DB-A", "DB-B", "ROOT"}
    # a child's line leads to its own report for the same period
    assert 'href="?unit=DB-A&amp;from=' in html
    # one end only: that end's month
    assert period_report.parse_period("2026-02-10", None) == period_report.Period(date(2026, 2, 10), date(2026, 2, 28))
    assert period_report.parse_period(None, "2028-02-10") == period_report.Period(date(2028, 2, 1), date(2028, 2, 10))
    assert period_report.parse_period("01/03/2026", "31/03/2026") == period_report.Period(date(2026, 3, 1), date(2026, 3, 31))


def test_a_judge_sees_their_branch_and_nothing_outside(client, period_world):
    w = period_world
    page_login(client, w.judge_b.phone)
    html = client.get(f"/reports?{MARCH}").text
    assert set(_page_rows(html)) == {"CB-B1", "DB-B"}
    assert client.get(f"/reports?unit=DB-A&{MARCH}").status_code == 404
    client.cookies.clear()
    page_login(client, w.ward_org.phone)
    for unit in ("DB-B", "CB-B1", "ROOT", "KHONG-CO"):
        page = client.get(f"/reports?unit={unit}&{MARCH}")
        assert page.status_code == 404, unit
        assert "Không tìm thấy đơn vị" in page.text and 'id="period-form"' in page.text
        assert client.get(f"/reports.xlsx?unit={unit}&{MARCH}").status_code == 404
        assert client.get(f"/reports.pdf?unit={unit}&{MARCH}").status_code == 404
    client.cookies.clear()
    page_login(client, w.people["an"].phone)  # a member: no such page
    for path in ("/reports", f"/reports.xlsx?{MARCH}", f"/reports.pdf?unit=CB-A1&{MARCH}"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert 'id="period-form"' not in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-31&to=2026-03-01", "Ngày bắt đầu (31/03/2026) sau ngày kết thúc (01/03/2026)"),
        ("from=hôm-qua&to=2026-03-01", "Ngày không hợp lệ: hôm-qua."),
        ("from=2026-02-30", "Ngày không hợp lệ: 2026-02-30."),
        ("from=2025-01-01&to=2026-03-31", "Khoảng thời gian dài 455 ngày: một báo cáo gồm tối đa 366 ngày."),
        ("from=0001-01-01&to=0001-01-02", "nằm ngoài khoảng cho phép"),
    ],
)
def test_bad_dates_are_said_on_the_page(client, period_world, query, message):
    page_login(client, period_world.ward_org.phone)
    page = client.get(f"/reports?{query}")
    assert page.status_code == 422
    assert message in page.text and 'id="period-error"' in page.text and 'id="period-form"' in page.text
    assert 'id="period-report"' not in page.text
    for fmt in ("xlsx", "pdf"):
        got = client.get(f"/reports.{fmt}?{query}")
        assert got.status_code == 422 and message in got.text, fmt


def test_the_organisers_and_judges_find_it(client, period_world):
    contest = period_world.arena.contest
    page_login(client, period_world.root_org.phone)
    assert 'id="period-report-link"' in client.get("/").text
    assert 'id="period-report-link"' in client.get("/contests").text
    assert 'id="period-report-link"' in client.get(f"/contests/{contest.id}").text
    assert 'href="/reports?unit=ROOT"' in client.get(f"/contests/{contest.id}/report").text
    client.cookies.clear()
    page_login(client, period_world.judge_b.phone)
    assert 'id="judge-period-report-link"' in client.get("/").text
    assert 'id="period-report-link"' in client.get("/judging").text


def test_a_round_not_yet_open_is_not_reported(session, results_arena):
    """A weekly round that closes later in the month but has not opened has nothing to report: counting it
    would show a 0 % round."""
    week1, week2 = results_arena.rounds
    week2.opens_at, week2.closes_at = utcnow() + timedelta(hours=1), utcnow() + timedelta(hours=2)
    session.add(week2)
    session.commit()
    today = utcnow().astimezone(VN_TZ).date()
    seen = period_report.period_report(
        session=session,
        actor=results_arena.org,
        unit_code="ROOT",
        date_from=(today - timedelta(days=2)).isoformat(),
        date_to=(today + timedelta(days=2)).isoformat(),
    )
    assert [r.title for r in seen.rounds] == [week1.title]
