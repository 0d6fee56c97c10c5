"""Who has taken part in a round and who has not, per unit subtree, live while the round is open.

A member takes part with an attempt that is no longer in progress (handed in, or finalised when its time ran
out). The figures are those of the members the tree holds now: a member moved to another cell counts in
their new cell, a deactivated member counts nowhere. Every unit's figures are its whole subtree's, as in the
unit standings. Organisers of the unit and judges see it; members never do.

Per-unit counts are stored and kept in step with every change (tally.py): a page reads a union as its units,
not its members, and keeps what it read in the board cache for a few seconds (docs/performance.md#participation)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import Exists, Select, exists, select
from sqlmodel import Session, col
from sqlmodel import select as sm_select  # typed for a whole table model

from app.errors import N_, Invalid, NotFound
from app.i18n import translate
from app.models import Attempt, Member, Unit
from app.models.quiz import AttemptStatus
from app.models.types import utcnow
from app.services.kit.files import XLSX, ExportFile, ascii_slug, temp_file
from app.services.kit.sheets import Column, Part, Report, translated, write_xlsx
from app.services.org import units
from app.services.org.access import JUDGE, MANAGE, Actor
from app.services.results import standings, tally
from app.services.results.board_cache import BoardCache
from app.services.results.standings import RoundInfo

SEES = (*MANAGE, *JUDGE)  # organisers (and admins) of the unit, and judges
MAX_PAGE = 500


@dataclass(frozen=True)
class UnitTurnout:
    unit_id: int
    parent_id: int | None
    code: str
    name: str
    headcount: int  # declared headcount of the subtree
    members: int  # active member accounts in the subtree
    participants: int  # of those, how many took part

    @property
    def missing(self) -> int:
        return self.members - self.participants

    @property
    def rate(self) -> float | None:
        """Participants over the declared headcount (as the unit standings), or over the accounts when no
        headcount is declared."""
        base = self.headcount or self.members
        return round(self.participants / base, 4) if base else None


@dataclass(frozen=True)
class MissingMember:
    id: int
    full_name: str
    phone: str
    unit_code: str
    unit_name: str


@dataclass(frozen=True)
class Place:
    """The round (as the boards keep it) and the unit whose turnout is asked for: cheap to keep in the cache."""

    info: RoundInfo
    unit_id: int
    unit_code: str
    unit_name: str
    unit_path: str


@dataclass(frozen=True)
class Turnout:
    place: Place
    unit: UnitTurnout
    children: list[UnitTurnout]


def _unit(session: Session, cache: BoardCache | None, *, code: str | None = None, path: str | None = None) -> tuple[int, str, str, str]:
    """(id, code, name, path) of a unit by its code or its path, kept in the board cache."""

    def make() -> tuple[int, str, str, str]:
        found = units.get_by_code(session=session, code=code) if code else session.exec(sm_select(Unit).where(col(Unit.path) == path)).one()
        assert found.id is not None
        return found.id, found.code, found.name, found.path

    key = ("unit-code", code.upper()) if code else ("unit-path", path)
    return cache.get_or(key, make, lasting=True) if cache is not None else make()


def reach(*, session: Session, actor: Actor, round_id: int, unit_code: str | None, cache: BoardCache | None = None) -> Place:
    """The round and the unit asked for: the actor's widest unit inside the contest's scope, or the one named.
    Outside the actor's reach the round does not exist for them."""
    info = standings.any_round_info(session=session, round_id=round_id, cache=cache)
    scope = info.scope_path
    paths = [p for p in actor.paths(SEES) if p.startswith(scope) or scope.startswith(p)]
    if not paths:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    if unit_code:
        uid, code, name, path = _unit(session, cache, code=unit_code)
        if not path.startswith(scope):
            raise NotFound(N_("Đơn vị {code} không thuộc phạm vi cuộc thi."), code=code)
        actor.require_path(path, code, SEES)
        return Place(info, uid, code, name, path)
    if actor.covers_path(scope, SEES):
        return Place(info, info.scope_id, info.scope_code, info.scope_name, scope)
    uid, code, name, path = _unit(session, cache, path=min((p for p in paths if p.startswith(scope)), key=len))
    return Place(info, uid, code, name, path)


def took_part(round_id: int) -> Exists:
    """EXISTS an attempt of the member in the round that is no longer in progress."""
    return exists().where(
        col(Attempt.member_id) == col(Member.id),
        col(Attempt.round_id) == round_id,
        col(Attempt.status) != AttemptStatus.in_progress,
    )


