"""The member import pages: template download, preview with every bad row, all-or-nothing commit."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlmodel import func, select

from app.models import Member, Upload
from tests.factories import make_member, make_unit
from tests.pagehelpers import csrf_from, page_login

HEADER = "Họ và tên,Số điện thoại,Mã hội viên,Ngày sinh,Mã đơn vị\n"


@pytest.fixture
def organiser(session, client):
    root = make_unit(session, "ROOT", kind="Đảng bộ")
    make_unit(session, "CB1", parent=root)
    other = make_unit(session, "OTHER", kind="Đảng bộ")
    make_unit(session, "CB9", parent=other)
    make_member(session, root, phone="0900000001", roles=(("organiser", root),))
    page_login(client, "0900000001")
    return root


def _count(session) -> int:
    session.rollback()  # end the test's read transaction: see what the app committed since
    return session.exec(select(func.count()).select_from(Member)).one()


def _upload(client, body: bytes, name: str = "ds.csv", initial_password: str = "BanDau#2025"):
    token = csrf_from(client.get("/org/members/import").text)
    return client.post(
        "/org/members/import", data={"csrf_token": token, "initial_password": initial_password}, files={"file": (name, body, "text/csv")}
    )


def test_templates_download(client, organiser):
    r = client.get("/org/members/import/template.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["Họ và tên", "Số điện thoại"]
    r = client.get("/org/members/import/template.csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads Vietnamese correctly


def test_preview_then_commit(client, session, organiser):
    before = _count(session)
    body = (HEADER + "Nguyễn Văn An,0911000001,HV1,01/02/1990,CB1\nTrần Thị Bình,0911000002,HV2,,CB1\n").encode()
    r = _upload(client, body)
    assert r.status_code == 200, r.text
    assert 'id="n-create">2<' in r.text
    assert _count(session) == before  # a preview writes no member
    session.rollback()
    upload_id = session.exec(select(Upload.id)).one()
    token = csrf_from(r.text)
    done = client.post(f"/org/members/import/{upload_id}/commit", data={"csrf_token": token, "initial_password": "BanDau#2025"})
    assert done.status_code == 200, done.text
    assert "2 tài khoản mới" in done.text
    assert _count(session) == before + 2
    # the same upload cannot be committed twice
    again = client.post(f"/org/members/import/{upload_id}/commit", data={"csrf_token": token, "initial_password": "BanDau#2025"})
    assert again.status_code == 409
    assert _count(session) == before + 2


def test_bad_rows_are_listed_and_nothing_is_kept(client, session, organiser):
    before = _count(session)
    body = (HEADER + "Nguyễn Văn An,,HV1,01/02/1990,CB1\nLê Thị C,0911000003,HV3,31/02/1990,CB1\nPhạm D,0911000004,HV4,,CB9\n").encode()
    r = _upload(client, body)
    assert r.status_code == 422
    assert "Chưa ghi dữ liệu nào" in r.text
    for row in ("<td>2</td>", "<td>3</td>", "<td>4</td>"):
        assert row in r.text
    assert _count(session) == before
    session.rollback()
    assert session.exec(select(func.count()).select_from(Upload)).one() == 0


def test_commit_of_someone_elses_upload_is_404(client, session, organiser):
    body = (HEADER + "Nguyễn Văn An,0911000001,HV1,,CB1\n").encode()
    r = _upload(client, body)
    session.rollback()
    upload_id = session.exec(select(Upload.id)).one()
    # another organiser of the same subtree
    make_member(session, organiser, phone="0900000002", roles=(("organiser", organiser),))
    token = csrf_from(r.text)
    client.post("/logout", data={"csrf_token": token})
    page_login(client, "0900000002")
    token = csrf_from(client.get("/org/members/import").text)
    r = client.post(f"/org/members/import/{upload_id}/commit", data={"csrf_token": token})
    assert r.status_code == 404


def test_changes_to_existing_members_are_shown_and_confirmed(client, session, organiser):
    """A row that matches an existing member by phone shows each changed field old → new; the import writes
    them only with the organiser's explicit confirmation of exactly those changes (a rename is never silent)."""
    import re

    known = make_member(session, organiser, full_name="Lê Văn Cũ", phone="0911000077", member_code="HV77")
    body = (HEADER + "Lê Văn Mới,0911000077,HV77,,CB1\nPhạm Thị Mới,0911000078,HV78,,CB1\n").encode()
    r = _upload(client, body)
    assert r.status_code == 200, r.text
    table = re.search(r'<table id="import-changes">(.*?)</table>', r.text, re.S).group(1)
    assert "Lê Văn Cũ" in table and "<b>Lê Văn Mới</b>" in table and "HV77" in table
    assert "ROOT" in table and "<b>CB1</b>" in table  # the unit moves too
    assert 'name="confirm_changes"' in r.text
    digest = re.search(r'name="confirm_changes" value="([0-9a-f]+)"', r.text).group(1)
    session.rollback()
    upload_id = session.exec(select(Upload.id).order_by(Upload.id.desc())).first()
    token = csrf_from(r.text)
    unconfirmed = client.post(f"/org/members/import/{upload_id}/commit", data={"csrf_token": token, "initial_password": "BanDau#2025"})
    assert unconfirmed.status_code == 409 and 'id="import-changes"' in unconfirmed.text
    session.rollback()
    assert session.get(Member, known.id).full_name == "Lê Văn Cũ"
    assert session.exec(select(Member).where(Member.phone == "0911000078")).first() is None  # nothing written
    wrong = client.post(
        f"/org/members/import/{upload_id}/commit",
        data={"csrf_token": token, "initial_password": "BanDau#2025", "confirm_changes": "0" * 32},
    )
    assert wrong.status_code == 409
    done = client.post(
        f"/org/members/import/{upload_id}/commit", data={"csrf_token": token, "initial_password": "BanDau#2025", "confirm_changes": digest}
    )
    assert done.status_code == 200, done.text
    session.rollback()
    assert session.get(Member, known.id).full_name == "Lê Văn Mới"


def test_a_tcvn3_list_is_converted_when_the_box_is_ticked(client, session, organiser):
    body = (
        HEADER + "NguyÔn V¨n §¹t,0911000301,HV301,,CB1\nTrÇn ThÞ H»ng,0911000302,HV302,,CB1\nLª ThÞ Thu,0911000303,HV303,,CB1\n"
    ).encode()
    offered = _upload(client, body)  # recognised: the preview shows the names converted, nothing written yet
    assert offered.status_code == 200 and "TCVN3" in offered.text and "Nguyễn Văn Đạt" in offered.text
    assert 'name="legacy" value="tcvn3"' in offered.text and "NguyÔn" not in offered.text
    session.rollback()
    assert session.exec(select(Member).where(Member.phone == "0911000301")).first() is None
    token = csrf_from(client.get("/org/members/import").text)
    r = client.post(
        "/org/members/import",
        data={"csrf_token": token, "initial_password": "BanDau#2025", "legacy": "tcvn3"},
        files={"file": ("ds.csv", body, "text/csv")},
    )
    assert r.status_code == 200 and 'id="legacy-converted"' in r.text and "Trần Thị Hằng" in r.text
    session.rollback()
    upload_id = session.exec(select(Upload.id).order_by(Upload.id.desc())).first()
    done = client.post(
        f"/org/members/import/{upload_id}/commit",
        data={"csrf_token": csrf_from(r.text), "initial_password": "BanDau#2025", "legacy": "tcvn3"},
    )
    assert done.status_code == 200, done.text
    session.rollback()
    assert session.exec(select(Member).where(Member.phone == "0911000301")).one().full_name == "Nguyễn Văn Đạt"
