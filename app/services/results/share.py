"""A member's result card to share on Zalo or Facebook: the contest, the round, their score and rank in their
unit, behind a link whose code is signed (nobody reaches another member's card by changing a number). Only
once the round's scores may be seen; nothing private (no phone, birth date or codes)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlmodel import Session

from app.errors import N_, NotFound
from app.i18n import translate
from app.models import Member
from app.security import keyed_hash
from app.services.kit.cards import Line, card_png
from app.services.results import rank_cards, standings
from app.services.results.board_cache import BoardCache
from app.services.results.rank_cards import RankCard
from app.services.results.standings import RoundInfo


@dataclass(frozen=True)
class SharedResult:
    code: str
    full_name: str
    info: RoundInfo
    card: RankCard


def _mac(round_id: int, member_id: int, secret: str) -> str:
    return keyed_hash(f"{round_id}:{member_id}", secret=secret, purpose="share-result")[:20]


def code_for(*, round_id: int, member_id: int, secret: str) -> str:
    return f"{round_id}-{member_id}-{_mac(round_id, member_id, secret)}"


def shared(*, session: Session, code: str, secret: str, cache: BoardCache | None = None) -> SharedResult:
    """The card behind a share code; 404 for a forged code, a round whose scores are hidden, or no result."""
    parts = code.split("-")
    gone = NotFound(N_("Không tìm thấy kết quả được chia sẻ."))
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise gone
    round_id, member_id = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(_mac(round_id, member_id, secret), parts[2]):
        raise gone
    info = standings.any_round_info(session=session, round_id=round_id, cache=cache)
    card = rank_cards.card_of(session=session, info=info, member_id=member_id, cache=cache)
    member = session.get(Member, member_id)
    if card is None or member is None:
        raise gone
    return SharedResult(code=code, full_name=member.full_name, info=info, card=card)


def image(result: SharedResult, *, site: str, locale: str = "vi") -> bytes:
    c = result.card
    t = lambda msgid, **kw: translate(msgid, locale, **kw)  # noqa: E731
    lines = [
        Line(result.full_name, size=44, bold=True, max_lines=1),
        Line(
            t(N_("{score} điểm · hạng {rank}/{total} trong {unit}"), score=c.score, rank=c.unit_rank, total=c.unit_total, unit=c.unit_name),
            size=34,
        ),
        Line(t(N_("Hạng {rank}/{total} toàn cuộc thi"), rank=c.rank, total=c.total), size=30, max_lines=1),
        Line(result.info.contest_title, size=26, max_lines=2),
    ]
    return card_png(Line(result.info.title, size=52, bold=True), lines, footer=site)
