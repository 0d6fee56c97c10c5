"""Member import from a spreadsheet, all or nothing.

`preview` reads the file and checks every row against the database with a few set-based queries (files
hold tens of thousands of rows); `commit` runs the same checks again, since the database may have moved
on, and writes only when there is not a single error. A row whose phone or member code is already known
updates that member; any other row creates one.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, ImportFailed, Invalid
from app.i18n import translate
from app.models import Member, Unit
from app.models.types import utcnow
from app.security import hash_password
from app.services import audit
from app.services.access import Actor
from app.services.importers import (
    MAX_BYTES,
    MAX_ROWS,
    FileProblem,
    cell_date,
    cell_text,
    column_letter,
    header_key,
    parse_date,
    read_table,
)
from app.services.members import (
    OUTRANKS,
    apply_derived,
    check_password,
    clean_fields,
    grants_of_many,
    has_authority_over,
    id_number_hash,
)
from app.services.text import clean
from app.services.units import normalise_code

__all__ = ["COLUMNS", "MAX_BYTES", "MAX_ROWS", "ImportPlan", "ImportResult", "RawRow", "RowPlan", "commit",
           "parse", "preview", "template_csv", "template_xlsx"]

CHUNK = 500


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    aliases: tuple[str, ...]
    sample: str
    guide: str


COLUMNS: tuple[Column, ...] = (
    Column("full_name", "Họ và tên", True, ("ho ten", "full name", "fullname", "name"), "Nguyễn Thị Ánh",
           "Họ và tên đầy đủ, có dấu, tối đa 120 ký tự."),
    Column("phone", "Số điện thoại", True, ("dien thoai", "sdt", "so dt", "phone", "phone number"), "0912345678",
           "10 chữ số, bắt đầu bằng 0 (có thể ghi +84). Dùng làm tên đăng nhập, không trùng với người khác."),
    Column("member_code", "Mã hội viên", True, ("ma dang vien", "ma doan vien", "member code"), "HV00001",
           "Mã hội viên/đảng viên/đoàn viên: chữ không dấu, số, dấu chấm, gạch ngang; không trùng với người khác. "
           "Cũng dùng được làm tên đăng nhập."),
    Column("birth_date", "Ngày sinh", False, ("ngay thang nam sinh", "birth date", "birthdate", "dob"), "15/05/1990",
           "Không bắt buộc. Ghi theo dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 15/05/1990."),
    Column("unit_code", "Mã đơn vị", True, ("unit code", "unit"), "CB001",
           "Mã của chi bộ/chi đoàn/đơn vị mà người này sinh hoạt; đơn vị phải có sẵn và thuộc phạm vi bạn quản lý."),
    Column("id_number", "Số CCCD", False, ("cccd", "so cmnd", "cmnd", "so cccd cmnd", "id number"),
           "001090012345",
           "Không bắt buộc. Căn cước công dân 12 chữ số (CMND cũ: 9 chữ số). Chỉ lưu dạng mã hoá, hiển thị che bớt."),
    Column("password", "Mật khẩu ban đầu", False, ("mat khau", "password", "initial password"), "",
           "Không bắt buộc. Ít nhất 8 ký tự, khác số điện thoại. Bỏ trống thì dùng mật khẩu ban đầu chung nhập khi "
           "tải tệp lên. Người dùng phải đổi mật khẩu ở lần đăng nhập đầu. Không thay đổi mật khẩu của tài khoản "
           "đã có."),
)
_FIELD_ORDER = {c.field: i for i, c in enumerate(COLUMNS)}
_IGNORED_HEADERS = {"stt", "tt", "no", "#"}  # a running number column is in nearly every Vietnamese list
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE][+]?\d+$")

_HEADER_KEYS: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.header, _c.field, *_c.aliases):
        _HEADER_KEYS[header_key(_name)] = _c.field


@dataclass
class RawRow:
    """One data row as read from the file: text cells, or a date for a real Excel date cell."""

    row: int
    full_name: str | None = None
    phone: str | None = None
    member_code: str | None = None
    birth_date: str | date | None = None
    unit_code: str | None = None
    id_number: str | None = None
    password: str | None = None


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


@dataclass
class ImportResult:
    created: int
    updated: int
    without_password: int = 0


def _error(row: int, fld: str | None, message: str, locale: str, /, **params: Any) -> dict[str, Any]:
    return {"row": row, "field": fld, "message": translate(message, locale, **params)}


# --- reading -------------------------------------------------------------------------------------------------

def parse(content: bytes, filename: str, *, locale: str = "vi") -> tuple[list[RawRow], list[dict[str, Any]]]:
    """The data rows and the file-level errors (row 0); when there are file-level errors there are no rows."""
    try:
        table = read_table(content, filename)
    except FileProblem as exc:
        return [], [_error(0, None, exc.message, locale, **exc.params)]
    fields: list[str | None] = []
    errors: list[dict[str, Any]] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for cell in table.header:
        shown = clean(str(cell)) if cell is not None else ""
        key = header_key(shown)
        fld = _HEADER_KEYS.get(key)
        if fld is None:
            if key and key not in _IGNORED_HEADERS:
                unknown.append(shown)
            fields.append(None)
        elif fld in seen:
            errors.append(_error(0, fld, N_("Cột \"{first}\" và cột \"{second}\" cùng là một thông tin."), locale,
                                 first=seen[fld], second=shown))
            fields.append(None)
        else:
            seen[fld] = shown
            fields.append(fld)
    if unknown:
        errors.append(_error(0, None, N_("Có cột không nhận ra: {columns}. Các cột dùng được: {expected}."), locale,
                             columns=", ".join(f"\"{u}\"" for u in unknown),
                             expected=", ".join(c.header for c in COLUMNS)))
    missing = [c.header for c in COLUMNS if c.required and c.field not in seen]
    if missing:
        errors.append(_error(0, None, N_("Thiếu cột bắt buộc: {columns}."), locale, columns=", ".join(missing)))
    if errors:
        return [], errors
    named = [bool(header_key(h)) for h in table.header]
    rows: list[RawRow] = []
    for number, cells in table.rows:
        raw = RawRow(row=number)
        for index, cell in enumerate(cells):
            fld = fields[index] if index < len(fields) else None
            if fld is not None:
                setattr(raw, fld, _cell_value(fld, cell))
            elif (index >= len(named) or not named[index]) and cell is not None and str(cell).strip():
                errors.append(_error(number, None, N_("Ô ở cột {column} có dữ liệu nhưng cột không có tiêu đề."),
                                     locale, column=column_letter(index)))
        rows.append(raw)
    if errors:
        return [], errors
    if not rows:
        return [], [_error(0, None, N_("Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào."), locale)]
    return rows, []


def _cell_value(fld: str, cell: Any) -> str | date | None:
    if fld == "birth_date":
        return cell_date(cell)
    value = cell_text(cell)
    if fld == "id_number" and isinstance(cell, int | float) and value is not None and value.isdigit():
        # Every CCCD starts with a 0xx province code, which a number cell drops (CMND: 0 + 8 digits).
        if len(value) in (10, 11):
            return value.zfill(12)
        if len(value) == 8:
            return value.zfill(9)
    return value


# --- checking ------------------------------------------------------------------------------------------------

def _chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _load(session: Session, column: Any, values: set[Any], *entities: Any) -> list[Any]:
    out: list[Any] = []
    for chunk in _chunks(sorted(v for v in values if v)):
        out.extend(session.exec(select(*entities).where(col(column).in_(chunk))).all())
    return out


@dataclass
class _Checked:
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
class _Known:
    units: dict[str, Unit]  # by code
    by_phone: dict[str, Member]
    by_code: dict[str, Member]
    hashes: dict[int, str]  # row -> CCCD hash
    hash_owner: dict[str, int]  # CCCD hash -> member id
    member_units: dict[int, Unit]  # by id: the rows' units and the units of the members they match


def _lookups(session: Session, checked: list[_Checked], secret: str) -> _Known:
    """What the database knows about the file's values, in a few IN queries per 500 rows."""
    units = {u.code: u for u in _load(session, Unit.code, {c.unit_code for c in checked}, Unit)}
    by_phone = {m.phone: m for m in _load(session, Member.phone, {c.phone for c in checked}, Member)}
    by_code = {m.member_code: m for m in _load(session, Member.member_code, {c.member_code for c in checked},
                                               Member)}
    hashes = {c.raw.row: id_number_hash(c.id_number, secret=secret) for c in checked if c.id_number}
    hash_owner = dict(_load(session, Member.id_number_hash, set(hashes.values()), Member.id_number_hash, Member.id))
    unit_ids = {m.unit_id for m in (*by_phone.values(), *by_code.values())} - {u.id for u in units.values()}
    member_units = {u.id: u for u in _load(session, Unit.id, unit_ids, Unit)}
    member_units.update({u.id: u for u in units.values()})
    return _Known(units, by_phone, by_code, hashes, hash_owner, member_units)


