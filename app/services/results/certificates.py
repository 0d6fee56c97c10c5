"""Certificates (giấy chứng nhận): a member's for taking part in a closed round, and for their prize once the
round is sealed, and for taking part in a whole contest once all its rounds are closed; as a PDF in the
administrative layout with a verification code and a QR code to the public page that shows who, what and when.
Codes are random (60 bits), so nobody finds another's by guessing."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

import segno
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from sqlalchemy import ColumnElement, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, NotFound
from app.models import Attempt, Certificate, Contest, Member, Prize, Round, Unit
from app.models.contests import ContestStatus, RoundStatus
from app.models.quiz import AttemptStatus
from app.models.types import is_db_id, utcnow
from app.services.contests import contests
from app.services.kit.pdf import SANS, national_heading, prepare
from app.services.kit.text import nfc
from app.services.org.access import Actor
from app.services.results import participation

PARTICIPATION, PRIZE = "participation", "prize"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread from paper
CODE_LENGTH = 12
ISSUER = "BAN TỔ CHỨC CUỘC THI"


@dataclass(frozen=True)
class Issued:
    certificate: Certificate
    contest: Contest
    round: Round | None  # None: the certificate is for the whole contest
    organisation: str  # the contest's scope unit, which issues it
    rounds: tuple[int, int] | None = None  # a contest's: the rounds the member took part in, of all its rounds


def new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise(code: str) -> str:
    """A code as typed or read from paper: case, spaces and dashes do not matter."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def for_attempt(*, session: Session, actor: Actor, attempt_id: int) -> Issued:
    """The member's certificate for the round of their attempt (see _certify)."""
    attempt = session.get(Attempt, attempt_id) if is_db_id(attempt_id) else None
    if attempt is None or attempt.member_id != actor.id:
        raise NotFound(N_("Không tìm thấy lượt thi."))
    return _certify(session, attempt)


def certifiable(round_: Round, attempt: Attempt) -> bool:
    """Whether the attempt earns a certificate: finished, in a closed round, not disqualified by the judges
    (the history page's links and _certify ask the same rule)."""
    return round_.status == RoundStatus.closed and attempt.status != AttemptStatus.in_progress and attempt.disqualified_at is None


def _certify(session: Session, attempt: Attempt) -> Issued:
    """The certificate for the prize when the sealed round gave the member one, else for taking part; issued
    once, then the same certificate (and code) every time. Only for a finished attempt of a closed round that
    the judges did not disqualify."""
    round_ = session.get(Round, attempt.round_id)
    contest = session.get(Contest, round_.contest_id) if round_ else None
    assert round_ is not None and round_.id is not None and contest is not None
    if not certifiable(round_, attempt):
        if round_.status == RoundStatus.closed and attempt.status != AttemptStatus.in_progress:  # disqualified
            raise Conflict(N_("Lượt thi này đã bị ban giám khảo loại nên không được cấp giấy chứng nhận."))
        raise Conflict(N_("Giấy chứng nhận được cấp sau khi vòng thi kết thúc."))
    prize = None
    if round_.sealed_at is not None:
        prize = session.exec(
            select(col(Prize.tier_name)).where(
                col(Prize.round_id) == round_.id, col(Prize.member_id) == attempt.member_id, col(Prize.collective).is_(False)
            )
        ).first()
    kind = PRIZE if prize else PARTICIPATION
    found = _find(session, attempt.member_id, contest, round_.id, kind) or _issue(session, attempt, contest, round_.id, kind, prize)
    return Issued(certificate=found, contest=contest, round=round_, organisation=_organisation(session, contest))


def for_contest(*, session: Session, actor: Actor, contest_id: int) -> Issued:
    """The member's certificate for taking part in a whole contest (at least one finished attempt that the
    judges did not disqualify, in any of its rounds), once every round is closed; issued once, then the same
    certificate every time. Its unit is that of the member's latest counted attempt. A member with no counted
    attempt (none, or only disqualified ones) has nothing to find (404), whether the rounds are closed or not."""
    contest = session.get(Contest, contest_id) if is_db_id(contest_id) else None
    if contest is None or contest.id is None or contest.status == ContestStatus.draft:
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    counted = _counted(session, actor.id, contest.id)
    if not counted:
        raise NotFound(N_("Bạn không có lượt thi nào được tính trong cuộc thi này."))
    rounds = _round_statuses(session, contest.id)
    if any(status != RoundStatus.closed for status in rounds):
        raise Conflict(N_("Giấy chứng nhận cuộc thi được cấp sau khi tất cả các vòng thi kết thúc."))
    found = _find(session, actor.id, contest, None, PARTICIPATION) or _issue(session, counted[0], contest, None, PARTICIPATION, None)
    taken = len({a.round_id for a in counted})
    return Issued(certificate=found, contest=contest, round=None, organisation=_organisation(session, contest), rounds=(taken, len(rounds)))


