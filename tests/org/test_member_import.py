from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import event, func
from sqlmodel import select

from app.errors import ImportFailed
from app.models import AuditEntry, Member, Unit
from app.services.kit import tables as importers
from app.services.org import member_import, member_plan
from app.services.org.access import Actor
from app.services.org.member_import import COLUMNS, commit, parse, preview, template_csv, template_xlsx
from app.services.org.members import id_number_hash
from tests.databases import TEST_SECRET
from tests.factories import actor, api_token, make_member, make_unit

HEADER = [c.header for c in COLUMNS]
INITIAL = "KhoiDau#2025"


def xlsx(rows: list[list], header: list | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], header: list | None = None, *, delimiter: str = ",", encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def cp1258(text: str) -> bytes:
    """Windows-1258, the legacy Vietnamese code page: base letters precomposed, tone marks combining."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(m for m in parts[1:] if m in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", parts[0] + "".join(m for m in parts[1:] if m not in tones))
            out += base.encode("cp1258") + tones.encode("cp1258")
    return out


@dataclass(frozen=True)
class Org:
    root: Unit
    a: Unit
    a1: Unit
    a2: Unit
    b: Unit
    b1: Unit
    boss: Member  # organiser of branch A (DBA)
    actor: Actor  # the boss, acting


@pytest.fixture
def org(session) -> Org:
    root = make_unit(session, "ROOT", kind="Đảng bộ")
    a = make_unit(session, "DBA", parent=root, kind="Đảng bộ cơ sở")
    a1 = make_unit(session, "CBA1", parent=a)
    a2 = make_unit(session, "CBA2", parent=a)
    b = make_unit(session, "DBB", parent=root, kind="Đảng bộ cơ sở")
    b1 = make_unit(session, "CBB1", parent=b)
    boss = make_member(session, a, phone="0900000001", member_code="BTC001", roles=(("organiser", a),))
    return Org(root=root, a=a, a1=a1, a2=a2, b=b, b1=b1, boss=boss, actor=actor(session, boss))


def member_count(session) -> int:
    return session.exec(select(func.count()).select_from(Member)).one()


def by_phone(session, phone: str) -> Member:
    return session.exec(select(Member).where(Member.phone == phone)).one()


def run_commit(session, org, content: bytes, filename: str, **kw):
    result = commit(session=session, actor=org.actor, content=content, filename=filename, secret=TEST_SECRET, **kw)
    session.commit()
    return result


def test_good_xlsx_creates_members(session, client, org, monkeypatch):
    calls = []
    real_hash = member_plan.hash_password  # where a plan is written, its passwords hashed
    monkeypatch.setattr(member_plan, "hash_password", lambda pw: calls.append(pw) or real_hash(pw))
    nfd_name = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    content = xlsx(
        [
            [nfd_name, 912345678.0, "hv1001", datetime(1990, 5, 15), "cba1", "001090012345", None],
            ["  Trần   Văn Bình ", "0912 345 679", "HV1002", "01/02/1985", "CBA2", None, None],
            ["Lê Đào", "+84912345680", "HV1003", None, "CBA1", 1090012399, "RiengToi#88"],
        ]
    )
    before = member_count(session)
    progress = []
    result = run_commit(session, org, content, "danh-sach.xlsx", initial_password=INITIAL, progress=progress.append)
    assert (result.created, result.updated, result.without_password) == (3, 0, 0)
    assert progress and progress[-1] == 3
    assert member_count(session) == before + 3
    assert sorted(calls) == sorted([INITIAL, "RiengToi#88"])  # one argon2 hash per distinct password

    anh = by_phone(session, "0912345678")
    assert anh.full_name == "Nguyễn Thị Ánh" == unicodedata.normalize("NFC", anh.full_name)
    assert anh.member_code == "HV1001"
    assert anh.birth_date == date(1990, 5, 15)
    assert anh.unit_id == org.a1.id
    assert anh.must_change_password is True
    assert anh.name_folded == "nguyen thi anh" and anh.sort_key
    assert anh.id_number_hash == id_number_hash("001090012345", secret=TEST_SECRET)
    assert anh.id_number_last == "2345"
    binh = by_phone(session, "0912345679")
    assert binh.full_name == "Trần Văn Bình"
    assert binh.birth_date == date(1985, 2, 1)
    assert binh.id_number_hash is None
    dao = by_phone(session, "0912345680")
    # A CCCD typed into a number cell loses its leading zero; the import restores it.
    assert dao.id_number_hash == id_number_hash("001090012399", secret=TEST_SECRET)

    audits = session.exec(select(AuditEntry).where(AuditEntry.action == "member.import")).all()
    assert len(audits) == 1
    assert audits[0].detail["filename"] == "danh-sach.xlsx"
    assert (audits[0].detail["created"], audits[0].detail["updated"]) == (3, 0)
    assert audits[0].actor_id == org.boss.id

    assert api_token(client, "0912345678", INITIAL)
    assert api_token(client, "HV1003", "RiengToi#88")


def test_good_csv_creates_members(session, client, org):
    content = csv_bytes(
        [
            ["Phạm Thu Hà", "0987654321", "HV2001", "15/05/1990", "CBA1", "", "MatKhauHa#1"],
            ["Đỗ Quang Khải", "0987654322", "HV2002", "", "CBA2", "", ""],
        ]
    )
    result = run_commit(session, org, content, "ds.csv")
    assert (result.created, result.updated, result.without_password) == (2, 0, 1)
    ha = by_phone(session, "0987654321")
    assert ha.full_name == "Phạm Thu Hà" and ha.must_change_password is True
    assert ha.birth_date == date(1990, 5, 15)
    assert by_phone(session, "0987654322").password_hash == ""  # cannot log in until an organiser sets one
    assert api_token(client, "0987654321", "MatKhauHa#1")


def test_semicolon_csv(session, org):
    content = csv_bytes([["Vũ Thị Lan", "0977000001", "HV3001", "1990-12-31", "CBA1", "", ""]], delimiter=";")
    plan = preview(session=session, actor=org.actor, content=content, filename="ds.csv", secret=TEST_SECRET, initial_password=INITIAL)
    assert plan.errors == []
    assert [(p.row, p.full_name, p.birth_date) for p in plan.creates] == [(2, "Vũ Thị Lan", date(1990, 12, 31))]
    # Excel's "sep=;" hint line is hidden when Excel opens the file, so the header stays row 1.
    rows, errors = parse(b"sep=;\r\n" + content.removeprefix(b"\xef\xbb\xbf"), "ds.csv")
    assert errors == [] and [(r.row, r.full_name) for r in rows] == [(2, "Vũ Thị Lan")]


def test_update_existing_member_by_phone(session, org):
    old = make_member(session, org.a1, full_name="Nguyen Van Cu", phone="0966000001", member_code="HV4001")
    old_hash = old.password_hash
    content = xlsx(
        [
            ["Nguyễn Văn Cũ", "0966000001", "HV4001", "20/11/1970", "CBA2", "079070000001", "Khac#12345"],
            ["Người Mới", "0966000002", "HV4002", None, "CBA2", None, None],
        ]
    )
    result = run_commit(session, org, content, "ds.xlsx", initial_password=INITIAL)
    assert (result.created, result.updated) == (1, 1)
    session.refresh(old)
    assert old.full_name == "Nguyễn Văn Cũ" and old.name_folded == "nguyen van cu"
    assert old.unit_id == org.a2.id
    assert old.birth_date == date(1970, 11, 20)
    assert old.id_number_last == "0001"
    assert old.password_hash == old_hash  # an update never changes the password
    assert old.must_change_password is False


def test_update_by_member_code_takes_the_new_phone(session, org):
    old = make_member(session, org.a1, phone="0966000011", member_code="HV4011")
    content = csv_bytes([[old.full_name, "0966000099", "hv4011", "", "CBA1", "", ""]])
    result = run_commit(session, org, content, "ds.csv")
    assert (result.created, result.updated) == (0, 1)
    session.refresh(old)
    assert old.phone == "0966000099"


def test_bad_rows_list_every_error_and_write_nothing(session, org):
    outsider = make_member(session, org.b1, phone="0955000001", member_code="HVB001")
    content = xlsx(
        [
            ["Hoàng Văn Một", "0944000001", "HV5001", "01/01/1990", "CBA1", None, None],  # 2: fine
            ["Hoàng Văn Hai", None, "HV5002", None, "CBA1", None, None],  # 3: missing phone
            ["Hoàng Văn Ba", "0944000001", "HV5003", None, "CBA1", None, None],  # 4: phone repeats row 2
            ["Hoàng Văn Bốn", outsider.phone, "HV5004", None, "CBA1", None, None],  # 5: member out of scope
            ["Hoàng Văn Năm", "0944000005", "HV5005", None, "KHONGCO", None, None],  # 6: unknown unit
            ["Hoàng Văn Sáu", "0944000006", "HV5006", None, "CBB1", None, None],  # 7: unit out of scope
            ["Hoàng Văn Bảy", "0944000007", "HV5007", "31/02/1990", "CBA1", None, None],  # 8: bad date
            ["Hoàng Văn Tám", "0944000008", "HV5008", None, "CBA1", "12345", None],  # 9: bad CCCD
            [],  # 10: empty, skipped
            [None, "abc", "HV 5011", "hôm qua", None, None, "ngan"],  # 11: every field wrong
        ]
    )
    before = member_count(session)
    plan = preview(session=session, actor=org.actor, content=content, filename="ds.xlsx", secret=TEST_SECRET, initial_password=INITIAL)
    found = [(e["row"], e["field"]) for e in plan.errors]
    assert found == [
        (3, "phone"),
        (4, "phone"),
        (5, "phone"),
        (6, "unit_code"),
        (7, "unit_code"),
        (8, "birth_date"),
        (9, "id_number"),
        (11, "full_name"),
        (11, "phone"),
        (11, "member_code"),
        (11, "birth_date"),
        (11, "unit_code"),
    ]
    messages = {(e["row"], e["field"]): e["message"] for e in plan.errors}
    assert messages[(3, "phone")] == "Thiếu số điện thoại."
    assert "dòng 2" in messages[(4, "phone")]
    assert "ngoài phạm vi" in messages[(5, "phone")]
    assert "KHONGCO" in messages[(6, "unit_code")]
    assert "CBB1" in messages[(7, "unit_code")] and "ngoài phạm vi" in messages[(7, "unit_code")]
    assert "31/02/1990" in messages[(8, "birth_date")]
    assert "CCCD" in messages[(9, "id_number")]
    assert "hôm qua" in messages[(11, "birth_date")]
    assert [p.row for p in plan.creates] == [2]

    with pytest.raises(ImportFailed) as failed:
        commit(session=session, actor=org.actor, content=content, filename="ds.xlsx", secret=TEST_SECRET, initial_password=INITIAL)
    assert failed.value.errors == plan.errors
    session.rollback()
    assert member_count(session) == before
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "member.import")).first() is None


def test_identity_conflicts(session, org):
    first = make_member(session, org.a1, phone="0933000001", member_code="HV6001")
    make_member(session, org.a1, phone="0933000002", member_code="HV6002")
    with_id = make_member(session, org.a1, phone="0933000003", member_code="HV6003")
    with_id.id_number_hash = id_number_hash("001090099999", secret=TEST_SECRET)
    session.commit()
    content = csv_bytes(
        [
            ["A", "0933000002", "HV6003", "", "CBA1", "", ""],  # phone of one member, code of another
            ["B", "0933000009", "HV6009", "", "CBA1", "001090099999", ""],  # CCCD of another member
            ["D", "0933000010", "HV6001", "", "CBA1", "", ""],  # first member by code ...
            ["E", first.phone, "HV6011", "", "CBA1", "", ""],  # ... and again by phone
            ["F", "0933000012", "HV6012", "", "CBA1", "", "0933000012"],  # password = phone
            ["G", "0933000013", "HV6013", "", "CBA1", "", "ngan"],  # password too short
            ["H", "0933000014", "HV6014", "", "CBA1", "001090099999", ""],  # CCCD repeats row 3
        ]
    )
    plan = preview(session=session, actor=org.actor, content=content, filename="x.csv", secret=TEST_SECRET)
    assert [(e["row"], e["field"]) for e in plan.errors] == [
        (2, "member_code"),
        (3, "id_number"),
        (5, "phone"),
        (6, "password"),
        (7, "password"),
        (8, "id_number"),
    ]
    assert "dòng 4" in plan.errors[2]["message"]
    assert "dòng 3" in plan.errors[5]["message"]
    assert [p.row for p in plan.updates] == [4]
    # A member's own CCCD in its own row is no conflict.
    own = csv_bytes([["C", "0933000003", "HV6003", "", "CBA1", "001090099999", ""]])
    plan = preview(session=session, actor=org.actor, content=own, filename="x.csv", secret=TEST_SECRET)
    assert plan.errors == [] and [p.member.id for p in plan.updates] == [with_id.id]


def test_wrong_columns(session, org):
    content = xlsx([["X", "0911111111", "Y"]], header=["Họ và tên", "Mã hội viên", "Ghi chú"])
    plan = preview(session=session, actor=org.actor, content=content, filename="x.xlsx", secret=TEST_SECRET)
    assert plan.creates == [] and len(plan.errors) == 2
    assert all(e["row"] == 0 for e in plan.errors)
    unknown, missing = plan.errors[0]["message"], plan.errors[1]["message"]
    assert "Ghi chú" in unknown
    assert "Số điện thoại" in missing and "Mã đơn vị" in missing and "Ngày sinh" not in missing


def test_headers_ignore_case_diacritics_and_accept_english(session, org):
    header = ["STT", " HO VA TEN ", "phone", "member_code", "Ngay Sinh (dd/mm/yyyy)", "unit_code", "Số cccd"]
    content = csv_bytes([["1", "Ngô Bảo Châu", "0922000001", "HV7001", "28/06/1972", "CBA1", ""]], header=header)
    plan = preview(session=session, actor=org.actor, content=content, filename="x.csv", secret=TEST_SECRET)
    assert plan.errors == []
    assert plan.creates[0].full_name == "Ngô Bảo Châu"
    assert plan.without_password == 1


def test_legacy_encoded_csv_is_refused(session, org):
    text = "\r\n".join([",".join(HEADER), "Nguyễn Thị Điệp,0911000001,HV8001,,CBA1,,"])
    before = member_count(session)
    for content in (cp1258(text), text.encode("cp1252", errors="replace")):
        rows, errors = parse(content, "ds.csv")
        assert rows == [] and len(errors) == 1
        assert errors[0]["row"] == 0 and "UTF-8" in errors[0]["message"]
        with pytest.raises(ImportFailed):
            commit(session=session, actor=org.actor, content=content, filename="ds.csv", secret=TEST_SECRET)
        session.rollback()
    assert member_count(session) == before


def test_file_level_limits(session, org, monkeypatch):
    _rows, errors = parse(b"anything", "ds.pdf")
    assert ".xlsx" in errors[0]["message"]
    _rows, errors = parse(b"x" * (importers.MAX_BYTES + 1), "ds.csv")
    assert "10 MB" in errors[0]["message"]
    _rows, errors = parse(b"not a zip", "ds.xlsx")
    assert errors and errors[0]["row"] == 0
    _rows, errors = parse(csv_bytes([]), "ds.csv")
    assert "không có dòng dữ liệu" in errors[0]["message"]
    monkeypatch.setattr(importers, "MAX_ROWS", 3)
    rows = [[f"Người {i}", f"09110000{i:02d}", f"HV9{i:03d}", "", "CBA1", "", ""] for i in range(4)]
    _rows, errors = parse(csv_bytes(rows), "ds.csv")
    assert len(errors) == 1 and "3" in errors[0]["message"]
    assert parse(csv_bytes(rows[:3]), "ds.csv")[1] == []


def test_row_numbers_follow_the_spreadsheet(session, org):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["Một", "0911000101", "HV9101", None, "CBA1"])
    sheet.cell(row=6, column=1, value="Sáu")  # rows 3-5 empty; row 6 lacks everything but the name
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = preview(session=session, actor=org.actor, content=buffer.getvalue(), filename="x.xlsx", secret=TEST_SECRET)
    assert {e["row"] for e in plan.errors} == {6}
    assert {e["field"] for e in plan.errors} == {"phone", "member_code", "unit_code"}


def test_bad_initial_password(session, org):
    content = csv_bytes([["Một", "0911000201", "HV9201", "", "CBA1", "", ""]])
    plan = preview(session=session, actor=org.actor, content=content, filename="x.csv", secret=TEST_SECRET, initial_password="123")
    assert [(e["row"], e["field"]) for e in plan.errors] == [(0, "initial_password")]


def test_english_messages(session, org):
    content = csv_bytes([["Một", "", "HV9301", "", "CBA1", "", ""]])
    plan = preview(session=session, actor=org.actor, content=content, filename="x.csv", secret=TEST_SECRET, locale="en")
    assert plan.errors[0]["field"] == "phone" and plan.errors[0]["message"]


def test_template_round_trip(session, org):
    make_unit(session, "CB001", parent=org.a)
    content = template_xlsx()
    rows, errors = parse(content, "mau.xlsx")
    assert errors == [] and len(rows) == 1
    plan = preview(session=session, actor=org.actor, content=content, filename="mau.xlsx", secret=TEST_SECRET, initial_password=INITIAL)
    assert plan.errors == [] and len(plan.creates) == 1 and plan.creates[0].phone == "0912345678"
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER and all(c.font.bold for c in sheet[1])
    assert sheet.cell(row=2, column=2).number_format == "@"
    assert "Hướng dẫn" in workbook.sheetnames
    csv_content = template_csv()
    assert csv_content.startswith(b"\xef\xbb\xbf")
    plan = preview(session=session, actor=org.actor, content=csv_content, filename="mau.csv", secret=TEST_SECRET, initial_password=INITIAL)
    assert plan.errors == [] and len(plan.creates) == 1


def test_large_file_uses_set_based_queries(session, org, engine):
    rows = [[f"Người Thứ {i}", f"08{i:08d}", f"HVL{i:05d}", "", "CBA1" if i % 2 else "CBA2", "", ""] for i in range(1200)]
    content = csv_bytes(rows)
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        plan = preview(session=session, actor=org.actor, content=content, filename="x.csv", secret=TEST_SECRET, initial_password=INITIAL)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert plan.errors == [] and len(plan.creates) == 1200
    assert len(statements) <= 12
    result = run_commit(session, org, content, "x.csv", initial_password=INITIAL)
    assert result.created == 1200


def test_numbers_excel_turned_into_exponents_are_named(session, org):
    content = csv_bytes([["Một", "9.12346E+08", "HV9401", "", "CBA1", "1.23E+11", ""]])
    plan = preview(session=session, actor=org.actor, content=content, filename="x.csv", secret=TEST_SECRET)
    assert [(e["row"], e["field"]) for e in plan.errors] == [(2, "phone"), (2, "id_number")]
    assert "9.12346E+08" in plan.errors[0]["message"] and "Văn bản" in plan.errors[0]["message"]


def test_import_cannot_rewrite_an_account_with_wider_powers(session):
    """An admin living in an organiser's subtree is out of that organiser's reach, by import too."""
    from app.services.org import member_import as importer
    from tests.factories import actor as actor_of

    root = make_unit(session, "ROOT")
    cell = make_unit(session, "CB1", parent=root)
    make_member(session, cell, full_name="Quản Trị Viên", phone="0900000009", member_code="ADMIN1", roles=(("admin", root),))
    organiser = make_member(session, cell, phone="0900000008", roles=(("organiser", cell),))
    content = ("Họ và tên,Số điện thoại,Mã hội viên,Mã đơn vị\nKẻ Chiếm Quyền,0900000009,ADMIN1,CB1\n").encode()
    plan = importer.preview(session=session, actor=actor_of(session, organiser), content=content, filename="x.csv", secret="s" * 40)
    assert [(e["row"], e["field"]) for e in plan.errors] == [(2, "phone")]
    assert "vượt ngoài phạm vi" in plan.errors[0]["message"]


def test_a_code_that_is_a_phone_elsewhere_is_refused(session, org):
    """A member code equal to another account's phone (in the database or the same file) makes a login by it
    ambiguous; a name with invisible characters is stored without them."""
    make_member(session, org.a1, phone="0933000101", member_code="HV7001")
    session.commit()
    content = csv_bytes(
        [
            ["A", "0933000102", "0933000101", "", "CBA1", "", ""],  # code = an existing account's phone
            ["B", "0933000103", "HV7003", "", "CBA1", "", ""],
            ["C", "0933000104", "0933000103", "", "CBA1", "", ""],  # code = row 3's phone
            ["D\u200b\u202e", "0933000105", "HV7005", "", "CBA1", "", ""],
        ]
    )
    plan = preview(session=session, actor=org.actor, content=content, filename="x.csv", secret=TEST_SECRET)
    assert [(e["row"], e["field"]) for e in plan.errors] == [(2, "member_code"), (4, "member_code")]
    clean_rows = csv_bytes([["D\u200b\u202e", "0933000105", "HV7005", "", "CBA1", "", ""]])
    plan = preview(session=session, actor=org.actor, content=clean_rows, filename="x.csv", secret=TEST_SECRET)
    assert plan.errors == [] and plan.creates[0].full_name == "D"


def test_an_import_reads_and_hashes_outside_the_write_lock(engine, org, monkeypatch):
    """On SQLite a writing transaction holds the machine-wide writer lock: a 4,500-row list with passwords held
    it 64 s (answer saves stalled, then 500). Reading and hashing now come first; another writer meanwhile
    waits for nothing."""
    import threading
    import time

    from sqlmodel import Session

    from app.db import session_scope, writer
    from app.models import Unit

    def slow_hash(password: str) -> str:  # argon2 on a busy machine, made slower to measure the overlap
        time.sleep(1.5)
        return "slow$" + password

    monkeypatch.setattr(member_plan, "hash_password", slow_hash)
    content = csv_bytes([["Người Chậm", "0933000201", "HVS201", "", "CBA1", "", "MatKhau#Rieng1"]])
    waited: list[float] = []

    def other_writer() -> None:
        time.sleep(0.4)  # the import is hashing by now
        started = time.monotonic()
        with session_scope(engine) as s:
            unit = s.get(Unit, org.b1.id)
            unit.name = "Chi bộ B1 (đổi tên trong lúc nhập)"
        waited.append(time.monotonic() - started)

    t = threading.Thread(target=other_writer)
    with Session(writer(engine), expire_on_commit=False) as s:
        s.get(Unit, org.a1.id)  # the request has begun its (writing) transaction, as a page's does
        t.start()
        result = commit(session=s, actor=org.actor, content=content, filename="x.csv", secret=TEST_SECRET)
        s.commit()
    t.join()
    assert result.created == 1 and waited and waited[0] < 0.5, waited


def test_a_sheet_of_empty_rows_is_refused_without_reading_it_all():
    """The probe's 975 KB .xlsx of empty rows was read for 84 s: empty rows now count toward a cap."""
    import io
    import time

    import openpyxl

    from app.services.kit.tables import MAX_SCANNED_ROWS

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["Họ và tên", "Số điện thoại", "Mã hội viên", "Ngày sinh", "Mã đơn vị"])
    for _ in range(MAX_SCANNED_ROWS + 10):
        ws.append([None, None, None, None, " "])
    buf = io.BytesIO()
    wb.save(buf)
    started = time.monotonic()
    raws, errors = member_import.parse(buf.getvalue(), "trong.xlsx")
    assert raws == [] and "dòng trống" in errors[0]["message"]
    assert time.monotonic() - started < 30


