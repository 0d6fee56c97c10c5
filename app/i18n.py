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


@lru_cache
def translations(locale: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT or not po_path.exists():
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


def translate(msgid: str, locale: str, /, **params: object) -> str:
    text = translations(locale).gettext(msgid)
    if params:
        try:
            return text.format(**params)
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