def contests_certified(*, session: Session, actor: Actor) -> list[Contest]:
    """The contests the member has a certificate for (for_contest): published, every round closed, and at least
    one counted attempt of theirs; newest first."""
    mine = (
        select(Attempt.id)
        .join(Round, col(Round.id) == col(Attempt.round_id))
        .where(*_counts(actor.id), col(Round.contest_id) == Contest.id)
        .exists()
    )
    still_open = select(Round.id).where(col(Round.contest_id) == Contest.id, col(Round.status) != RoundStatus.closed).exists()
    newest = (col(Contest.published_at).desc(), col(Contest.id).desc())
    return list(session.exec(select(Contest).where(col(Contest.status) != ContestStatus.draft, mine, ~still_open).order_by(*newest)).all())


def _counts(member_id: int) -> tuple[ColumnElement[bool], ...]:
    """An attempt of the member's that counts for a contest's certificate: finished, not disqualified."""
    return (
        col(Attempt.member_id) == member_id,
        col(Attempt.status) != AttemptStatus.in_progress,
        col(Attempt.disqualified_at).is_(None),
    )


def _counted(session: Session, member_id: int, contest_id: int) -> list[Attempt]:
    """The member's counted attempts in the contest's rounds, the latest first."""
    latest = (col(Attempt.started_at).desc(), col(Attempt.id).desc())
    in_contest = (
        select(Attempt).join(Round, col(Round.id) == col(Attempt.round_id)).where(*_counts(member_id), col(Round.contest_id) == contest_id)
    )
    return list(session.exec(in_contest.order_by(*latest)).all())


def _round_statuses(session: Session, contest_id: int) -> list[str]:
    return list(session.exec(select(col(Round.status)).where(col(Round.contest_id) == contest_id)).all())


def _organisation(session: Session, contest: Contest) -> str:
    scope = session.get(Unit, contest.scope_unit_id)
    return scope.name if scope else ""


def _find(session: Session, member_id: int, contest: Contest, round_id: int | None, kind: str) -> Certificate | None:
    """The member's certificate of this kind for the round, or for the whole contest (round_id None)."""
    which = col(Certificate.round_id).is_(None) if round_id is None else col(Certificate.round_id) == round_id
    mine = (col(Certificate.member_id) == member_id, col(Certificate.contest_id) == contest.id, which, col(Certificate.kind) == kind)
    return session.exec(select(Certificate).where(*mine)).one_or_none()