def test_tcvn3_lists_are_recognised_and_converted_on_request(session, org):
    """Offices still write in the .VnTime fonts (TCVN3/ABC). Such a file was refused as "ISO8859-10", and the
    same text saved as UTF-8 ("NguyÔn V¨n §¹t") was stored as it was. Both are recognised, with an example
    of the conversion, and converted when the organiser says so."""
    names = [("NguyÔn V¨n §¹t", "Nguyễn Văn Đạt"), ("TrÇn ThÞ Thu H»ng", "Trần Thị Thu Hằng"), ("Lª Quang Vinh", "Lê Quang Vinh")]
    header = "Họ và tên,Số điện thoại,Mã hội viên,Ngày sinh,Mã đơn vị\n"
    body = "".join(f"{legacy},09330004{i:02d},HVT{i:03d},,CBA1\n" for i, (legacy, _u) in enumerate(names))
    as_utf8 = (header + body).encode("utf-8")  # TCVN3 text pasted into a UTF-8 file
    plan = preview(session=session, actor=org.actor, content=as_utf8, filename="ds.csv", secret=TEST_SECRET)
    assert len(plan.errors) == 1 and "TCVN3" in plan.errors[0]["message"]
    assert "«Nguyễn Văn Đạt»" in plan.errors[0]["message"]  # the conversion, shown before it is made
    plan = preview(session=session, actor=org.actor, content=as_utf8, filename="ds.csv", secret=TEST_SECRET, legacy="tcvn3")
    assert plan.errors == [] and [p.full_name for p in plan.creates] == [u for _l, u in names]
    # the old bytes themselves (a CSV saved from a .VnTime document); the header is plain ASCII there
    raw = ("Ho va ten,So dien thoai,Ma hoi vien,Ngay sinh,Ma don vi\n" + body).encode("latin-1")
    refused = preview(session=session, actor=org.actor, content=raw, filename="ds.csv", secret=TEST_SECRET)
    assert "TCVN3" in refused.errors[0]["message"] and "ISO" not in refused.errors[0]["message"]
    converted = preview(session=session, actor=org.actor, content=raw, filename="ds.csv", secret=TEST_SECRET, legacy="tcvn3")
    assert converted.errors == [] and converted.creates[0].full_name == "Nguyễn Văn Đạt"