def preview(*, session: Session, actor: Actor, content: bytes, filename: str, secret: str,
            initial_password: str | None = None, locale: str = "vi") -> ImportPlan:
    actor.require_any()
    plan = ImportPlan(filename=filename)
    raws, file_errors = parse(content, filename, locale=locale)
    plan.rows = len(raws)
    errors = plan.errors = file_errors
    if file_errors:
        return plan

    def err(row: int, fld: str | None, message: str, /, **params: Any) -> None:
        errors.append(_error(row, fld, message, locale, **params))

    shared_password = initial_password if initial_password and initial_password.strip() else None
    if shared_password is not None:
        try:
            check_password(shared_password)
        except Invalid as exc:
            err(0, "initial_password", exc.message, **exc.params)

    checked = [_check_row(raw, err) for raw in raws]

    known = _lookups(session, checked, secret)
    units, by_phone, by_code = known.units, known.by_phone, known.by_code
    hashes, hash_owner, member_units = known.hashes, known.hash_owner, known.member_units
    matched_ids = sorted({m.id for m in (*by_phone.values(), *by_code.values()) if m.id is not None})
    grants = grants_of_many(session=session, member_ids=matched_ids)

    first_phone: dict[str, int] = {}
    first_code: dict[str, int] = {}
    first_hash: dict[str, int] = {}
    first_member: dict[int, int] = {}
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
                ("id_number", id_hash, first_hash, N_("Số CCCD trùng với dòng {row}."))):
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
            err(row, "member_code", N_("Số điện thoại {phone} và mã {code} thuộc hai tài khoản khác nhau."),
                phone=c.phone, code=c.member_code)
            continue
        member = member_p or member_c
        matched_by = "phone" if member_p is not None else "member_code"
        if member is not None:
            assert member.id is not None
            if not actor.covers(member_units[member.unit_id]):
                if matched_by == "phone":
                    err(row, "phone", N_("Số điện thoại {value} đã thuộc một hội viên ở đơn vị ngoài phạm vi bạn "
                                         "được giao."), value=c.phone)
                else:
                    err(row, "member_code", N_("Mã {value} đã thuộc một hội viên ở đơn vị ngoài phạm vi bạn được "
                                               "giao."), value=c.member_code)
                continue
            if not has_authority_over(actor, grants.get(member.id, [])):
                err(row, matched_by, OUTRANKS)
                continue
            if member.id in first_member:
                err(row, matched_by, N_("Dòng này và dòng {row} cùng là hội viên {code} đã có."),
                    row=first_member[member.id], code=member.member_code)
                continue
            first_member[member.id] = row
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
        item = RowPlan(row=row, full_name=c.full_name, phone=c.phone, member_code=c.member_code,
                       birth_date=c.birth_date, unit=unit, id_number_hash=id_hash,
                       id_number_last=c.id_number[-4:] if c.id_number else None, password=password, member=member)
        (plan.updates if member is not None else plan.creates).append(item)
    plan.without_password = sum(1 for p in plan.creates if not p.password)
    errors.sort(key=lambda e: (e["row"], _FIELD_ORDER.get(e["field"] or "", -1)))
    return plan


