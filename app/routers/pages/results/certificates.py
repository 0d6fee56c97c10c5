"""Certificates on the pages: a member downloads theirs from the result page (a round's) or their history (a
whole contest's), organisers and judges print a unit's at once, and anyone checks one by the code printed on it
(no login). Rules in app.services.results.certificates."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.deps import PageActor, SessionDep
from app.routers.base import certificate_pdf, make_router, public_base_url
from app.services.contests import contests
from app.services.kit.files import ascii_slug, attachment
from app.services.results import certificates
from app.templating import render

router = make_router()


@router.get("/attempts/{attempt_id}/certificate.pdf")
def my_certificate(request: Request, attempt_id: int, actor: PageActor, session: SessionDep) -> Response:
    return certificate_pdf(certificates.for_attempt(session=session, actor=actor, attempt_id=attempt_id), public_base_url(request))


@router.get("/contests/{contest_id}/certificate.pdf")
def my_contest_certificate(request: Request, contest_id: int, actor: PageActor, session: SessionDep) -> Response:
    return certificate_pdf(certificates.for_contest(session=session, actor=actor, contest_id=contest_id), public_base_url(request))


@router.get("/rounds/{round_id}/certificates.pdf")
def unit_certificates(request: Request, round_id: int, actor: PageActor, session: SessionDep, unit: str = "") -> Response:
    issued = certificates.for_unit(session=session, actor=actor, round_id=round_id, unit_code=unit or None)
    first = issued[0].round if issued else None
    name = f"giay-chung-nhan-{ascii_slug(first.title) if first else round_id}-{ascii_slug(unit or 'tat-ca')}.pdf"
    return Response(
        certificates.pdf_bytes(issued, public_base_url(request)),
        media_type="application/pdf",
        headers={"Content-Disposition": attachment(name), "Cache-Control": "no-store"},
    )


@router.get("/certificates/{code}", response_class=HTMLResponse)
def check_certificate(request: Request, code: str, session: SessionDep) -> HTMLResponse:
    issued = certificates.verify(session=session, code=code)
    return render(
        request,
        "pages/results/certificate.html",
        {"issued": issued, "what": certificates.what_it_certifies(issued), "tz": contests.zone(issued.contest)},
    )
