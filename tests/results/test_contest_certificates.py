"""A whole contest's certificate: for a member with at least one finished, not disqualified attempt in any of
its rounds, once every round is closed (409 before); "Đã tham gia cuộc thi (n/m vòng thi)", numbered in the
contest's sequence with the rounds' certificates, issued once, in the unit of the latest counted attempt;
verified by its code with `round: null`. A member with no counted attempt (none at all, or only disqualified
ones) gets 404, whether the rounds are closed or not: there is nothing of theirs to certify."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.models import Certificate
from app.models.types import utcnow
from app.services.results import certificates
from tests.factories import api_token, bearer, make_member
from tests.fixtures.results import add, close
from tests.pagehelpers import page_login


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _close_all(session, arena) -> None:
    """Week 1 by the closing service; week 2 (whose times are still to come) marked closed."""
    close(session, arena)
    arena.rounds[1].status = "closed"
    session.add(arena.rounds[1])
    session.commit()


def _url(arena) -> str:
    return f"/api/v1/contests/{arena.contest.id}/certificate.pdf"


def test_the_contest_certificate_once_every_round_is_closed(client, session, results_arena):
    t, (r1, r2) = results_arena.tree, results_arena.rounds
    once = make_member(session, t.a1, full_name="Nguyễn Thị Ánh Tuyết", phone="0916000001")
    twice = make_member(session, t.b1, full_name="Trần Văn Bình", phone="0916000002")
    mine = add(session, r1, once, score=5)
    add(session, r1, twice, score=3)
    add(session, r2, twice, score=4)
    session.commit()
    token = api_token(client, once.phone)
    assert client.get(_url(results_arena), headers=bearer(token)).status_code == 409  # both rounds still open
    close(session, results_arena)
    still = client.get(_url(results_arena), headers=bearer(token))
    assert still.status_code == 409 and "tất cả các vòng thi" in still.json()["detail"]  # week 2 still open
    round_code = client.get(f"/api/v1/attempts/{mine.id}/certificate.pdf", headers=bearer(token)).headers["x-certificate-code"]
    results_arena.rounds[1].status = "closed"
    session.add(results_arena.rounds[1])
    session.commit()
    got = client.get(_url(results_arena), headers=bearer(token))
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    code = got.headers["x-certificate-code"]
    text = _text(got.content)
    assert "GIẤY CHỨNG NHẬN" in text and "Nguyễn Thị Ánh Tuyết" in text and results_arena.contest.title in text
    assert "Đã tham gia cuộc thi (1/2 vòng thi)" in text and code in text and code != round_code
    assert "Số: 2/GCN-BTC" in text  # after the round's certificate, in the contest's one sequence
    again = client.get(_url(results_arena), headers=bearer(token))
    assert again.headers["x-certificate-code"] == code  # issued once
    stored = session.exec(select(Certificate).where(Certificate.member_id == once.id, Certificate.round_id.is_(None))).all()
    assert [(c.code, c.number, c.kind) for c in stored] == [(code, 2, "participation")]
    both = client.get(_url(results_arena), headers=bearer(api_token(client, twice.phone)))
    assert both.status_code == 200 and "Đã tham gia cuộc thi (2/2 vòng thi)" in _text(both.content)
    assert both.headers["x-certificate-code"] != code


def test_anyone_verifies_it_with_round_null(client, session, results_arena):
    t, r1 = results_arena.tree, results_arena.rounds[0]
    me = make_member(session, t.a1, full_name="Lê Thị Hồng", phone="0916000011")
    add(session, r1, me, score=2)
    session.commit()
    _close_all(session, results_arena)
    code = client.get(_url(results_arena), headers=bearer(api_token(client, me.phone))).headers["x-certificate-code"]
    checked = client.get(f"/api/v1/certificates/{code.lower().replace('-', ' ')}")  # no token; as typed from paper
    assert checked.status_code == 200
    body = checked.json()
    assert body["round"] is None and body["kind"] == "participation" and body["prize"] is None
    assert body["contest"] == {"id": results_arena.contest.id, "title": results_arena.contest.title}
    assert body["full_name"] == "Lê Thị Hồng" and body["unit"]["code"] == "CB-A1" and body["code"] == code
    page = client.get(f"/certificates/{code}")
    assert page.status_code == 200 and "Lê Thị Hồng" in page.text and me.phone not in page.text
    assert "Đã tham gia cuộc thi (1/2 vòng thi)" in page.text and results_arena.contest.title in page.text


def test_its_unit_is_that_of_the_latest_counted_attempt(client, session, results_arena):
    t, (r1, r2) = results_arena.tree, results_arena.rounds
    mover = make_member(session, t.a1, full_name="Phạm Văn Di", phone="0916000021")
    add(session, r1, mover, score=3)  # in A1
    mover.unit_id = t.b1.id
    session.add(mover)
    session.flush()
    add(session, r2, mover, score=4, at_s=86400)  # a day later, in B1
    stayer = make_member(session, t.a2, full_name="Đỗ Thị Em", phone="0916000022")
    add(session, r1, stayer, score=3)  # in A2
    stayer.unit_id = t.b1.id
    session.add(stayer)
    session.flush()
    add(session, r2, stayer, score=4, at_s=86400).disqualified_at = utcnow()  # in B1, but it does not count
    session.commit()
    _close_all(session, results_arena)
    for who, unit, taken in ((mover, "CB-B1", "2/2"), (stayer, "CB-A2", "1/2")):
        got = client.get(_url(results_arena), headers=bearer(api_token(client, who.phone)))
        assert got.status_code == 200 and f"({taken} vòng thi)" in _text(got.content)
        checked = client.get(f"/api/v1/certificates/{got.headers['x-certificate-code']}").json()
        assert checked["unit"]["code"] == unit and checked["round"] is None


def test_nothing_for_those_without_a_counted_attempt(client, session, results_arena):
    """404 (not 409) for a member who did not take part, and for one whose only attempt was disqualified: the
    same answer before and after the rounds close, as for anything of someone else's. 404 for an unknown
    contest and for one still in draft."""
    t, r1 = results_arena.tree, results_arena.rounds[0]
    taker = make_member(session, t.a1, phone="0916000031")
    outsider = make_member(session, t.b1, phone="0916000032")
    cheat = make_member(session, t.a2, phone="0916000033")
    add(session, r1, taker, score=5)
    add(session, r1, cheat, score=5).disqualified_at = utcnow()
    session.commit()
    tokens = {m.phone: api_token(client, m.phone) for m in (taker, outsider, cheat)}
    for phone in (outsider.phone, cheat.phone):
        assert client.get(_url(results_arena), headers=bearer(tokens[phone])).status_code == 404  # rounds open
    _close_all(session, results_arena)
    for phone in (outsider.phone, cheat.phone):
        assert client.get(_url(results_arena), headers=bearer(tokens[phone])).status_code == 404
    assert client.get(_url(results_arena), headers=bearer(tokens[taker.phone])).status_code == 200
    assert client.get("/api/v1/contests/987654/certificate.pdf", headers=bearer(tokens[taker.phone])).status_code == 404
    assert client.get(_url(results_arena)).status_code == 401  # the member's own: log in first
    results_arena.contest.status = "draft"
    session.add(results_arena.contest)
    session.commit()
    assert client.get(_url(results_arena), headers=bearer(tokens[taker.phone])).status_code == 404


def test_history_links_it_and_the_page_downloads_it(client, session, results_arena):
    t, r1 = results_arena.tree, results_arena.rounds[0]
    me = make_member(session, t.a1, full_name="Vũ Minh Châu", phone="0916000041")
    add(session, r1, me, score=5)
    other = make_member(session, t.b1, phone="0916000042")
    session.commit()
    link = f'href="/contests/{results_arena.contest.id}/certificate.pdf"'
    page_login(client, me.phone)
    assert link not in client.get("/me/history").text  # week 2 still open
    assert client.get(f"/contests/{results_arena.contest.id}/certificate.pdf").status_code == 409
    _close_all(session, results_arena)
    history = client.get("/me/history").text
    assert link in history and 'id="history-contests"' in history and "Giấy chứng nhận cuộc thi" in history
    got = client.get(f"/contests/{results_arena.contest.id}/certificate.pdf")
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert "Vũ Minh Châu" in _text(got.content) and got.headers["x-certificate-code"] in _text(got.content)
    client.cookies.clear()
    page_login(client, other.phone)
    assert link not in client.get("/me/history").text  # took part in nothing
    assert client.get(f"/contests/{results_arena.contest.id}/certificate.pdf").status_code == 404


def test_one_contest_certificate_per_member_whatever_the_race(session, results_arena):
    """The partial unique index holds where the (member, round, kind) constraint cannot (NULL rounds): a second
    issue of the same member's contest certificate finds the first."""
    me = make_member(session, results_arena.tree.a1, phone="0916000051")
    attempt = add(session, results_arena.rounds[0], me, score=1)
    session.commit()
    first = certificates._issue(session, attempt, results_arena.contest, None, certificates.PARTICIPATION, None)
    second = certificates._issue(session, attempt, results_arena.contest, None, certificates.PARTICIPATION, None)
    assert second.id == first.id and second.code == first.code
    duplicate = Certificate(**{**first.model_dump(exclude={"id"}), "code": certificates.new_code()})
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(duplicate)
        session.flush()
