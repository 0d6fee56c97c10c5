"""What anyone may see without logging in: a sealed round's winners and a certificate checked by its code; the
owner's certificate PDFs (a round's, a whole contest's)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from app.deps import CurrentActor, SessionDep
from app.routers.base import certificate_pdf, make_router, public_base_url
from app.services.contests.contests import zone
from app.services.results import (
    certificates,
    winners,
)
from app.services.results.schemas import (
    CertificateOut,
    ContestRef,
    PublicWinners,
    RoundRef,
    UnitRef,
    UnitWinnerRow,
    WinnerRow,
)

router = make_router(tags=["results"])


@router.get("/rounds/{round_id}/winners", response_model=PublicWinners)
def round_winners(round_id: int, session: SessionDep) -> PublicWinners:
    """Public once the round is sealed (409 before, 404 for a round nobody may see): rank, name, unit and prize
    only, with the seal digest of the whole ranked list."""
    w = winners.round_winners(session=session, round_id=round_id)
    assert w.round.id is not None and w.contest.id is not None
    return PublicWinners(
        round=RoundRef(id=w.round.id, title=w.round.title),
        contest=ContestRef(id=w.contest.id, title=w.contest.title),
        sealed_at=w.sealed_at.astimezone(zone(w.contest)),
        digest=w.digest,
        rows=[
            WinnerRow(rank=r.rank, full_name=r.full_name, unit=UnitRef(code=r.unit_code, name=r.unit_name), prize=r.prize) for r in w.rows
        ],
        units=[UnitWinnerRow(rank=u.rank, unit=UnitRef(code=u.unit_code, name=u.unit_name), prize=u.prize) for u in w.units],
    )


PDF_ANSWER: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "The certificate (PDF)"}}


@router.get("/attempts/{attempt_id}/certificate.pdf", response_class=Response, responses=PDF_ANSWER)
def attempt_certificate(request: Request, attempt_id: int, actor: CurrentActor, session: SessionDep) -> Response:
    """The owner's certificate for the round of this attempt (participation; the prize once the round is sealed),
    once the round is closed; its verification code in X-Certificate-Code."""
    issued = certificates.for_attempt(session=session, actor=actor, attempt_id=attempt_id)
    return certificate_pdf(issued, public_base_url(request))


@router.get("/contests/{contest_id}/certificate.pdf", response_class=Response, responses=PDF_ANSWER)
def contest_certificate(request: Request, contest_id: int, actor: CurrentActor, session: SessionDep) -> Response:
    """The member's own certificate for taking part in the whole contest, once every round is closed (409
    before); 404 without a finished, not disqualified attempt of theirs in it. Its verification code in
    X-Certificate-Code."""
    issued = certificates.for_contest(session=session, actor=actor, contest_id=contest_id)
    return certificate_pdf(issued, public_base_url(request))


@router.get("/certificates/{code}", response_model=CertificateOut)
def certificate(code: str, session: SessionDep) -> CertificateOut:
    """Anyone may check a certificate by the code printed on it (404 for an unknown code); `round` is null for
    a certificate of the whole contest."""
    issued = certificates.verify(session=session, code=code)
    c, r = issued.certificate, issued.round
    assert issued.contest.id is not None
    return CertificateOut(
        code=c.code,
        kind=c.kind,
        full_name=c.full_name,
        unit=UnitRef(code=c.unit_code, name=c.unit_name),
        contest=ContestRef(id=issued.contest.id, title=issued.contest.title),
        round=RoundRef(id=r.id, title=r.title) if r is not None and r.id is not None else None,
        prize=c.prize,
        issued_at=c.issued_at.astimezone(zone(issued.contest)),
    )
