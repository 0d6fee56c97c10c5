"""Member import from a spreadsheet, all or nothing.

`preview` reads the file and checks every row against the database with a few set-based queries (files
hold tens of thousands of rows); `commit` runs the same checks again, since the database may have moved
on, and writes only when there is not a single error. A row whose phone or member code is already known
updates that member; any other row creates one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.errors import N_, Conflict, ImportFailed, Invalid
from app.models import Member, MemberRole, Unit
from app.services.kit import audit
from app.services.kit.tables import (
    MAX_BYTES,
    MAX_ROWS,
)
from app.services.org import member_plan, member_probes
from app.services.org.access import Actor
from app.services.org.member_changes import Change, changes_of
from app.services.org.member_file import (
    COLUMNS,
    FIELD_ORDER,
    RawRow,
    parse,
    row_error,
    template_csv,
    template_xlsx,
)
from app.services.org.member_plan import ImportPlan, ImportResult, RowPlan
from app.services.org.member_rows import Checked, Known, check_row, crossed, lookups
from app.services.org.members import (
    check_password,
)
from app.services.org.roles import OUTRANKS, grants_of_many, has_authority_over

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "Change",
    "ImportPlan",
    "ImportResult",
    "RawRow",
    "RowPlan",
    "commit",
    "parse",
    "preview",
    "template_csv",
    "template_xlsx",
]


# --- checking ------------------------------------------------------------------------------------------------


@dataclass
class _Scan:
    """What checking a row needs beyond the row: the database's answers and what earlier rows claimed."""

    actor: Actor
    known: Known
    grants: dict[int, list[tuple[MemberRole, Unit]]]
    shared_password: str | None
    errors: list[dict[str, Any]]
    err: Callable[..., None]
    # the row each value first appeared on: a later row repeating it is the error
    first_phone: dict[str, int] = field(default_factory=dict)
    first_code: dict[str, int] = field(default_factory=dict)
    first_hash: dict[str, int] = field(default_factory=dict)
    first_member: dict[int, int] = field(default_factory=dict)
    foreign: list[tuple[int, str, str, str]] = field(default_factory=list)  # rows naming members outside the actor's scope


