"""A live game in real Chromium: the host's console and the projector (desktop-size pages) and three phones
(390×844, three members) go through a whole game: join with the PIN, the question on the phones, answers, the
reveal (right or wrong on the phones, the distribution on the screen), the next question, the end and the
results. A phone that reloads comes back to where it was; one without EventSource follows by polling; nothing
scrolls sideways at 360 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models import LiveQuestion
from app.services.live import games
from app.services.live.schemas import LiveGameIn
from tests.fixtures.browser import PHONE, no_horizontal_scroll
from tests.pagehelpers import browser_login

pytestmark = pytest.mark.e2e
LAPTOP = {"width": 1280, "height": 800}
PROJECTOR = {"width": 1600, "height": 900}


def _choice(phone, k: int):
    """The phone's answer button of option k (0 is A)."""
    return phone.locator("#play .live-choice").nth(k)


def test_a_game_with_a_console_a_projector_and_three_phones(session, live_world, open_page, shot):
    qs = live_world.questions
    data = LiveGameIn(title="Rung chuông vàng Chi bộ", scope_unit_code="DB-A", question_ids=[qs[0].id, qs[5].id], seconds_per_question=60)
    game = games.create(session=session, actor=live_world.org, data=data)
    session.commit()

    host = open_page(LAPTOP, mobile=False)
    browser_login(host, live_world.org_phone)
    host.click("#live-link")  # from the organiser's home
    host.click(f"a[href='/live/{game.id}/host']")
    host.wait_for_selector("#lobby:not([hidden])")
    pin = host.inner_text("#pin").replace(" ", "")
    assert pin == game.pin
    screen = open_page(context=host.context)
    screen.set_viewport_size(PROJECTOR)
    screen.goto(f"/live/{game.id}/screen")
    screen.wait_for_selector("#lobby:not([hidden])")
    assert screen.locator("img.live-qr").evaluate("img => img.complete && img.naturalWidth > 0")

    phones = []
    for n, member in enumerate(live_world.players):
        phone = open_page()
        browser_login(phone, member.phone)
        if n == 0:
            phone.click("#live-join-link")  # from the home page, typing the PIN
            phone.fill("#f-pin", pin)
            assert no_horizontal_scroll(phone)
            phone.set_viewport_size(PHONE)
            shot(phone, "join-form")
        else:
            phone.goto(f"/play?pin={pin}")  # from the QR code: the PIN is filled in
            assert phone.input_value("#f-pin") == pin
        phone.click("main button[type=submit]")
        phone.wait_for_url(f"**/live/{game.id}/play")
        phone.wait_for_selector("#play .live-verdict")
        assert "Bạn đã vào trò chơi!" in phone.inner_text("#play")
        phones.append(phone)
    an, binh, chi = phones

    expect(host.locator("#joined")).to_have_text(re.compile(r"^3 "))
    # the count and the names come from two requests of the same poll: wait for the names' answer too
    units = host.locator("#joined-units")
    for text in ("Nguyễn Văn An", "Lê Văn Chí", "Đơn vị CB-A1 (2)"):
        expect(units).to_contain_text(text)
    expect(screen.locator("#joined")).to_have_text(re.compile(r"^3 "))
    assert no_horizontal_scroll(an)
    an.set_viewport_size(PHONE)
    shot(host, "host-lobby")
    shot(screen, "screen-lobby")
    shot(an, "phone-lobby")

    # question 1: one right option; An right, Bình wrong, Chí does not answer
    host.click("#act-next")
    for phone in phones:
        phone.wait_for_selector("#play .live-choice")
        assert "Câu 1?" in phone.inner_text("#play") and phone.inner_text("#progress") == "Câu 1/2"
    left = int(an.inner_text("#left"))
    assert 50 <= left <= 60  # the server's window, counted down here
    screen.wait_for_selector("#now:not([hidden]) #options li")
    assert screen.inner_text("#question") == "Câu 1?"
    shot(screen, "screen-question")
    _choice(an, 0).tap()
    _choice(binh, 1).tap()
    an.wait_for_selector("#got")
    binh.wait_for_selector("#got")
    assert _choice(an, 1).is_disabled()
    shot(host, "host-question")
    shot(an, "phone-answered")
    shot(chi, "phone-question")
    an.reload()  # a phone that reloads finds its answer taken
    an.wait_for_selector("#got")
    assert "Đã nhận câu trả lời" in an.inner_text("#play")

    host.click("#act-reveal")
    an.wait_for_selector("#verdict")
    assert "Chính xác!" in an.inner_text("#verdict") and "Hạng của bạn: 1" in an.inner_text("#verdict")
    binh.wait_for_selector("#verdict")
    assert "Chưa đúng" in binh.inner_text("#verdict") and "bạn chọn" in _choice(binh, 1).inner_text()
    chi.wait_for_selector("#verdict")
    assert "Bạn không trả lời câu này" in chi.inner_text("#verdict")
    assert an.locator("#play .live-choice.right").inner_text().startswith("A")
    screen.wait_for_selector("#options li.right")
    assert "1 người chọn" in screen.inner_text("#options li.right")
    assert screen.locator("#options li.dim").count() == 2
    screen.wait_for_selector("#top-rows tr")
    assert screen.locator("#top-rows tr").first.inner_text().startswith("1")
    assert "Nguyễn Văn An" in screen.locator("#top-rows tr").first.inner_text()
    host.wait_for_selector("#top-rows tr")
    host.wait_for_selector("#unit-rows tr")  # the units of the moment, beside the top 10
    assert host.locator("#unit-rows tr").count() == 2 and "Đơn vị CB-A1" in host.locator("#unit-rows tr").first.inner_text()
    assert no_horizontal_scroll(binh)
    binh.set_viewport_size(PHONE)
    shot(an, "phone-right")
    shot(binh, "phone-wrong")
    shot(screen, "screen-reveal")
    shot(host, "host-reveal")

    # question 2: several right options (A and B), checkboxes and "Gửi"
    host.click("#act-next")
    for phone in phones:
        phone.wait_for_selector("#play #send")
    assert "Câu nhiều đáp án?" in an.inner_text("#play")
    _choice(an, 0).tap()
    _choice(an, 1).tap()
    assert an.locator("#play .live-choice[aria-pressed=true]").count() == 2
    assert no_horizontal_scroll(an)
    an.set_viewport_size(PHONE)
    shot(an, "phone-multiple")
    an.tap("#send")
    _choice(chi, 2).tap()
    chi.tap("#send")
    an.wait_for_selector("#got")
    chi.wait_for_selector("#got")
    host.click("#act-pause")
    expect(an.locator("#left")).to_contain_text("Tạm dừng")
    expect(an.locator("#left")).to_have_text(re.compile(r"Tạm dừng \d+$"))  # the seconds left, frozen
    expect(binh.locator("#left")).to_contain_text("Tạm dừng")
    assert _choice(binh, 0).is_disabled()
    host.click("#act-resume")
    binh.wait_for_selector("#play .live-choice:not([disabled])")
    host.once("dialog", lambda d: d.accept())
    host.click("#act-end")  # ends with the question revealed and judged

    for phone in phones:
        phone.wait_for_selector("#final")
    assert "Bạn xếp hạng 1 với" in an.inner_text("#final")
    assert "Bạn xếp hạng" in chi.inner_text("#final")
    screen.wait_for_selector("#top:not([hidden]) #top-rows tr")
    host.wait_for_selector("#done:not([hidden])")
    assert host.locator("#controls").is_hidden()
    assert host.get_attribute("#xlsx", "href") == f"/live/{game.id}/results.xlsx"
    shot(host, "host-finished")
    shot(screen, "screen-finished")
    shot(an, "phone-finished")

    an.click("#see-results")
    an.wait_for_url(f"**/live/{game.id}/results")
    assert "Hạng 1/3" in an.inner_text("#my-rank")
    assert an.locator("#my-answers").count() == 1 and an.locator("#a2 .badge", has_text="bạn chọn").count() == 2
    assert no_horizontal_scroll(an)
    an.set_viewport_size(PHONE)
    shot(an, "phone-results")


