"""One member-import row on its own (field checks, no database) and what the database knows about a
whole file's values, in a few IN queries per chunk of rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.errors import N_
from app.models import Member, Unit
from app.services.kit.tables import parse_date
from app.services.kit.text import clean
from app.services.org.member_file import SCIENTIFIC, RawRow
from app.services.org.members import clean_fields, id_number_hash
from app.services.org.units import normalise_code

CHUNK = 500


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load(session: Session, column: Any, values: set[Any], *entities: Any) -> list[Any]:
    out: list[Any] = []
    for chunk in chunks(sorted(v for v in values if v)):
        out.extend(session.exec(select(*entities).where(col(column).in_(chunk))).all())
    return out


@dataclass
class Checked:
    raw: RawRow
    full_name: str
    phone: str
    member_code: str
    birth_date: date | None
    unit_code: str
    id_number: str | None
    password: str | None
    bad: set[str]  # fields that already have an error


@dataclass
class Known:
    units: dict[str, Unit]  # by code
    by_phone: dict[str, Member]
    by_code: dict[str, Member]
    code_is_phone: dict[str, Member]  # a member code of the file that is some account's phone
    phone_is_code: dict[str, Member]  # a phone of the file that is some account's member code
    hashes: dict[int, str]  # row -> CCCD hash
    hash_owner: dict[str, int]  # CCCD hash -> member id
    member_units: dict[int, Unit]  # by id: the rows' units and the units of the members they match


def lookups(session: Session, checked: list[Checked], secret: str) -> Known:
    """What the database knows about the file's values, in a few IN queries per 500 rows."""
    units = {u.code: u for u in load(session, Unit.code, {c.unit_code for c in checked}, Unit)}
    by_phone, by_code, code_is_phone, phone_is_code = _members(session, {c.phone for c in checked}, {c.member_code for c in checked})
    hashes, hash_owner = _id_hashes(session, checked, secret)
    member_units = _member_units(session, units, [*by_phone.values(), *by_code.values()])
    return Known(units, by_phone, by_code, code_is_phone, phone_is_code, hashes, hash_owner, member_units)


def _members(
    session: Session, phones: set[str], codes: set[str]
) -> tuple[dict[str, Member], dict[str, Member], dict[str, Member], dict[str, Member]]:
    """The members by the file's phones and by its codes, and the crossings: a code that is an account's
    phone, a phone that is one's code."""
    # one pass per column finds both the matches and the crossings
    digit_codes = {c for c in codes if c.isdigit()}
    found_by_phone = load(session, Member.phone, phones | digit_codes, Member)
    found_by_code = load(session, Member.member_code, codes | phones, Member)
    by_phone = {m.phone: m for m in found_by_phone if m.phone in phones}
    by_code = {m.member_code: m for m in found_by_code if m.member_code in codes}
    code_is_phone = {m.phone: m for m in found_by_phone if m.phone in digit_codes}
    phone_is_code = {m.member_code: m for m in found_by_code if m.member_code in phones}
    return by_phone, by_code, code_is_phone, phone_is_code


def _id_hashes(session: Session, checked: list[Checked], secret: str) -> tuple[dict[int, str], dict[str, int]]:
    """Each row's CCCD hash, and the member each known hash belongs to."""
    hashes = {c.raw.row: id_number_hash(c.id_number, secret=secret) for c in checked if c.id_number}
    hash_owner = dict(load(session, Member.id_number_hash, set(hashes.values()), Member.id_number_hash, Member.id))
    return hashes, hash_owner


def _member_units(session: Session, units: dict[str, Unit], members: list[Member]) -> dict[int, Unit]:
    """The rows' units and the units of the members they match, by id; the rows' units are not loaded twice."""
    unit_ids = {m.unit_id for m in members} - {u.id for u in units.values()}
    member_units = {u.id: u for u in load(session, Unit.id, unit_ids, Unit)}
    member_units.update({u.id: u for u in units.values()})
    return member_units


def crossed(
    c: Checked,
    member: Member | None,
    known: Known,
    first_phone: dict[str, int],
    first_code: dict[str, int],
    usable: set[str],
    err: Callable[..., None],
) -> None:
    """A member code that is some account's (or row's) phone, or a phone that is one's code: a login by that
    name would be ambiguous."""
    row = c.raw.row
    other = known.code_is_phone.get(c.member_code) if "member_code" in usable else None
    if (other is not None and (member is None or other.id != member.id)) or (
        "member_code" in usable and first_phone.get(c.member_code, row) != row
    ):
        err(row, "member_code", N_("Mã {value} trùng số điện thoại của tài khoản khác."), value=c.member_code)
    other = known.phone_is_code.get(c.phone) if "phone" in usable else None
    if (other is not None and (member is None or other.id != member.id)) or ("phone" in usable and first_code.get(c.phone, row) != row):
        err(row, "phone", N_("Số điện thoại {value} trùng mã của tài khoản khác."), value=c.phone)


def check_row(raw: RawRow, err: Callable[..., None]) -> Checked:
    """The problems of one row on its own (no database): the field checks of members.clean_fields, plus the
    import's own cells (date text, unit code, Excel's scientific notation)."""
    row = raw.row
    bad: set[str] = set()
    texts = {"phone": raw.phone, "member_code": raw.member_code, "id_number": raw.id_number}
    for fld, value in texts.items():
        if value is not None and SCIENTIFIC.match(clean(value)):
            # 9.12346E+08 in a CSV saved by Excel: the digits are gone, only the person can restore them.
            err(
                row,
                fld,
                N_(
                    "Ô {value} đã bị Excel đổi sang dạng số mũ nên mất chữ số. Hãy định dạng cột là "
                    "Văn bản (Text), nhập lại số đầy đủ rồi lưu lại."
                ),
                value=clean(value),
            )
            bad.add(fld)
    birth, date_ok = parse_date(raw.birth_date)
    if not date_ok:
        err(
            row,
            "birth_date",
            N_("Ngày sinh {value} không đúng dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 15/05/1990."),
            value=clean(str(raw.birth_date)),
        )
        bad.add("birth_date")
    fields, problems = clean_fields(
        full_name=raw.full_name,
        phone=None if "phone" in bad else raw.phone,
        member_code=None if "member_code" in bad else raw.member_code,
        birth_date=birth,
        id_number=None if "id_number" in bad else raw.id_number,
    )
    for problem in problems:
        if problem.field in bad:
            continue
        err(row, problem.field, problem.message, **problem.params)
        bad.add(problem.field)
    unit_code = normalise_code(raw.unit_code)
    if not unit_code:
        err(row, "unit_code", N_("Thiếu mã đơn vị."))
        bad.add("unit_code")
    # Cell padding around a password is never meant; a blank cell means "use the shared one".
    password = raw.password.strip() if raw.password and raw.password.strip() else None
    return Checked(
        raw=raw,
        full_name=fields.full_name,
        phone=fields.phone,
        member_code=fields.member_code,
        birth_date=fields.birth_date,
        unit_code=unit_code,
        id_number=fields.id_number,
        password=password,
        bad=bad,
    )
