"""Every Vietnamese message in code and templates has an English translation, with the same fields."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHOD_MAP = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
OPTIONS = {"app/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
FIELDS = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def _source_messages() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), METHOD_MAP, OPTIONS, keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def _fields(text: str) -> set[str]:
    return {a or b for a, b in FIELDS.findall(text)}


def test_english_catalogue_is_complete():
    with (ROOT / "app/locale/en/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="en")
    missing, broken = [], []
    for msgid in sorted(_source_messages()):
        message = catalog.get(msgid)
        text = message.string if message else None
        if isinstance(text, tuple | list):
            text = text[0]
        if not text:
            missing.append(msgid)
        elif _fields(text) != _fields(msgid):
            broken.append(msgid)
    assert not missing, f"{len(missing)} messages lack English: {missing[:10]}"
    assert not broken, f"translations whose fields differ from the source: {broken[:10]}"


def test_the_organisation_word_for_members_changes_the_interface_not_peoples_text(client, session):
    """A Party committee's pages say "đảng viên" where the source says "hội viên"; what people typed (a
    name, a question) keeps its own words; English stays "member"."""
    from app import i18n
    from app.services.org import units
    from tests.factories import make_member, make_unit
    from tests.pagehelpers import page_login

    top = make_unit(session, "DB-TDM", name="Đảng bộ có hội viên trong tên", kind="Đảng bộ")
    make_member(session, top, phone="0933000001", roles=(("organiser", top),))
    assert units.member_term_key(session=session) in ("dang_vien", "hoi_vien")  # the oldest top unit decides
    assert i18n.term_for_kind("Đảng bộ") == "dang_vien" and i18n.term_for_kind("Đoàn cơ sở") == "doan_vien"
    assert i18n.term_for_kind("Hội Nông dân") == "hoi_vien"
    page_login(client, "0933000001")
    try:
        i18n.set_member_term("dang_vien")
        page = client.get("/org/members").text
        assert "Mã đảng viên" in page or "đảng viên" in page
        assert "hội viên" not in page.replace("Đảng bộ có hội viên trong tên", "")
        assert "Đảng bộ có hội viên trong tên" in page  # a unit's own name is not rewritten
        assert i18n.translate("Số hội viên của đơn vị", "vi") == "Số đảng viên của đơn vị"
        assert i18n.translate("Tổng số đảng viên/đoàn viên", "vi") == "Tổng số đảng viên"
        i18n.set_member_term("doan_vien")
        assert i18n.translate("Hội viên", "vi") == "Đoàn viên"
    finally:
        i18n.set_member_term("hoi_vien")


def test_a_quantity_in_a_message_is_written_as_the_locale_writes_numbers_and_a_plain_int_as_it_is():
    """i18n.Quantity: a prediction of 1200 reads "1.200" in Vietnamese and "1,200" in English; a year or a row
    number (a plain int) is left alone."""
    from app.i18n import Quantity, translate

    message = "Dự đoán của bạn đã được chốt ở lượt nộp đầu tiên: {value}."
    assert translate(message, "vi", value=Quantity(1200)) == "Dự đoán của bạn đã được chốt ở lượt nộp đầu tiên: 1.200."
    assert translate(message, "en", value=Quantity(1200)).endswith(": 1,200.")
    assert translate(message, "vi", value=2026).endswith(": 2026.")