def _issue(session: Session, attempt: Attempt, contest: Contest, round_id: int | None, kind: str, prize: str | None) -> Certificate:
    member = session.get(Member, attempt.member_id)
    unit = session.get(Unit, attempt.unit_id)  # where the member took part
    assert member is not None and unit is not None and contest.id is not None
    number = session.exec(select(func.coalesce(func.max(Certificate.number), 0)).where(col(Certificate.contest_id) == contest.id)).one()
    cert = Certificate(
        code=new_code(),
        kind=kind,
        member_id=member.id or 0,
        round_id=round_id,
        contest_id=contest.id,
        full_name=member.full_name,
        unit_code=unit.code,
        unit_name=unit.name,
        prize=prize,
        number=int(number) + 1,
        issued_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(cert)
            session.flush()
    except IntegrityError:  # the same member's other request issued it a moment ago
        found = _find(session, cert.member_id, contest, round_id, kind)
        if found is None:
            raise
        return found
    return cert


def verify(*, session: Session, code: str) -> Issued:
    """Anyone: the certificate with this code, or 404."""
    cert = session.exec(select(Certificate).where(col(Certificate.code) == normalise(code)[:20])).one_or_none()
    if cert is None:
        raise NotFound(N_("Không có giấy chứng nhận nào mang mã này."))
    contest = session.get(Contest, cert.contest_id)
    assert contest is not None and contest.id is not None
    organisation = _organisation(session, contest)
    if cert.round_id is None:
        taken = len({a.round_id for a in _counted(session, cert.member_id, contest.id)})
        rounds = (taken, len(_round_statuses(session, contest.id)))
        return Issued(certificate=cert, contest=contest, round=None, organisation=organisation, rounds=rounds)
    round_ = session.get(Round, cert.round_id)
    assert round_ is not None
    return Issued(certificate=cert, contest=contest, round=round_, organisation=organisation)


def what_it_certifies(issued: Issued) -> str:
    c = issued.certificate
    if issued.round is None:
        taken, total = issued.rounds or (0, 0)
        return f"Đã tham gia cuộc thi ({taken}/{total} vòng thi)"
    if c.kind == PRIZE:
        return f"Đã đạt {c.prize} {issued.round.title}"
    return f"Đã tham gia {issued.round.title}"


def _page(pdf: FPDF, issued: Issued, verify_url: str) -> None:
    c, tz = issued.certificate, contests.zone(issued.contest)
    day = c.issued_at.astimezone(tz)
    pdf.add_page()
    national_heading(
        pdf,
        organisation=issued.organisation,
        issuer=ISSUER,
        place_date=f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
        number=f"Số: {c.number}/GCN-BTC",
    )
    pdf.ln(6)
    pdf.set_font(SANS, "B", 22)
    pdf.cell(0, 12, "GIẤY CHỨNG NHẬN", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 12)
    pdf.multi_cell(0, 7, nfc(f"Ban Tổ chức {issued.contest.title} chứng nhận:"), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(SANS, "B", 18)
    pdf.multi_cell(0, 10, nfc(f"Đồng chí {c.full_name}"), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 12)
    pdf.multi_cell(0, 7, nfc(f"Đơn vị: {c.unit_name}"), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(SANS, "B", 14)
    pdf.multi_cell(0, 8, nfc(what_it_certifies(issued)), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 11)
    pdf.multi_cell(0, 6, nfc(issued.contest.title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y() + 10
    # the board signs on the right; the verification code and its QR code on the left
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=4, border=1)
    qr.seek(0)
    pdf.image(qr, x=pdf.l_margin, y=top, w=32, h=32)
    pdf.set_xy(pdf.l_margin, top + 34)
    pdf.set_font(SANS, "", 8.5)
    pdf.multi_cell(70, 4.5, nfc(f"Mã xác minh: {c.code}\n{verify_url}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin + pdf.epw / 2, top)
    pdf.set_font(SANS, "B", 11)
    pdf.multi_cell(pdf.epw / 2, 6, "TM. BAN TỔ CHỨC\nTRƯỞNG BAN", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(SANS, "", 9)
    pdf.multi_cell(pdf.epw / 2, 5, "(Ký, ghi rõ họ tên, đóng dấu)", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)


def write_pdf(certificates: Iterable[Issued], verify_base: str, fh: BinaryIO) -> int:
    """One page per certificate; returns how many."""
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    prepare(pdf, title="Giấy chứng nhận", author=ISSUER)
    pdf.set_auto_page_break(False)
    n = 0
    for issued in certificates:
        _page(pdf, issued, f"{verify_base.rstrip('/')}/certificates/{issued.certificate.code}")
        n += 1
    pdf.output(fh)
    return n


def for_unit(*, session: Session, actor: Actor, round_id: int, unit_code: str | None = None) -> list[Issued]:
    """Every certificate of the members of a unit's subtree who took part in a closed round (issued now where
    not yet), for the unit's organisers and judges to print at once; in unit then name order."""
    place = participation.reach(session=session, actor=actor, round_id=round_id, unit_code=unit_code)
    if place.info.status != RoundStatus.closed:
        raise Conflict(N_("Giấy chứng nhận được cấp sau khi vòng thi kết thúc."))
    counted = session.exec(
        select(Attempt)
        .join(Unit, col(Unit.id) == col(Attempt.unit_id))
        .join(Member, col(Member.id) == col(Attempt.member_id))
        .where(
            col(Attempt.round_id) == round_id,
            col(Attempt.status) != AttemptStatus.in_progress,
            col(Attempt.disqualified_at).is_(None),
            col(Unit.path).startswith(place.unit_path, autoescape=True),
        )
        .order_by(col(Unit.path), col(Member.sort_key), col(Attempt.member_id), col(Attempt.number))
    ).all()
    seen: set[int] = set()
    out = []
    for attempt in counted:
        if attempt.member_id in seen:
            continue
        seen.add(attempt.member_id)
        out.append(_certify(session, attempt))
    return out


def pdf_bytes(certificates: Iterable[Issued], verify_base: str) -> bytes:
    buffer = io.BytesIO()
    write_pdf(certificates, verify_base, buffer)
    return buffer.getvalue()
