"""Certificates: none before the round closes, participation after, the prize once sealed; the PDF's text in
the administrative layout; public verification by code (unknown and tampered codes are 404)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.factories import api_token, bearer, make_member
from tests.fixtures.results import add, close, seal_first_round
from tests.pagehelpers import page_login


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _two(session, arena):
    t, r = arena.tree, arena.rounds[0]
    first = make_member(session, t.a1, full_name="Nguyễn Thị Ánh Tuyết", phone="0913000001")
    second = make_member(session, t.b1, full_name="Trần Văn Bình", phone="0913000002")
    attempts = [add(session, r, first, score=5), add(session, r, second, score=3)]
    session.commit()
    return first, second, attempts


def test_participation_then_prize_and_public_verification(client, session, results_arena):
    first, second, (a1, a2) = _two(session, results_arena)
    token = api_token(client, first.phone)
    assert client.get(f"/api/v1/attempts/{a1.id}/certificate.pdf", headers=bearer(token)).status_code == 409  # still open
    close(session, results_arena)
    got = client.get(f"/api/v1/attempts/{a1.id}/certificate.pdf", headers=bearer(token))
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    code = got.headers["x-certificate-code"]
    text = _text(got.content)
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "GIẤY CHỨNG NHẬN", "Nguyễn Thị Ánh Tuyết"):
        assert words in text
    assert "Đã tham gia Tuần 1" in text and code in text and "/GCN-BTC" in text and "TM. BAN TỔ CHỨC" in text
    again = client.get(f"/api/v1/attempts/{a1.id}/certificate.pdf", headers=bearer(token))
    assert again.headers["x-certificate-code"] == code  # issued once
    public = client.get(f"/api/v1/certificates/{code}")  # no token
    assert public.status_code == 200
    assert public.json()["kind"] == "participation" and public.json()["full_name"] == "Nguyễn Thị Ánh Tuyết"
    assert public.json()["unit"]["code"] == "CB-A1" and public.json()["round"]["title"] == "Tuần 1"
    assert client.get(f"/api/v1/certificates/{code.lower().replace('-', '')}").status_code == 200  # as typed from paper
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert client.get(f"/api/v1/certificates/{tampered}").status_code == 404
    assert client.get("/api/v1/certificates/KHONG-CO-MA").status_code == 404
    # someone else's attempt is not found
    assert client.get(f"/api/v1/attempts/{a2.id}/certificate.pdf", headers=bearer(token)).status_code == 404


def test_the_prize_certificate_once_sealed(client, session, results_arena):
    first, _second, (a1, _a2) = _two(session, results_arena)
    seal_first_round(session, results_arena, [("Giải Nhất", 1)])
    token = api_token(client, first.phone)
    got = client.get(f"/api/v1/attempts/{a1.id}/certificate.pdf", headers=bearer(token))
    assert got.status_code == 200 and "Đã đạt Giải Nhất Tuần 1" in _text(got.content)
    checked = client.get(f"/api/v1/certificates/{got.headers['x-certificate-code']}").json()
    assert (checked["kind"], checked["prize"]) == ("prize", "Giải Nhất")
    page = client.get(f"/certificates/{checked['code']}")
    assert page.status_code == 200 and "Nguyễn Thị Ánh Tuyết" in page.text and first.phone not in page.text


def test_organisers_print_a_units_certificates(client, session, results_arena):
    _two(session, results_arena)
    close(session, results_arena)
    t = results_arena.tree
    make_member(session, t.a, phone="0913000099", roles=(("organiser", t.a),))
    page_login(client, "0913000099")
    listed = client.get(f"/rounds/{results_arena.rounds[0].id}/participation").text
    assert f'href="/rounds/{results_arena.rounds[0].id}/certificates.pdf?unit=DB-A"' in listed  # where organisers find it
    got = client.get(f"/rounds/{results_arena.rounds[0].id}/certificates.pdf")
    assert got.status_code == 200
    pages = PdfReader(io.BytesIO(got.content)).pages
    assert len(pages) == 1 and "Nguyễn Thị Ánh Tuyết" in pages[0].extract_text()  # B's member is not theirs
    assert client.get(f"/rounds/{results_arena.rounds[0].id}/certificates.pdf?unit=DB-B").status_code == 403
