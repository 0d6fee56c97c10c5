"""Member import from a spreadsheet, all or nothing.

`preview` reads the file and checks every row against the database with a few set-based queries (files
hold tens of thousands of rows); `commit` runs the same checks again, since the database may have moved
on, and writes only when there is not a single error. A row whose phone or member code is already known
updates that member; any other row creates one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.errors import N_, Conflict, ImportFailed, Invalid
from app.models import Member, Unit
from app.models.types import utcnow
from app.security import hash_password
from app.services.kit import audit
from app.services.kit.tables import (
    MAX_BYTES,
    MAX_ROWS,
)
from app.services.org import member_probes
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
from app.services.org.member_rows import CHUNK, check_row, chunks, crossed, lookups
from app.services.org.members import (
    apply_derived,
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


@dataclass
class RowPlan:
    row: int
    full_name: str
    phone: str
    member_code: str
    birth_date: date | None
    unit: Unit
    id_number_hash: str | None
    id_number_last: str | None
    password: str | None = None  # creates only; updates never touch the password
    member: Member | None = None  # updates only
    changes: list[Change] = field(default_factory=list)  # updates only: what the row changes, field by field


@dataclass
class ImportPlan:
    filename: str
    rows: int = 0
    creates: list[RowPlan] = field(default_factory=list)
    updates: list[RowPlan] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # New accounts with neither a row password nor a shared initial password: they cannot log in until an
    # organiser sets one.
    without_password: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def detected_legacy(self) -> str | None:
        """The legacy code ("tcvn3", "vni") the file was refused for, when that was its only problem."""
        codes = {e.get("legacy") for e in self.errors}
        return codes.pop() if len(codes) == 1 and None not in codes else None

    @property
    def changes(self) -> list[Change]:
        return [c for p in self.updates for c in p.changes]

    @property
    def changes_digest(self) -> str:
        """What the organiser confirms: the exact changes shown (the database may move before the commit)."""
        text = "\n".join(f"{c.row}\t{c.member_code}\t{c.field}\t{c.old}\t{c.new}" for c in self.changes)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class ImportResult:
    created: int
    updated: int
    without_password: int = 0
    changes: list[Change] = field(default_factory=list)


# --- checking ------------------------------------------------------------------------------------------------


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

    shared_password = initial_password if initial_password and initial_password.strip() else None
    if shared_password is not None:
        try:
            check_password(shared_password)
        except Invalid as exc:
            err(0, "initial_password", exc.message, **exc.params)

    checked = [check_row(raw, err) for raw in raws]

    known = lookups(session, checked, secret)
    units, by_phone, by_code = known.units, known.by_phone, known.by_code
    hashes, hash_owner, member_units = known.hashes, known.hash_owner, known.member_units
    matched_ids = sorted({m.id for m in (*by_phone.values(), *by_code.values()) if m.id is not None})
    grants = grants_of_many(session=session, member_ids=matched_ids)

    first_phone: dict[str, int] = {}
    first_code: dict[str, int] = {}
    first_hash: dict[str, int] = {}
    first_member: dict[int, int] = {}
    foreign: list[tuple[int, str, str, str]] = []  # rows naming members outside the actor's scope
    for c in checked:
        row, before = c.raw.row, len(errors)
        unit = units.get(c.unit_code)
        if "unit_code" not in c.bad:
            if unit is None:
                err(row, "unit_code", N_("Không có đơn vị mã {code}."), code=c.unit_code)
            elif not actor.covers(unit):
                err(row, "unit_code", N_("Đơn vị {code} nằm ngoài phạm vi bạn được giao."), code=unit.code)
                unit = None
        id_hash = hashes.get(row)
        usable: set[str] = set()  # identifiers that are valid and not repeated from an earlier row
        for fld, value, first, message in (
            ("phone", c.phone, first_phone, N_("Số điện thoại {value} trùng với dòng {row}.")),
            ("member_code", c.member_code, first_code, N_("Mã {value} trùng với dòng {row}.")),
            ("id_number", id_hash, first_hash, N_("Số CCCD trùng với dòng {row}.")),
        ):
            if fld in c.bad or not value:
                continue
            if value in first:
                err(row, fld, message, value=value, row=first[value])
            else:
                first[value] = row
                usable.add(fld)
        if not usable & {"phone", "member_code"}:
            continue  # which person the row means is unknown, so the database checks cannot apply
        member_p = by_phone.get(c.phone) if "phone" in usable else None
        member_c = by_code.get(c.member_code) if "member_code" in usable else None
        if member_p is not None and member_c is not None and member_p.id != member_c.id:
            err(
                row,
                "member_code",
                N_("Số điện thoại {phone} và mã {code} thuộc hai tài khoản khác nhau."),
                phone=c.phone,
                code=c.member_code,
            )
            continue
        member = member_p or member_c
        matched_by = "phone" if member_p is not None else "member_code"
        if member is not None:
            assert member.id is not None
            if not actor.covers(member_units[member.unit_id]):
                if matched_by == "phone":
                    foreign.append(
                        (row, "phone", N_("Số điện thoại {value} đã thuộc một hội viên ở đơn vị ngoài phạm vi bạn được giao."), c.phone)
                    )
                else:
                    foreign.append(
                        (row, "member_code", N_("Mã {value} đã thuộc một hội viên ở đơn vị ngoài phạm vi bạn được giao."), c.member_code)
                    )
                continue
            if not has_authority_over(actor, grants.get(member.id, [])):
                err(row, matched_by, OUTRANKS)
                continue
            if member.id in first_member:
                err(
                    row,
                    matched_by,
                    N_("Dòng này và dòng {row} cùng là hội viên {code} đã có."),
                    row=first_member[member.id],
                    code=member.member_code,
                )
                continue
            first_member[member.id] = row
        crossed(c, member, known, first_phone, first_code, usable, err)
        owner = hash_owner.get(id_hash) if id_hash and "id_number" in usable else None
        if owner is not None and (member is None or owner != member.id):
            err(row, "id_number", N_("Số CCCD này đã được dùng cho tài khoản khác."))
        password = None
        if member is None:  # an update never touches the password, so its cell is not checked
            password = c.password or shared_password
            if c.password is not None:
                try:
                    check_password(c.password, phone=c.phone)
                except Invalid as exc:
                    err(row, "password", exc.message, **exc.params)
            elif password is not None and password == c.phone:
                err(row, "password", N_("Mật khẩu không được trùng số điện thoại."))
        if c.bad or unit is None or len(errors) > before:
            continue
        item = RowPlan(
            row=row,
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
                row,
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
        (plan.updates if member is not None else plan.creates).append(item)
    if foreign:
        # phones are unique system-wide, so these rows tell that such members exist: counted per organiser,
        # and past the hourly limit no longer listed one by one
        if member_probes.count(session=session, actor=actor, matches=len(foreign)):
            err(0, None, member_probes.ROWS_HIDDEN, n=len(foreign))
        else:
            for row, fld, message, value in foreign:
                err(row, fld, message, value=value)
    plan.without_password = sum(1 for p in plan.creates if not p.password)
    errors.sort(key=lambda e: (e["row"], FIELD_ORDER.get(e["field"] or "", -1)))
    return plan


# --- writing -------------------------------------------------------------------------------------------------


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
    passwords = {r.password.strip() for r in parsed[0] if r.password and r.password.strip()}
    if initial_password and initial_password.strip():
        passwords.add(initial_password)
    hashes = {pw: hash_password(pw) for pw in passwords}
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
    if confirmed_changes is not None and plan.changes and confirmed_changes != plan.changes_digest:
        raise Conflict(
            N_(
                "Các thay đổi với hội viên đã có chưa được xác nhận, hoặc đã khác so với lúc kiểm tra. "
                "Hãy xem lại danh sách thay đổi rồi xác nhận."
            ),
            extra={"field": "confirm_changes"},
        )
    done = 0
    now = utcnow()
    try:
        for chunk in chunks(plan.updates, CHUNK):
            for item in chunk:
                member = item.member
                assert member is not None
                before = (member.full_name, member.phone, member.member_code, member.birth_date, member.unit_id, member.id_number_hash)
                member.full_name, member.phone, member.member_code = item.full_name, item.phone, item.member_code
                member.birth_date, member.unit_id = item.birth_date, item.unit.id
                if item.id_number_hash:  # a blank CCCD cell keeps the number on file
                    member.id_number_hash, member.id_number_last = item.id_number_hash, item.id_number_last
                if before != (member.full_name, member.phone, member.member_code, member.birth_date, member.unit_id, member.id_number_hash):
                    apply_derived(member)
                    member.updated_at = now
            session.flush()
            done += len(chunk)
            if progress:
                progress(done)
        for chunk in chunks(plan.creates, CHUNK):
            new = []
            for item in chunk:
                member = Member(
                    full_name=item.full_name,
                    phone=item.phone,
                    member_code=item.member_code,
                    birth_date=item.birth_date,
                    unit_id=item.unit.id,
                    id_number_hash=item.id_number_hash,
                    id_number_last=item.id_number_last,
                    password_hash=hashes[item.password] if item.password else "",
                    must_change_password=True,
                    created_at=now,
                    updated_at=now,
                )
                apply_derived(member)
                new.append(member)
            session.add_all(new)
            session.flush()
            done += len(chunk)
            if progress:
                progress(done)
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
