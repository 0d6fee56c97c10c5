"""A member takes a whole round on a phone (Chromium, 390×844): with JavaScript (tap-save, a reload halfway,
a lost connection, the page hidden), and with JavaScript switched off (plain form posts)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Attempt, AttemptEvent, AttemptQuestion, Round
from tests.factories import PASSWORD
from tests.fixtures.browser import PHONE, no_horizontal_scroll
from tests.fixtures.quiz import QuizWorld

pytestmark = pytest.mark.e2e


def _login_and_start(page, session, world: QuizWorld) -> tuple[int, dict[int, str]]:
    world.inside.phone = "0911000001"
    session.add(world.inside)
    round_ = session.get(Round, world.round_id)
    round_.results_visibility = "immediate"  # so the result page shows the review at the end
    session.add(round_)
    session.commit()
    page.goto("/login")
    page.fill("#username", "0911000001")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.click(f'a[href="/rounds/{world.round_id}/enter"]')  # home → the round's rules and its start step
    page.wait_for_url(f"**/rounds/{world.round_id}/enter")
    page.click(f'form[action="/rounds/{world.round_id}/start"] button')
    page.wait_for_url("**/attempts/*")
    attempt_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    session.rollback()
    qs = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id).order_by(AttemptQuestion.position)).all()
    return attempt_id, {q.position: next(o["id"] for o in q.options if o["correct"]) for q in qs}


def _finish(page, session, attempt_id: int, shot) -> None:
    page.click("button[name=review]")
    page.wait_for_url(f"**/attempts/{attempt_id}/review")
    assert "Bạn đã trả lời 5/5 câu." in page.inner_text("main")
    shot(page, "review")
    page.click("main form[action$='/submit'] button")
    page.wait_for_url(f"**/attempts/{attempt_id}/result")
    assert page.inner_text("#score") == "5"
    assert page.locator(".card.review.right").count() == 5
    shot(page, "result")
    assert no_horizontal_scroll(page)
    session.rollback()
    done = session.get(Attempt, attempt_id)
    assert (done.status, done.score, done.prediction) == ("submitted", 5, 1234)


def test_a_whole_round_with_javascript(page, session, quiz_world, shot):
    attempt_id, right = _login_and_start(page, session, quiz_world)
    assert page.locator("#countdown").inner_text().startswith(("9:", "10:"))
    for pos in (1, 2):
        page.check(f'input[value="{right[pos]}"]')
        page.wait_for_selector(f"#saved-{pos} >> text=Đã lưu")
    assert page.inner_text("#answered") == "2"
    assert page.locator("#grid a.done").count() == 2  # the numbered grid marks what is answered
    color = page.eval_on_selector(f'label.opt:has(input[value="{right[1]}"])', "e => getComputedStyle(e).backgroundColor")
    assert color == "rgb(234, 241, 255)"  # a chosen option looks chosen (blue), not wrong (red)
    shot(page, "1-two-saved")
    page.reload()  # halfway: the same attempt, its answers and the time left
    assert page.url.endswith(f"/attempts/{attempt_id}")
    assert page.is_checked(f'input[value="{right[1]}"]') and page.is_checked(f'input[value="{right[2]}"]')
    assert page.inner_text("#answered") == "2"
    # the connection drops: the tap is marked unsaved, then saved by itself when the phone is back online
    page.context.set_offline(True)
    page.check(f'input[value="{right[3]}"]')
    page.wait_for_selector("#saved-3 >> text=Chưa lưu được")
    shot(page, "2-offline")
    page.context.set_offline(False)
    page.wait_for_selector("#saved-3 >> text=Đã lưu", timeout=10_000)
    # the member switches to another app and back: two soft events for the judges
    for n, state in enumerate(("hidden", "visible"), start=1):
        page.evaluate(
            "s => { Object.defineProperty(document, 'visibilityState', {value: s, configurable: true});"
            " document.dispatchEvent(new Event('visibilitychange')); }",
            state,
        )
        for _ in range(50):  # beacons are not awaited: let this one land before the next is sent
            session.rollback()
            if len(session.exec(select(AttemptEvent.id)).all()) == n:
                break
            page.wait_for_timeout(100)
    for pos in (4, 5):
        page.check(f'input[value="{right[pos]}"]')
        page.wait_for_selector(f"#saved-{pos} >> text=Đã lưu")
    page.fill("#prediction", "1234")
    page.press("#prediction", "Tab")
    page.wait_for_selector("#saved-prediction >> text=Đã lưu")
    assert page.inner_text("#answered") == "5"
    assert no_horizontal_scroll(page)
    page.set_viewport_size(PHONE)
    _finish(page, session, attempt_id, shot)
    kinds = [
        e.kind for e in session.exec(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt_id).order_by(AttemptEvent.id)).all()
    ]
    assert kinds == ["hide", "show"]


def test_a_whole_round_without_javascript(page_without_js, session, quiz_world, shot):
    page = page_without_js
    attempt_id, right = _login_and_start(page, session, quiz_world)
    for pos in (1, 2):
        page.check(f'input[value="{right[pos]}"]')
    page.click("button[name=save]")
    page.wait_for_url(f"**/attempts/{attempt_id}?saved=1")
    assert "Đã lưu các câu trả lời." in page.inner_text("main")
    page.reload()
    assert page.is_checked(f'input[value="{right[1]}"]') and page.inner_text("#answered") == "2"
    page.click("button[name=review]")  # the review lists what is missing
    page.wait_for_url(f"**/attempts/{attempt_id}/review")
    assert [a.inner_text() for a in page.locator("#unanswered a").all()] == ["Câu 3", "Câu 4", "Câu 5"]
    shot(page, "1-review-missing")
    page.click("#unanswered a >> nth=0")
    for pos in (3, 4, 5):
        page.check(f'input[value="{right[pos]}"]')
    page.fill("#prediction", "1234")
    _finish(page, session, attempt_id, shot)


def test_at_zero_one_request_ends_the_attempt(page, session, quiz_world, shot):
    """The last minute is announced; at 0:00 the page posts the submit once (no reload burst: every open
    phone does this at the same second when a round closes)."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.models.types import utcnow

    attempt_id, right = _login_and_start(page, session, quiz_world)
    page.check(f'input[value="{right[1]}"]')
    page.wait_for_selector("#saved-1 >> text=Đã lưu")
    session.rollback()  # a write first: a read snapshot cannot take SQLite's write lock behind the server's
    session.execute(update(Attempt).where(Attempt.id == attempt_id).values(deadline_at=utcnow() + timedelta(seconds=4)))
    session.commit()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url.split('/', 3)[-1]}"))
    page.reload()
    assert page.locator("#last-minute").is_visible()
    shot(page, "last-minute")
    page.wait_for_url(f"**/attempts/{attempt_id}/result", timeout=15_000)
    own = [r for r in requests if f"attempts/{attempt_id}" in r and "static" not in r]
    assert own.count(f"POST attempts/{attempt_id}/submit") == 1
    assert own.count(f"GET attempts/{attempt_id}") == 1  # the reload above, and no other
    session.rollback()
    done = session.get(Attempt, attempt_id)
    assert done.status in ("submitted", "expired") and done.correct_count == 1
