"""A ward's organiser on a phone (Chromium, 390×844) opens the report for a period, changes the dates with the
form, is told plainly when the dates are wrong, and drills down to a cell; the page never scrolls sideways (the
tables scroll inside their own frame)."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.fixtures.browser import no_horizontal_scroll

pytestmark = pytest.mark.e2e


def test_a_ward_reports_a_period_on_a_phone(page, period_world, shot):
    page.goto("/login")
    page.fill("#username", period_world.ward_org.phone)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.click("#period-report-link")
    page.wait_for_selector("#period-form")
    assert page.input_value("#f-unit") == "DB-A"
    page.fill("#f-from", "2026-03-01")
    page.fill("#f-to", "2026-03-31")
    page.click("#period-form button[type=submit]")
    page.wait_for_selector("#period-report")
    assert page.inner_text("#p-DB-A [data-k=participations]") == "6"
    assert "Đợt 1" in page.inner_text("#period-rounds")
    assert no_horizontal_scroll(page, 390)
    shot(page, "march")
    assert no_horizontal_scroll(page)

    page.fill("#f-from", "2026-04-30")
    page.click("#period-form button[type=submit]")
    page.wait_for_selector("#period-error")
    assert "sau ngày kết thúc" in page.inner_text("#period-error")
    assert no_horizontal_scroll(page, 390)

    page.goto("/reports?unit=DB-A&from=2026-03-01&to=2026-03-31")
    page.click("#p-CB-A1 a")
    page.wait_for_selector("#p-CB-A1.total")
    assert page.inner_text("#p-CB-A1 [data-k=rounds]") == "2"
    assert page.input_value("#f-from") == "2026-03-01"
