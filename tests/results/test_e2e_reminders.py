"""A member on a phone (Chromium, 390×844) turns reminders on from home, with the notification permission
granted: the service worker registers, and the phone either subscribes (the subscription is stored) or, where
the browser has no push service, says that the cell will remind them on Zalo or by text."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import PushSubscription
from tests.factories import PASSWORD, make_member
from tests.fixtures.browser import no_horizontal_scroll

pytestmark = pytest.mark.e2e


def test_a_member_turns_reminders_on(page, session, results_arena, shot):
    member = make_member(session, results_arena.tree.a1, phone="0919000001", full_name="Tô Thị Lan")
    page.context.grant_permissions(["notifications"])
    page.goto("/login")
    page.fill("#username", member.phone)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.wait_for_selector("#push-on:not([hidden])")
    assert page.evaluate("navigator.serviceWorker.getRegistration('/').then(r => !!r)")
    box = page.locator("#push-box")
    outcomes = {box.get_attribute(a) for a in ("data-on-text", "data-failed", "data-denied")}
    page.click("#push-on")
    for _ in range(50):  # the permission, the push service and the server take a moment
        if page.locator("#push-note").text_content() in outcomes:
            break
        page.wait_for_timeout(100)
    stored = session.execute(select(func.count()).select_from(PushSubscription).where(PushSubscription.member_id == member.id)).scalar_one()
    note = page.locator("#push-note").text_content() or ""
    if stored:
        assert page.is_visible("#push-off") and "đang nhận nhắc nhở" in note
    else:  # Debian's Chromium has no push service to subscribe with: the member is told how they will be reminded
        assert "Zalo" in note and page.is_visible("#push-on")
    assert no_horizontal_scroll(page)
    shot(page, "reminders-switch")