def test_tcvn3_questions_are_recognised_and_converted():
    from app.services.bank import question_import as qi

    gift = "NghÞ quyÕt §¹i héi lÇn thø mÊy?{=XII ~XI ~X}\n\nThµnh phè trùc thuéc tØnh nµo?{=B×nh D\xad¬ng ~§ång Nai}\n"
    plan = qi.parse(gift.encode("utf-8"), "nq.gift")
    assert plan.errors and "TCVN3" in plan.errors[0]["message"]
    plan = qi.parse(gift.encode("utf-8"), "nq.gift", legacy="tcvn3")
    assert plan.errors == [] and plan.questions[0][1].text == "Nghị quyết Đại hội lần thứ mấy?"
    assert [t for t, _c in plan.questions[1][1].options] == ["Bình Dương", "Đồng Nai"]


def test_vni_lists_are_recognised_and_converted_on_request(session, org):
    """VNI-Times text ("Nguyeãn Thò Hoàng", a vowel and a mark byte) reached UTF-8 the same way."""
    names = [
        ("Nguyeãn Thò Hoàng Nhung", "Nguyễn Thị Hồng Nhung"),
        ("Traàn Vaên Böôøng", "Trần Văn Bường"),
        ("Ñoã Thuøy Döông", "Đỗ Thùy Dương"),
    ]
    header = "Họ và tên,Số điện thoại,Mã hội viên,Ngày sinh,Mã đơn vị\n"
    body = "".join(f"{legacy},09330005{i:02d},HVV{i:03d},,CBA1\n" for i, (legacy, _u) in enumerate(names))
    content = (header + body).encode("utf-8")
    plan = preview(session=session, actor=org.actor, content=content, filename="ds.csv", secret=TEST_SECRET)
    assert len(plan.errors) == 1 and "VNI" in plan.errors[0]["message"] and plan.detected_legacy == "vni"
    assert "«Trần Văn Bường»" in plan.errors[0]["message"]  # an example of the conversion
    plan = preview(session=session, actor=org.actor, content=content, filename="ds.csv", secret=TEST_SECRET, legacy="vni")
    assert plan.errors == [] and [p.full_name for p in plan.creates] == [u for _l, u in names]
    raw = ("Ho va ten,So dien thoai,Ma hoi vien,Ngay sinh,Ma don vi\n" + body).encode("cp1252")
    refused = preview(session=session, actor=org.actor, content=raw, filename="ds.csv", secret=TEST_SECRET)
    assert "VNI" in refused.errors[0]["message"]
    converted = preview(session=session, actor=org.actor, content=raw, filename="ds.csv", secret=TEST_SECRET, legacy="vni")
    assert converted.errors == [] and converted.creates[2].full_name == "Đỗ Thùy Dương"