def _key(session, gid: int, index: int) -> tuple[list[int], list[int]]:
    """(right, wrong) option ids of the game's question at `index`, read from the database."""
    session.rollback()
    q = session.exec(select(LiveQuestion).where(LiveQuestion.game_id == gid, LiveQuestion.position == index)).one()
    return list(q.correct_ids), [o["id"] for o in q.options if o["id"] not in q.correct_ids]


def _answer(phone, ids: list[int]) -> None:
    for option_id in ids:
        phone.tap(f"#play .live-choice[data-id='{option_id}']")
    if phone.locator("#send").count():
        phone.tap("#send")
    phone.wait_for_selector("#got")


def test_an_elimination_game_made_and_hosted_on_a_phone_with_a_rescue(session, live_world, open_page, shot):
    org = open_page()  # the organiser makes and hosts the game on a phone
    browser_login(org, live_world.org_phone)
    org.goto("/live")
    assert no_horizontal_scroll(org)
    org.set_viewport_size(PHONE)
    org.fill("#f-title", "Rung chuông vàng")
    org.check("input[name=mode][value=elimination]")
    org.fill("#f-survivors", "1")
    org.locator("select[name=draw_topic_id]").first.select_option(str(live_world.questions[0].topic_id))
    org.locator("input[name=draw_count]").first.fill("3")
    shot(org, "organiser-form")
    org.click("#live-form button[type=submit]")
    org.wait_for_url("**/live/*/host")
    gid = int(org.url.split("/")[-2])
    pin = org.inner_text("#pin").replace(" ", "")
    assert no_horizontal_scroll(org)
    org.set_viewport_size(PHONE)

    an, binh = open_page(), open_page()
    binh.add_init_script("window.EventSource = undefined;")  # a browser without it: GET .../state every 2 s
    for phone, member in ((an, live_world.players[0]), (binh, live_world.players[1])):
        browser_login(phone, member.phone)
        phone.goto(f"/play?pin={pin}")
        phone.click("main button[type=submit]")
        phone.wait_for_selector("#play .live-verdict")
    assert binh.evaluate("typeof window.EventSource") == "undefined"
    expect(org.locator("#joined")).to_have_text(re.compile(r"^2 "))

    org.click("#act-next")  # An right, Bình wrong: Bình is out
    right, wrong = _key(session, gid, 0)
    an.wait_for_selector("#play .live-choice")
    binh.wait_for_selector("#play .live-choice")
    _answer(an, right)
    _answer(binh, wrong[:1])
    org.click("#act-reveal")
    an.wait_for_selector("#verdict")
    binh.wait_for_selector("#verdict")
    assert "Bạn vẫn còn trong cuộc chơi" in an.inner_text("#verdict")
    assert "Bạn đã bị loại" in binh.inner_text("#verdict")
    expect(org.locator("#alive")).to_have_text("Còn lại 1 người trong cuộc chơi")
    shot(binh, "phone-out")
    shot(org, "host-elimination-reveal")

    org.click("#act-rescue-question")  # the next question is for those who are out
    org.wait_for_selector("#act-next:not([hidden])")
    org.click("#act-next")
    right, wrong = _key(session, gid, 1)
    binh.wait_for_selector("#play .live-choice:not([disabled])")
    assert "trả lời đúng để trở lại cuộc chơi" in binh.inner_text("#play")
    an.wait_for_selector("#play .live-choice")
    assert "dành cho người đã bị loại" in an.inner_text("#play") and _choice(an, 0).is_disabled()
    assert org.locator("#rescue-tag").is_visible()
    shot(an, "phone-rescue-not-you")
    _answer(binh, right)
    org.click("#act-reveal")
    binh.wait_for_selector("#verdict")
    assert "Bạn đã trở lại cuộc chơi!" in binh.inner_text("#verdict")
    expect(org.locator("#alive")).to_have_text("Còn lại 2 người trong cuộc chơi")

    org.click("#act-next")  # nobody answers: nobody still in answered right, so nobody goes out
    an.wait_for_selector("#play .live-choice:not([disabled])")
    org.click("#act-reveal")
    an.wait_for_selector("#verdict")
    assert "Bạn không trả lời câu này" in an.inner_text("#verdict") and "Bạn vẫn còn trong cuộc chơi" in an.inner_text("#verdict")
    assert org.inner_text("#act-next") == "Kết thúc và xem kết quả"
    org.click("#act-next")
    an.wait_for_selector("#final")
    binh.wait_for_selector("#final")
    assert "Bạn vẫn còn trong cuộc chơi" in an.inner_text("#final")
    org.wait_for_selector("#done:not([hidden])")
    assert no_horizontal_scroll(org)
    org.set_viewport_size(PHONE)
    shot(org, "host-phone-finished")
    org.click("#done a[href$='/results']")
    org.wait_for_url(f"**/live/{gid}/results")
    assert org.locator("#ranking tbody tr").count() == 2 and "còn trong cuộc chơi" in org.inner_text("#ranking")


