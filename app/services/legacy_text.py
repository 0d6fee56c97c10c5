"""Vietnamese written in TCVN3 (ABC), the code of the .VnTime fonts offices still use: recognised and turned
into Unicode, whether the file kept the old bytes or the text was pasted into (or saved as) UTF-8, where it
shows as "NghÞ quyÕt §¹i héi". The letters are TCVN 5712's VN3 table; TCVN3 has no capital accented letters
of its own (headings used the .VnTimeH font on the lower-case codes), so those come out in lower case."""
from __future__ import annotations

import re
import unicodedata

# byte (as the Latin-1 character it shows as) -> letter
_TCVN3 = dict(zip(
    "\u00a1\u00a2\u00a3\u00a4\u00a5\u00a6\u00a7\u00a8\u00a9\u00aa\u00ab\u00ac\u00ad\u00ae"
    "\u00b5\u00b6\u00b7\u00b8\u00b9\u00bb\u00bc\u00bd\u00be\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb"
    "\u00cc\u00ce\u00cf\u00d0\u00d1\u00d2\u00d3\u00d4\u00d5\u00d6\u00d7\u00d8\u00dc\u00dd\u00de"
    "\u00df\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee"
    "\u00ef\u00f1\u00f2\u00f3\u00f4\u00f5\u00f6\u00f7\u00f8\u00f9\u00fa\u00fb\u00fc\u00fd\u00fe",
    "ĂÂÊÔƠƯĐăâêôơưđ"
    "àảãáạằẳẵắặầẩẫấậ"
    "èẻẽéẹềểễếệìỉĩíị"
    "òỏõóọồổỗốộờởỡớợ"
    "ùủũúụừửữứựỳỷỹýỵ", strict=True))
_TABLE = str.maketrans(_TCVN3)
# Characters a Vietnamese Unicode text never holds but TCVN3 read as Latin-1 is full of: "§" (Đ), "¹" (ạ),
# "Þ" (ị), "Õ" (ế), "µ" (à), "¸" (á), the soft hyphen (ư) …
# (Letters Vietnamese itself uses, such as È Ê Õ è õ, are left out even where TCVN3 uses their codes.)
_TELLTALE = re.compile("[\u00a1-\u00ae\u00b5-\u00be\u00c6\u00c7\u00cb\u00ce-\u00d1\u00d6-\u00d8\u00de\u00df"
                       "\u00e4-\u00e7\u00eb\u00ee\u00ef\u00f1\u00f6-\u00f8\u00fb\u00fc\u00fe]")
_WORD = re.compile(r"\w+")


def looks_tcvn3(text: str) -> bool:
    """Whether `text` is TCVN3 shown as Latin-1: several telltale characters, inside words."""
    telltales = len(_TELLTALE.findall(text))
    words = len(_WORD.findall(text)) or 1
    return telltales >= 3 and telltales / words > 0.05


def tcvn3_to_unicode(text: str) -> str:
    """Each line that shows TCVN3's telltale characters, converted; a line already in Unicode (a template's
    Vietnamese header above TCVN3 rows, say) is left as it is, since TCVN3 reuses codes of Unicode letters."""
    return "".join(line.translate(_TABLE) if _TELLTALE.search(line) else line
                   for line in text.splitlines(keepends=True))


_SYMBOLS = set("¡¢£¤¥¦§¨ª¬\u00ad®¯±²³´µ¶·¸¹º¼½¾¿×÷")
_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"}


def plain_vietnamese(text: str) -> bool:
    """Whether every letter beyond ASCII is a Vietnamese one (after NFC): text that another legacy code page
    (Windows-1258) decodes cleanly, and so is not TCVN3."""
    for ch in unicodedata.normalize("NFC", text):
        if ch in _SYMBOLS:  # TCVN3's letters ("§" Đ, "¹" ạ …) as Windows-1258 reads them
            return False
        if ch.isascii() or ch in "đĐ" or not ch.isalpha():
            continue
        base, *marks = unicodedata.normalize("NFD", ch)
        if not base.isascii() or any(m not in _MARKS for m in marks):
            return False
    return True


def tcvn3_all(text: str) -> str:
    """Every character converted: text known to be TCVN3 throughout (a file kept in its old bytes)."""
    return text.translate(_TABLE)


def tcvn3_bytes(content: bytes) -> str | None:
    """A file kept in TCVN3 bytes, as Unicode; None when it does not look like TCVN3."""
    try:
        if plain_vietnamese(content.decode("cp1258")):
            return None  # Windows-1258, whose combining tone marks would look like TCVN3's letters
    except UnicodeDecodeError:
        pass
    text = content.decode("latin-1")
    return text.translate(_TABLE) if looks_tcvn3(text) else None


def samples(texts: list[str], limit: int = 3) -> list[tuple[str, str]]:
    """A few (as written, as converted) pairs to show the organiser before converting."""
    out = []
    for text in texts:
        if text and _TELLTALE.search(text):
            out.append((text, text.translate(_TABLE)))
            if len(out) >= limit:
                break
    return out
