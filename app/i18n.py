"""Message catalogues. Source strings are Vietnamese (the default language needs no catalogue);
app/locale/<lang>/LC_MESSAGES/messages.po translates them. The .po files are compiled in memory at
start-up, so there is no build step and no binary file in the repository."""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("vi", "en")
DEFAULT = "vi"


# What the organisation calls its members. The source strings say "hội viên"; a Party committee says
# "đảng viên", the Youth Union "đoàn viên". Only the interface's own words change, never a person's text.
MEMBER_TERMS = {"hoi_vien": "hội viên", "dang_vien": "đảng viên", "doan_vien": "đoàn viên"}
_SOURCE_TERMS = ("đảng viên/đoàn viên", "đảng viên, đoàn viên", "hội viên")
_term = {"word": MEMBER_TERMS["hoi_vien"]}


def set_member_term(key: str) -> None:
    _term["word"] = MEMBER_TERMS.get(key, MEMBER_TERMS["hoi_vien"])


def member_term() -> str:
    return _term["word"]


def term_for_kind(kind: str) -> str:
    """The word a top unit's kind implies: Đảng bộ → đảng viên, Đoàn … → đoàn viên, anything else hội viên."""
    folded = kind.casefold()
    if "đảng" in folded:
        return "dang_vien"
    if "đoàn" in folded:
        return "doan_vien"
    return "hoi_vien"


_termed: dict[tuple[str, str], str] = {}  # (message, word) → the message in the organisation's words


def _with_term(text: str) -> str:
    """Memoised: a page asks for dozens of messages, from a catalogue of a few thousand."""
    word = _term["word"]
    done = _termed.get((text, word))
    if done is None:
        if len(_termed) > 20_000:  # only catalogue messages come here; a bound all the same
            _termed.clear()
        done = _termed[(text, word)] = _replace_terms(text, word)
    return done


def _replace_terms(text: str, word: str) -> str:
    for source in _SOURCE_TERMS:
        if source in text:
            text = text.replace(source, word)
        capital = source[:1].upper() + source[1:]
        if capital in text:
            text = text.replace(capital, word[:1].upper() + word[1:])
    return text


class _Vietnamese(gettext.NullTranslations):
    """The source language, with the organisation's word for its members."""

    def gettext(self, message: str) -> str:
        return _with_term(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return _with_term(msgid1 if n == 1 else msgid2)


@lru_cache
def translations(locale: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT:
        return _Vietnamese()
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def pick_locale(cookie_value: str | None) -> str:
    """The language the person chose (cookie), else Vietnamese. Accept-Language is not trusted for
    this: many Vietnamese phones run in English while their owners expect a Vietnamese contest."""
    return cookie_value if cookie_value in SUPPORTED else DEFAULT


def from_accept_language(header: str | None) -> str:
    """The language an API client asks for (Accept-Language, by weight), among those there are; else
    Vietnamese. Pages go by the reader's own choice (pick_locale), not by this header."""
    best, best_q = DEFAULT, -1.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in SUPPORTED and q > best_q:
            best, best_q = lang, q
    return best


class Quantity(int):
    """A message's parameter that counts or measures (a prediction): written as the locale writes numbers
    ("1.200"), where a plain int (a year, a row number) is written as it is."""


def translate(msgid: str, locale: str, /, **params: object) -> str:
    text = translations(locale).gettext(msgid)
    if params:
        try:
            return text.format(**{k: number(v, locale) if isinstance(v, Quantity) else v for k, v in params.items()})
        except (KeyError, IndexError, ValueError):
            return text
    return text


def percent(rate: float | None, locale: str, digits: int = 1) -> str:
    """A share as people write it: "0,8 %" in Vietnamese (decimal comma, a no-break space before the
    sign), "0.8%" in English; "—" when there is no rate."""
    if rate is None:
        return "—"
    text = f"{rate * 100:.{digits}f}"
    return f"{text.replace('.', ',')}\u00a0%" if locale == "vi" else f"{text}%"


def number(value: int | float | None, locale: str) -> str:
    """Digit grouping as people read it: 8.292 in Vietnamese, 8,292 in English."""
    if value is None:
        return ""
    text = f"{value:,}"
    return text.replace(",", ".") if locale == "vi" else text
