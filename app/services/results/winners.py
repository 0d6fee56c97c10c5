"""The public winners of a sealed round: rank, name, unit and prize only (no phone, birth date or codes), with
the seal digest anyone can check against the published ranked list. Before the seal there is nothing public."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from app.errors import N_, Conflict, NotFound
from app.i18n import translate
from app.models import Contest, Member, Prize, Round, Unit
from app.models.contests import ContestStatus
from app.models.types import is_db_id
from app.services.kit.cards import Line, card_png


@dataclass(frozen=True)
class Winner:
    rank: int
    full_name: str
    unit_code: str
    unit_name: str
    prize: str


@dataclass(frozen=True)
class UnitWinner:
    rank: int
    unit_code: str
    unit_name: str
    prize: str


@dataclass(frozen=True)
class Winners:
    round: Round
    contest: Contest
    sealed_at: datetime
    digest: str
    rows: list[Winner]
    units: list[UnitWinner]


def sealed_round(*, session: Session, round_id: int) -> tuple[Round, Contest]:
    """A round of a published contest, once sealed: unknown (404) before publication, too early (409) before the seal."""
    round_ = session.get(Round, round_id) if is_db_id(round_id) else None
    contest = session.get(Contest, round_.contest_id) if round_ else None
    if round_ is None or contest is None or contest.status == ContestStatus.draft:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    if round_.sealed_at is None or not round_.seal_digest:
        raise Conflict(N_("Kết quả vòng thi chưa được niêm phong nên chưa công bố."))
    return round_, contest


def round_winners(*, session: Session, round_id: int) -> Winners:
    round_, contest = sealed_round(session=session, round_id=round_id)
    people = session.execute(
        select(col(Prize.rank), col(Member.full_name), col(Unit.code), col(Unit.name), col(Prize.tier_name))
        .join(Member, col(Member.id) == col(Prize.member_id))
        .join(Unit, col(Unit.id) == col(Prize.unit_id))
        .where(col(Prize.round_id) == round_id, col(Prize.collective).is_(False))
        .order_by(col(Prize.tier), col(Prize.rank), col(Member.sort_key), col(Member.id))
    ).all()
    collective = session.execute(
        select(col(Prize.rank), col(Unit.code), col(Unit.name), col(Prize.tier_name))
        .join(Unit, col(Unit.id) == col(Prize.unit_id))
        .where(col(Prize.round_id) == round_id, col(Prize.collective).is_(True))
        .order_by(col(Prize.tier), col(Prize.rank), col(Unit.code))
    ).all()
    assert round_.sealed_at is not None and round_.seal_digest is not None
    return Winners(
        round=round_,
        contest=contest,
        sealed_at=round_.sealed_at,
        digest=round_.seal_digest,
        rows=[Winner(*r) for r in people],
        units=[UnitWinner(*r) for r in collective],
    )


def card(*, session: Session, round_id: int, site: str, locale: str = "vi") -> bytes:
    """The Open Graph image of a round's winners: the round, the contest and the first prizes."""
    w = round_winners(session=session, round_id=round_id)
    lines = [Line(w.contest.title, size=30, max_lines=2)]
    lines += [Line(f"{r.prize}: {r.full_name} ({r.unit_name})", size=34, max_lines=1) for r in w.rows[:5]]
    if not w.rows and w.units:
        lines += [Line(f"{u.prize}: {u.unit_name}", size=34, max_lines=1) for u in w.units[:5]]
    return card_png(Line(translate(N_("Kết quả {round}"), locale, round=w.round.title), size=56, bold=True), lines, footer=site)


@dataclass(frozen=True)
class ContestWinners:
    contest: Contest
    rounds: list[Winners]  # every round, all sealed


def contest_winners(*, session: Session, contest_id: int) -> ContestWinners:
    """A contest's winners, round by round, once its last round is sealed (409 before; 404 unpublished)."""
    contest = session.get(Contest, contest_id) if is_db_id(contest_id) else None
    if contest is None or contest.status == ContestStatus.draft:
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    rounds = session.execute(select(Round).where(col(Round.contest_id) == contest_id).order_by(col(Round.position))).scalars().all()
    if not rounds or any(r.sealed_at is None for r in rounds):
        raise Conflict(N_("Kết quả cuộc thi được công bố khi vòng thi cuối cùng đã niêm phong."))
    return ContestWinners(contest=contest, rounds=[round_winners(session=session, round_id=r.id or 0) for r in rounds])