def _check_row(raw: RawRow, err: Callable[..., None]) -> _Checked:
    """The problems of one row on its own (no database): the field checks of members.clean_fields, plus the
    import's own cells (date text, unit code, Excel's scientific notation)."""
    row = raw.row
    bad: set[str] = set()
    texts = {"phone": raw.phone, "member_code": raw.member_code, "id_number": raw.id_number}
    for fld, value in texts.items():
        if value is not None and _SCIENTIFIC.match(clean(value)):
            # 9.12346E+08 in a CSV saved by Excel: the digits are gone, only the person can restore them.
            err(row, fld, N_("Ô {value} đã bị Excel đổi sang dạng số mũ nên mất chữ số. Hãy định dạng cột là "
                             "Văn bản (Text), nhập lại số đầy đủ rồi lưu lại."), value=clean(value))
            bad.add(fld)
    birth, date_ok = parse_date(raw.birth_date)
    if not date_ok:
        err(row, "birth_date", N_("Ngày sinh {value} không đúng dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 15/05/1990."),
            value=clean(str(raw.birth_date)))
        bad.add("birth_date")
    fields, problems = clean_fields(full_name=raw.full_name, phone=None if "phone" in bad else raw.phone,
                                    member_code=None if "member_code" in bad else raw.member_code,
                                    birth_date=birth, id_number=None if "id_number" in bad else raw.id_number)
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
    return _Checked(raw=raw, full_name=fields.full_name, phone=fields.phone, member_code=fields.member_code,
                    birth_date=fields.birth_date, unit_code=unit_code, id_number=fields.id_number, password=password,
                    bad=bad)


# --- writing -------------------------------------------------------------------------------------------------