def test_vni_questions_are_converted_when_asked():
    from app.services.bank import question_import as qi

    gift = "Nghò quyeát Ñaïi hoäi laàn thöù maáy?{=XII ~XI ~X}\n\nThaønh phoá tröïc thuoäc tænh naøo?{=Bình Döông ~Ñoàng Nai}\n"
    assert "VNI" in qi.parse(gift.encode("utf-8"), "nq.gift").errors[0]["message"]
    plan = qi.parse(gift.encode("utf-8"), "nq.gift", legacy="vni")
    assert plan.errors == [] and plan.questions[0][1].text == "Nghị quyết Đại hội lần thứ mấy?"
    assert [t for t, _c in plan.questions[1][1].options] == ["Bình Dương", "Đồng Nai"]


def test_a_list_naming_members_outside_scope_counts_toward_the_hourly_limit(session, org, monkeypatch):
    from app.config import get_settings

    monkeypatch.setattr(get_settings(), "foreign_matches_per_hour", 3)
    outside = [make_member(session, org.b1, phone=f"095500010{i}") for i in range(5)]
    session.commit()

    def rows(people):
        return xlsx([[f"Người Thứ {i}", m.phone, f"HVX{i}", None, "CBA1", None, None] for i, m in enumerate(people)])

    first = preview(
        session=session, actor=org.actor, content=rows(outside[:2]), filename="a.xlsx", secret=TEST_SECRET, initial_password=INITIAL
    )
    assert [e["row"] for e in first.errors] == [2, 3] and outside[0].phone in first.errors[0]["message"]
    second = preview(
        session=session, actor=org.actor, content=rows(outside[2:]), filename="b.xlsx", secret=TEST_SECRET, initial_password=INITIAL
    )  # 2 + 3 > 3: the rows are no longer named
    assert len(second.errors) == 1 and second.errors[0]["row"] == 0
    assert "3 dòng" in second.errors[0]["message"] and not any(m.phone in second.errors[0]["message"] for m in outside)
    fresh = xlsx([["Người Mới", "0944999999", "HVNEW", None, "CBA1", None, None]])
    third = preview(session=session, actor=org.actor, content=fresh, filename="c.xlsx", secret=TEST_SECRET, initial_password=INITIAL)
    assert len(third.errors) == 1 and "phút" in third.errors[0]["message"]