def _direct(session: Session, round_id: int, root_path: str, cache: BoardCache | None) -> dict[int, tuple[int, int]]:
    """(members, participants) of each unit of the subtree, its own members only (the stored counts)."""
    if cache is None:
        return tally.direct(session, round_id, root_path)
    return cache.get_or(("turnout-direct", round_id, root_path), lambda: tally.direct(session, round_id, root_path))


def _units_in_order(session: Session, root_path: str, cache: BoardCache | None) -> list[int]:
    """The subtree's unit ids in the order of the missing list (by path, as the database orders it)."""

    def make() -> list[int]:
        stmt = select(col(Unit.id)).where(col(Unit.path).startswith(root_path, autoescape=True)).order_by(col(Unit.path))
        return [int(uid) for uid in session.execute(stmt).scalars()]

    return cache.get_or(("unit-order", root_path), make) if cache is not None else make()


def subtree_rows(*, session: Session, round_id: int, root_path: str) -> dict[int, UnitTurnout]:
    """Every unit of a subtree with its subtree's figures in a round, read now (reports)."""
    return _subtree_rows(session, round_id, root_path, None)


def _subtree_rows(session: Session, round_id: int, root_path: str, cache: BoardCache | None) -> dict[int, UnitTurnout]:
    """Every unit of the subtree at root_path with its subtree's figures, by id."""

    def make() -> dict[int, UnitTurnout]:
        columns = (col(Unit.id), col(Unit.parent_id), col(Unit.code), col(Unit.name), col(Unit.path), col(Unit.headcount))
        tree = session.execute(select(*columns).where(col(Unit.path).startswith(root_path, autoescape=True))).all()  # rows, not objects
        direct = _direct(session, round_id, root_path, cache)
        members = units.subtree_totals((u.path, direct.get(u.id or 0, (0, 0))[0]) for u in tree)
        took = units.subtree_totals((u.path, direct.get(u.id or 0, (0, 0))[1]) for u in tree)
        heads = units.subtree_totals((u.path, u.headcount or 0) for u in tree)
        return {
            u.id: UnitTurnout(u.id, u.parent_id, u.code, u.name, heads.get(u.id, 0), members.get(u.id, 0), took.get(u.id, 0))
            for u in tree
            if u.id is not None
        }

    if cache is None:
        return make()
    return cache.get_or(("turnout", round_id, root_path), make)


SORTS = {
    "rate": lambda u: (u.rate if u.rate is not None else 2.0, u.name),  # lowest turnout first: who to call
    "missing": lambda u: (-u.missing, u.name),
    "name": lambda u: (u.name.casefold(), u.code),
}


def check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise Invalid(N_("Cách sắp xếp không hợp lệ: {sort}."), field="sort", sort=sort)


def turnout(
    *, session: Session, actor: Actor, round_id: int, unit_code: str | None = None, sort: str = "rate", cache: BoardCache | None = None
) -> Turnout:
    """The unit's figures and its child units', sorted (`rate`, `missing` or `name`)."""
    check_sort(sort)
    place = reach(session=session, actor=actor, round_id=round_id, unit_code=unit_code, cache=cache)
    return turnout_at(session=session, place=place, sort=sort, cache=cache)


def turnout_at(*, session: Session, place: Place, sort: str = "rate", cache: BoardCache | None = None) -> Turnout:
    rows = _subtree_rows(session, place.info.round_id, place.unit_path, cache)
    children = sorted((r for r in rows.values() if r.parent_id == place.unit_id), key=SORTS[sort])
    return Turnout(place=place, unit=rows[place.unit_id], children=children)


def _missing_query(round_id: int, unit_path: str, unit_ids: list[int] | None = None) -> Select[int | None, str, str, str, str]:
    where = col(Unit.path).startswith(unit_path, autoescape=True) if unit_ids is None else col(Member.unit_id).in_(unit_ids)
    return (
        select(col(Member.id), col(Member.full_name), col(Member.phone), col(Unit.code), col(Unit.name))
        .join(Unit, col(Unit.id) == col(Member.unit_id))
        .where(col(Member.active).is_(True), where, ~took_part(round_id))
        .order_by(col(Unit.path), col(Member.sort_key), col(Member.id))
    )


def _page_units(order: list[int], direct: dict[int, tuple[int, int]], offset: int, limit: int) -> tuple[list[int], int]:
    """The units that hold rows offset .. offset + limit of the missing list, from each unit's stored counts,
    and how many of the first one's to skip: a page reads those units' members, not the whole subtree's."""
    chosen: list[int] = []
    skip, need = offset, limit
    for uid in order:
        members, took = direct.get(uid, (0, 0))
        missing = members - took
        if missing <= 0:
            continue
        if not chosen and skip >= missing:
            skip -= missing
            continue
        need -= missing - (skip if not chosen else 0)
        chosen.append(uid)
        if need <= 0:
            break
    return chosen, skip