def commit(*, session: Session, actor: Actor, content: bytes, filename: str, secret: str,
           initial_password: str | None = None, progress: Callable[[int], None] | None = None,
           locale: str = "vi") -> ImportResult:
    plan = preview(session=session, actor=actor, content=content, filename=filename, secret=secret,
                   initial_password=initial_password, locale=locale)
    if plan.errors:
        raise ImportFailed(plan.errors)
    # argon2 is slow by design: a file sharing one initial password hashes it once, not once per row.
    hashes = {pw: hash_password(pw) for pw in {p.password for p in plan.creates if p.password}}
    done = 0
    now = utcnow()
    try:
        for chunk in _chunks(plan.updates, CHUNK):
            for item in chunk:
                member = item.member
                assert member is not None
                before = (member.full_name, member.phone, member.member_code, member.birth_date, member.unit_id,
                          member.id_number_hash)
                member.full_name, member.phone, member.member_code = item.full_name, item.phone, item.member_code
                member.birth_date, member.unit_id = item.birth_date, item.unit.id
                if item.id_number_hash:  # a blank CCCD cell keeps the number on file
                    member.id_number_hash, member.id_number_last = item.id_number_hash, item.id_number_last
                if before != (member.full_name, member.phone, member.member_code, member.birth_date,
                              member.unit_id, member.id_number_hash):
                    apply_derived(member)
                    member.updated_at = now
            session.flush()
            done += len(chunk)
            if progress:
                progress(done)
        for chunk in _chunks(plan.creates, CHUNK):
            new = []
            for item in chunk:
                member = Member(full_name=item.full_name, phone=item.phone, member_code=item.member_code,
                                birth_date=item.birth_date, unit_id=item.unit.id, id_number_hash=item.id_number_hash,
                                id_number_last=item.id_number_last,
                                password_hash=hashes[item.password] if item.password else "",
                                must_change_password=True, created_at=now, updated_at=now)
                apply_derived(member)
                new.append(member)
            session.add_all(new)
            session.flush()
            done += len(chunk)
            if progress:
                progress(done)
    except IntegrityError:
        # Another import or edit took a phone, code or CCCD between our checks and our insert.
        raise Conflict(N_("Danh sách hội viên vừa bị thay đổi trong lúc nhập. Chưa ghi dữ liệu nào; vui lòng "
                          "thử lại.")) from None
    audit.record(session=session, actor_id=actor.id, action="member.import", entity="member",
                 detail={"filename": filename, "created": len(plan.creates), "updated": len(plan.updates),
                         "without_password": plan.without_password}, ip=actor.ip)
    session.flush()
    return ImportResult(created=len(plan.creates), updated=len(plan.updates), without_password=plan.without_password)


# --- templates -----------------------------------------------------------------------------------------------

_TEXT_FIELDS = {"phone", "member_code", "birth_date", "unit_code", "id_number", "password"}


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append([c.header for c in COLUMNS])
    sheet.append([c.sample or None for c in COLUMNS])
    bold = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = bold
        sheet.column_dimensions[letter].width = max(16, len(column.header) + 4)
        if column.field in _TEXT_FIELDS:
            # Text, so Excel keeps leading zeros (0912…, 001…) and does not turn 05/06 into a US date.
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
    sheet.column_dimensions["A"].width = 28
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("Hướng dẫn")
    guide.append(["Cột", "Bắt buộc", "Cách ghi"])
    for cell in guide[1]:
        cell.font = bold
    for column in COLUMNS:
        guide.append([column.header, "Có" if column.required else "Không", column.guide])
    guide.append([])
    for line in (
            "Dòng 1 là tiêu đề, giữ nguyên tên cột. Mỗi dòng tiếp theo là một người; dòng trống được bỏ qua.",
            "Dòng mẫu ở trang \"Danh sách\" cần xoá hoặc sửa trước khi tải lên.",
            "Người đã có (trùng số điện thoại hoặc mã hội viên) được cập nhật họ tên, ngày sinh, đơn vị, CCCD; "
            "mật khẩu của họ giữ nguyên.",
            "Tệp có lỗi thì không ghi dòng nào: hệ thống liệt kê mọi lỗi kèm số dòng để sửa rồi tải lên lại.",
            f"Tối đa {MAX_ROWS:,} dòng và {MAX_BYTES // (1024 * 1024)} MB mỗi tệp.".replace(",", "."),
            "Nếu lưu thành CSV, chọn kiểu \"CSV UTF-8 (*.csv)\" để giữ tiếng Việt có dấu."):
        guide.append([line])
    guide.column_dimensions["A"].width = 20
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 100
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS])
    writer.writerow([c.sample for c in COLUMNS])
    # The BOM is what makes Excel read the file as UTF-8 (Vietnamese letters intact).
    return buffer.getvalue().encode("utf-8-sig")
