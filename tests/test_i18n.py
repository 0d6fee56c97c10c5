"""Every Vietnamese message in code and templates has an English translation, with the same fields."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
METHOD_MAP = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
OPTIONS = {"app/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
FIELDS = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def _source_messages() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT), METHOD_MAP, OPTIONS, keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}):
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