def missing(
    *,
    session: Session,
    actor: Actor,
    round_id: int,
    unit_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
    cache: BoardCache | None = None,
) -> list[MissingMember]:
    """One page of the members of the unit's subtree who have not taken part, by unit then name."""
    place = reach(session=session, actor=actor, round_id=round_id, unit_code=unit_code, cache=cache)
    return missing_at(session=session, place=place, limit=limit, offset=offset, cache=cache)


def missing_at(*, session: Session, place: Place, limit: int = 50, offset: int = 0, cache: BoardCache | None = None) -> list[MissingMember]:
    limit, offset = min(max(limit, 1), MAX_PAGE), max(offset, 0)
    round_id = place.info.round_id

    def make() -> list[MissingMember]:
        order = _units_in_order(session, place.unit_path, cache)
        unit_ids, skip = _page_units(order, _direct(session, round_id, place.unit_path, cache), offset, limit)
        if not unit_ids:
            return []
        stmt = _missing_query(round_id, place.unit_path, unit_ids).limit(limit).offset(skip)
        return [MissingMember(*row) for row in session.execute(stmt)]

    if cache is None:
        return make()
    return cache.get_or(("missing", place.info.round_id, place.unit_path, limit, offset), make)


def all_missing(*, session: Session, round_id: int, unit_path: str) -> Iterator[MissingMember]:
    """Every member of the subtree who has not taken part (for the XLSX), streamed."""
    for row in session.execute(_missing_query(round_id, unit_path).execution_options(yield_per=1000)):
        yield MissingMember(*row)


def _units_part(rows: dict[int, UnitTurnout], root_id: int) -> Part:
    columns = [
        Column(N_("Mã đơn vị"), 12),
        Column(N_("Đơn vị"), 36),
        Column(N_("Biên chế khai báo"), 12, "int"),
        Column(N_("Tài khoản"), 12, "int"),
        Column(N_("Đã tham gia"), 12, "int"),
        Column(N_("Chưa tham gia"), 12, "int"),
        Column(N_("Tỉ lệ tham gia"), 12, "percent"),
    ]
    ordered = sorted(rows.values(), key=lambda u: (u.unit_id != root_id, u.code))
    return Part(N_("Theo đơn vị"), columns, [(u.code, u.name, u.headcount, u.members, u.participants, u.missing, u.rate) for u in ordered])


def _missing_part(session: Session, round_id: int, unit_path: str) -> Part:
    columns = [Column(N_("Họ và tên"), 28), Column(N_("Số điện thoại"), 14), Column(N_("Mã đơn vị"), 12), Column(N_("Đơn vị"), 36)]
    rows = ((m.full_name, m.phone, m.unit_code, m.unit_name) for m in all_missing(session=session, round_id=round_id, unit_path=unit_path))
    return Part(N_("Chưa tham gia"), columns, rows)


def export(*, session: Session, actor: Actor, round_id: int, unit_code: str | None = None, locale: str = "vi") -> ExportFile:
    """The XLSX of who has not taken part (every member, not a page) and the figures of every unit of the subtree."""
    place = reach(session=session, actor=actor, round_id=round_id, unit_code=unit_code)
    info = place.info
    tz = ZoneInfo(info.timezone)
    rows = _subtree_rows(session, info.round_id, place.unit_path, None)
    display = translate(N_("Chưa tham gia {round} - {unit}.xlsx"), locale, round=info.title, unit=place.unit_name)
    name = f"chua-tham-gia-{ascii_slug(info.title)}-{ascii_slug(place.unit_code)}.xlsx"
    notes = [
        translate(N_("Cuộc thi: {title}"), locale, title=info.contest_title),
        translate(N_("Vòng thi: {title}"), locale, title=info.title),
        translate(N_("Phạm vi: {unit}"), locale, unit=f"{place.unit_code} — {place.unit_name}"),
        translate(N_("Xuất lúc: {at}"), locale, at=utcnow().astimezone(tz).strftime("%d/%m/%Y %H:%M:%S")),
        translate(N_("Đã tham gia: có lượt thi đã nộp hoặc đã hết giờ. Số liệu theo đơn vị hiện tại của từng người."), locale),
    ]

    def write(fh: BinaryIO) -> None:
        parts = [
            translated(_missing_part(session, info.round_id, place.unit_path), locale),
            translated(_units_part(rows, place.unit_id), locale),
        ]
        write_xlsx(Report(title=display, parts=parts, tz=tz, note_lines=notes), fh)

    return ExportFile(path=temp_file(".xlsx", write), filename=name, display_name=display, media_type=XLSX)