def test_a_guest_joins_by_the_form_and_answers(session, live_world, open_page, shot):
    qs = live_world.questions
    data = LiveGameIn(
        title="Đố vui có khách", scope_unit_code="DB-A", question_ids=[qs[0].id, qs[1].id], seconds_per_question=60, allow_guests=True
    )
    game = games.create(session=session, actor=live_world.org, data=data)
    session.commit()
    host = open_page(LAPTOP, mobile=False)
    browser_login(host, live_world.org_phone)
    host.goto(f"/live/{game.id}/host")
    host.wait_for_selector("#lobby:not([hidden])")
    assert "khách không cần tài khoản" in host.inner_text("#guests-rule")
    member = open_page()  # a member beside the guest: ranked apart
    browser_login(member, live_world.players[0].phone)
    member.goto(f"/play?pin={game.pin}")
    member.click("main button[type=submit]")
    member.wait_for_selector("#play .live-verdict")

    guest = open_page()  # not logged in: the QR code's link
    guest.goto(f"/play?pin={game.pin}")
    assert guest.locator("#guest-form").is_visible() and guest.locator("#login-to-play a").is_visible()
    guest.fill("#f-full_name", "Khách Mời Một")
    guest.select_option("#f-unit_code", "CB-A2")
    assert no_horizontal_scroll(guest)
    guest.set_viewport_size(PHONE)
    shot(guest, "guest-form")
    guest.click("#guest-form button[type=submit]")
    guest.wait_for_url(f"**/live/{game.id}/play")
    guest.wait_for_selector("#play .live-verdict")
    assert "Bạn đã vào trò chơi!" in guest.inner_text("#play") and "Khách Mời Một" in guest.inner_text(".live-me")
    expect(host.locator("#joined")).to_have_text(re.compile(r"^2 "))
    expect(host.locator("#joined-units")).to_contain_text("Khách mời (1): Khách Mời Một")

    host.click("#act-next")
    guest.wait_for_selector("#play .live-choice")
    member.wait_for_selector("#play .live-choice")
    assert "Câu 1?" in guest.inner_text("#play")
    _choice(member, 1).tap()  # the member is wrong, the guest right
    _choice(guest, 0).tap()
    guest.wait_for_selector("#got")
    member.wait_for_selector("#got")
    assert no_horizontal_scroll(guest)
    guest.set_viewport_size(PHONE)
    shot(guest, "guest-answered")
    host.click("#act-reveal")
    guest.wait_for_selector("#verdict")
    assert "Chính xác!" in guest.inner_text("#verdict") and "Hạng của bạn: 1" in guest.inner_text("#verdict")
    member.wait_for_selector("#verdict")
    assert "Hạng của bạn: 1" in member.inner_text("#verdict")  # first among the members
    host.wait_for_selector("#top-rows h3")
    assert host.inner_text("#top-rows h3") == "Khách mời" and "Khách Mời Một" in host.locator("#top-rows table").nth(1).inner_text()
    assert "Khách Mời Một" not in host.locator("#top-rows table").first.inner_text()
    assert "CB-A2" not in host.inner_text("#unit-rows")  # the units count members only (the guest said CB-A2)
    shot(guest, "guest-right")
    shot(host, "host-guests")
