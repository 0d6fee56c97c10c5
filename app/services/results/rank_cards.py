"""A member's rank card: "You are 37th of 412 in Chi bộ 3, 1,204th of 8,292 in the union", read from the stored
standings, with what everyone who looks shares (the counts, the unit's name) kept apart in the board cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.models import Standing, Unit
from app.services.org.access import Actor
from app.services.results import board_cache, standings
from app.services.results.board_cache import BoardCache


@dataclass(frozen=True)
class RankCard:
    rank: int
    total: int
    unit_rank: int
    unit_total: int
    unit_name: str
    score: int


def rank_card(*, session: Session, actor: Actor, round_id: int, cache: BoardCache | None = None) -> RankCard | None:
    """ "You are 37th of 412 in Chi bộ 3, 1,204th of 8,292 in the union": None without a counted attempt."""
    info = standings.round_info(session=session, actor=actor, round_id=round_id, cache=cache)
    return card_of(session=session, info=info, member_id=actor.id, cache=cache)


def card_of(*, session: Session, info: standings.RoundInfo, member_id: int, cache: BoardCache | None = None) -> RankCard | None:
    """A member's rank card with no check of who asks (a shared result card): None while scores are hidden."""
    if not standings.scores_visible(info):
        return None
    built = info.standings_built_at
    return board_cache.cached(
        cache, ("card", info.round_id, built, member_id), lambda: _card(session, info.round_id, built, member_id, cache), lasting=True
    )


def _my_rank_statement() -> Any:
    ahead = aliased(Standing)
    in_unit_ahead = (
        select(func.count())
        .select_from(ahead)
        .where(col(ahead.round_id) == Standing.round_id, col(ahead.unit_id) == Standing.unit_id, col(ahead.rank) < Standing.rank)
        .scalar_subquery()
    )
    return select(col(Standing.rank), col(Standing.score), col(Standing.unit_id), in_unit_ahead).where(
        col(Standing.round_id) == bindparam("round_id"), col(Standing.member_id) == bindparam("member_id")
    )


_MY_RANK = _my_rank_statement()  # built once: an aliased subquery costs more to build than to run


def _card(session: Session, round_id: int, built: datetime | None, member_id: int, cache: BoardCache | None) -> RankCard | None:
    """One query for the member (their rank, and how many of their unit rank ahead of them); the counts and
    the unit's name are shared by everyone who looks, so cached apart."""
    mine = session.execute(_MY_RANK, {"round_id": round_id, "member_id": member_id}).first()
    if mine is None:
        return None
    rank, score, unit_id, unit_ahead = mine
    total = board_cache.cached(
        cache,
        ("count", round_id, built),
        lambda: session.execute(select(func.count()).select_from(Standing).where(col(Standing.round_id) == round_id)).scalar_one(),
        lasting=True,
    )

    def unit_facts() -> tuple[int, str]:
        count = session.execute(
            select(func.count()).select_from(Standing).where(col(Standing.round_id) == round_id, Standing.unit_id == unit_id)
        ).scalar_one()
        unit = session.get(Unit, unit_id)
        return int(count), unit.name if unit else ""

    unit_total, unit_name = board_cache.cached(cache, ("unit_count", round_id, built, unit_id), unit_facts, lasting=True)
    return RankCard(rank=rank, total=int(total), unit_rank=int(unit_ahead) + 1, unit_total=unit_total, unit_name=unit_name, score=score)