def preview(
    *,
    session: Session,
    actor: Actor,
    content: bytes,
    filename: str,
    secret: str,
    initial_password: str | None = None,
    locale: str = "vi",
    parsed: tuple[list[RawRow], list[dict[str, Any]]] | None = None,
    legacy: str | None = None,
) -> ImportPlan:
    """`parsed`: the file as `parse` read it, when the caller has read it already."""
    actor.require_any()
    plan = ImportPlan(filename=filename)
    if wait := member_probes.wait(session=session, actor=actor):
        plan.errors = [row_error(0, None, member_probes.FOREIGN_LIMIT, locale, minutes=max(1, -(-wait // 60)))]
        return plan
    raws, file_errors = parsed or parse(content, filename, locale=locale, legacy=legacy)
    plan.rows = len(raws)
    errors = plan.errors = file_errors
    if file_errors:
        return plan

    def err(row: int, fld: str | None, message: str, /, **params: Any) -> None:
        errors.append(row_error(row, fld, message, locale, **params))

    shared_password = _shared_password(initial_password, err)
    checked = [check_row(raw, err) for raw in raws]
    known = lookups(session, checked, secret)
    matched_ids = sorted({m.id for m in (*known.by_phone.values(), *known.by_code.values()) if m.id is not None})
    grants = grants_of_many(session=session, member_ids=matched_ids)
    scan = _Scan(actor=actor, known=known, grants=grants, shared_password=shared_password, errors=errors, err=err)
    for c in checked:
        item = _plan_row(c, scan)
        if item is not None:
            (plan.updates if item.member is not None else plan.creates).append(item)
    if scan.foreign:
        _report_foreign(session, actor, scan.foreign, err)
    plan.without_password = sum(1 for p in plan.creates if not p.password)
    errors.sort(key=lambda e: (e["row"], FIELD_ORDER.get(e["field"] or "", -1)))
    return plan


def _shared_password(initial_password: str | None, err: Callable[..., None]) -> str | None:
    """The organiser's initial password for rows without their own; a blank one means none."""
    shared_password = initial_password if initial_password and initial_password.strip() else None
    if shared_password is not None:
        try:
            check_password(shared_password)
        except Invalid as exc:
            err(0, "initial_password", exc.message, **exc.params)
    return shared_password


def _plan_row(c: Checked, scan: _Scan) -> RowPlan | None:
    """The row checked against the database and the rows before it; None when it has an error (reported)."""
    row, before = c.raw.row, len(scan.errors)
    unit = _row_unit(c, scan)
    id_hash = scan.known.hashes.get(row)
    usable = _first_uses(c, id_hash, scan)
    if not usable & {"phone", "member_code"}:
        return None  # which person the row means is unknown, so the database checks cannot apply
    found, member = _matched_member(c, usable, scan)
    if not found:
        return None
    crossed(c, member, scan.known, scan.first_phone, scan.first_code, usable, scan.err)
    _check_id_owner(c, member, id_hash, usable, scan)
    password = _new_password(c, scan) if member is None else None  # an update never touches the password
    if c.bad or unit is None or len(scan.errors) > before:
        return None
    return _row_plan(c, unit, id_hash, password, member, scan.known.member_units)


def _row_unit(c: Checked, scan: _Scan) -> Unit | None:
    """The row's unit, when it exists and lies in the actor's scope."""
    unit = scan.known.units.get(c.unit_code)
    if "unit_code" not in c.bad:
        if unit is None:
            scan.err(c.raw.row, "unit_code", N_("Không có đơn vị mã {code}."), code=c.unit_code)
        elif not scan.actor.covers(unit):
            scan.err(c.raw.row, "unit_code", N_("Đơn vị {code} nằm ngoài phạm vi bạn được giao."), code=unit.code)
            unit = None
    return unit


def _first_uses(c: Checked, id_hash: str | None, scan: _Scan) -> set[str]:
    """The row's identifiers that are valid and not repeated from an earlier row; the repeats are errors."""
    usable: set[str] = set()
    for fld, value, first, message in (
        ("phone", c.phone, scan.first_phone, N_("Số điện thoại {value} trùng với dòng {row}.")),
        ("member_code", c.member_code, scan.first_code, N_("Mã {value} trùng với dòng {row}.")),
        ("id_number", id_hash, scan.first_hash, N_("Số CCCD trùng với dòng {row}.")),
    ):
        if fld in c.bad or not value:
            continue
        if value in first:
            scan.err(c.raw.row, fld, message, value=value, row=first[value])
        else:
            first[value] = c.raw.row
            usable.add(fld)
    return usable


def _matched_member(c: Checked, usable: set[str], scan: _Scan) -> tuple[bool, Member | None]:
    """The member the row updates (None: it creates one), or (False, None) when the row may not go on."""
    member_p = scan.known.by_phone.get(c.phone) if "phone" in usable else None
    member_c = scan.known.by_code.get(c.member_code) if "member_code" in usable else None
    if member_p is not None and member_c is not None and member_p.id != member_c.id:
        scan.err(
            c.raw.row,
            "member_code",
            N_("Số điện thoại {phone} và mã {code} thuộc hai tài khoản khác nhau."),
            phone=c.phone,
            code=c.member_code,
        )
        return False, None
    member = member_p or member_c
    if member is not None and not _may_update(c, member, "phone" if member_p is not None else "member_code", scan):
        return False, None
    return True, member


def _may_update(c: Checked, member: Member, matched_by: str, scan: _Scan) -> bool:
    """The actor may update the matched member: in scope, outranked, and not already updated by an earlier row."""
    assert member.id is not None
    row = c.raw.row
    if not scan.actor.covers(scan.known.member_units[member.unit_id]):
        if matched_by == "phone":
            scan.foreign.append(
                (row, "phone", N_("Số điện thoại {value} đã thuộc một hội viên ở đơn vị ngoài phạm vi bạn được giao."), c.phone)
            )
        else:
            scan.foreign.append(
                (row, "member_code", N_("Mã {value} đã thuộc một hội viên ở đơn vị ngoài phạm vi bạn được giao."), c.member_code)
            )
        return False
    if not has_authority_over(scan.actor, scan.grants.get(member.id, [])):
        scan.err(row, matched_by, OUTRANKS)
        return False
    if member.id in scan.first_member:
        scan.err(
            row,
            matched_by,
            N_("Dòng này và dòng {row} cùng là hội viên {code} đã có."),
            row=scan.first_member[member.id],
            code=member.member_code,
        )
        return False
    scan.first_member[member.id] = row
    return True


def _check_id_owner(c: Checked, member: Member | None, id_hash: str | None, usable: set[str], scan: _Scan) -> None:
    """A CCCD number belongs to one account only."""
    owner = scan.known.hash_owner.get(id_hash) if id_hash and "id_number" in usable else None
    if owner is not None and (member is None or owner != member.id):
        scan.err(c.raw.row, "id_number", N_("Số CCCD này đã được dùng cho tài khoản khác."))


def _new_password(c: Checked, scan: _Scan) -> str | None:
    """A new account's password: the row's own (checked) or else the shared one, never the phone."""
    password = c.password or scan.shared_password
    if c.password is not None:
        try:
            check_password(c.password, phone=c.phone)
        except Invalid as exc:
            scan.err(c.raw.row, "password", exc.message, **exc.params)
    elif password is not None and password == c.phone:
        scan.err(c.raw.row, "password", N_("Mật khẩu không được trùng số điện thoại."))
    return password


def _row_plan(
    c: Checked, unit: Unit, id_hash: str | None, password: str | None, member: Member | None, member_units: dict[int, Unit]
) -> RowPlan:
    return RowPlan(
        row=c.raw.row,
        full_name=c.full_name,
        phone=c.phone,
        member_code=c.member_code,
        birth_date=c.birth_date,
        unit=unit,
        id_number_hash=id_hash,
        id_number_last=c.id_number[-4:] if c.id_number else None,
        password=password,
        member=member,
        changes=changes_of(
            c.raw.row,
            member,
            full_name=c.full_name,
            phone=c.phone,
            member_code=c.member_code,
            birth_date=c.birth_date,
            id_number=c.id_number,
            unit=unit,
            id_hash=id_hash,
            units=member_units,
        )
        if member is not None
        else [],
    )


def _report_foreign(session: Session, actor: Actor, foreign: list[tuple[int, str, str, str]], err: Callable[..., None]) -> None:
    # phones are unique system-wide, so these rows tell that such members exist: counted per organiser,
    # and past the hourly limit no longer listed one by one
    if member_probes.count(session=session, actor=actor, matches=len(foreign)):
        err(0, None, member_probes.ROWS_HIDDEN, n=len(foreign))
    else:
        for row, fld, message, value in foreign:
            err(row, fld, message, value=value)


# --- writing (member_plan.write) ----------------------------------------------------------------------------


def commit(
    *,
    session: Session,
    actor: Actor,
    content: bytes,
    filename: str,
    secret: str,
    initial_password: str | None = None,
    progress: Callable[[int], None] | None = None,
    locale: str = "vi",
    confirmed_changes: str | None = None,
    legacy: str | None = None,
) -> ImportResult:
    """`confirmed_changes`: the changes_digest of the preview the organiser confirmed (pages); where it is
    given, changes to existing members are written only if they are still exactly those.

    The slow parts, reading the file and hashing its passwords (argon2, slow on purpose), run before the
    transaction that checks and writes, and what the caller's session began is committed first: on SQLite
    answer saves would wait behind the import (docs/performance.md#imports)."""
    session.commit()
    parsed = parse(content, filename, locale=locale, legacy=legacy)
    hashes = member_plan.password_hashes(parsed[0], initial_password)
    plan = preview(
        session=session,
        actor=actor,
        content=content,
        filename=filename,
        secret=secret,
        initial_password=initial_password,
        locale=locale,
        parsed=parsed,
    )
    if plan.errors:
        raise ImportFailed(plan.errors)
    _check_confirmed(plan, confirmed_changes)
    try:
        member_plan.write(session, plan, hashes, progress)
    except IntegrityError:
        # Another import or edit took a phone, code or CCCD between our checks and our insert.
        raise Conflict(N_("Danh sách hội viên vừa bị thay đổi trong lúc nhập. Chưa ghi dữ liệu nào; vui lòng thử lại.")) from None
    audit.record(
        session=session,
        actor_id=actor.id,
        action="member.import",
        entity="member",
        detail={
            "filename": filename,
            "created": len(plan.creates),
            "updated": len(plan.updates),
            "without_password": plan.without_password,
            "changed_fields": len(plan.changes),
        },
        ip=actor.ip,
    )
    session.flush()
    return ImportResult(created=len(plan.creates), updated=len(plan.updates), without_password=plan.without_password, changes=plan.changes)


def _check_confirmed(plan: ImportPlan, confirmed_changes: str | None) -> None:
    """Changes to existing members are written only as the organiser saw and confirmed them."""
    if confirmed_changes is not None and plan.changes and confirmed_changes != plan.changes_digest:
        raise Conflict(
            N_(
                "Các thay đổi với hội viên đã có chưa được xác nhận, hoặc đã khác so với lúc kiểm tra. "
                "Hãy xem lại danh sách thay đổi rồi xác nhận."
            ),
            extra={"field": "confirm_changes"},
        )
