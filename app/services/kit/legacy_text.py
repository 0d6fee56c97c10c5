"""Vietnamese written in the two legacy codes offices still use, recognised and turned into Unicode, whether
the file kept the old bytes or the text was pasted into (or saved as) UTF-8:

- TCVN3 (ABC), the .VnTime fonts: one byte a letter; shows as "NghÞ quyÕt §¹i héi". The letters are TCVN
  5712's VN3 table; TCVN3 has no capital accented letters of its own (headings used the .VnTimeH font on the
  lower-case codes), so those come out in lower case.
- VNI (VNI-Windows), the VNI-Times fonts: a base letter followed by a mark byte; shows as
  "Nghò quyeát Ñaïi hoäi".

Both reuse the codes of letters Vietnamese Unicode has (é, ô …), so a text is taken for one of them only when
it holds several of the characters Vietnamese never uses, and they are told apart by which: TCVN3 is full of
symbols (§ ¹ ¬ …), VNI only of letters (ï ä ø ñ …)."""

from __future__ import annotations

import re
import unicodedata

# byte (as the Latin-1 character it shows as) -> letter
_TCVN3 = dict(
    zip(
        "\u00a1\u00a2\u00a3\u00a4\u00a5\u00a6\u00a7\u00a8\u00a9\u00aa\u00ab\u00ac\u00ad\u00ae"
        "\u00b5\u00b6\u00b7\u00b8\u00b9\u00bb\u00bc\u00bd\u00be\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb"
        "\u00cc\u00ce\u00cf\u00d0\u00d1\u00d2\u00d3\u00d4\u00d5\u00d6\u00d7\u00d8\u00dc\u00dd\u00de"
        "\u00df\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee"
        "\u00ef\u00f1\u00f2\u00f3\u00f4\u00f5\u00f6\u00f7\u00f8\u00f9\u00fa\u00fb\u00fc\u00fd\u00fe",
        "ĂÂÊÔƠƯĐăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ",
        strict=True,
    )
)
_TABLE = str.maketrans(_TCVN3)
# Characters a Vietnamese Unicode text never holds but TCVN3 read as Latin-1 is full of: "§" (Đ), "¹" (ạ),
# "Þ" (ị), "Õ" (ế), "µ" (à), "¸" (á), the soft hyphen (ư) …
# (Letters Vietnamese itself uses, such as È Ê Õ è õ, are left out even where TCVN3 uses their codes.)
_TELLTALE = re.compile(
    "[\u00a1-\u00ae\u00b5-\u00be\u00c6\u00c7\u00cb\u00ce-\u00d1\u00d6-\u00d8\u00de\u00df"
    "\u00e4-\u00e7\u00eb\u00ee\u00ef\u00f1\u00f6-\u00f8\u00fb\u00fc\u00fe]"
)
_WORD = re.compile(r"\w+")


def looks_tcvn3(text: str) -> bool:
    """Whether `text` is TCVN3 shown as Latin-1: several telltale characters, inside words."""
    telltales = len(_TELLTALE.findall(text))
    words = len(_WORD.findall(text)) or 1
    return telltales >= 3 and telltales / words > 0.05


def _legacy_line(line: str) -> bool:
    """Text read from a legacy code holds nothing beyond U+00FF; a line that does (ư, ơ, đ, ạ …) is already
    Unicode (a template's Vietnamese header above the legacy rows, say) and is left as it is."""
    return all(ord(ch) <= 0xFF for ch in line)


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
        decomposed = unicodedata.normalize("NFD", ch)
        if not decomposed[0].isascii() or any(m not in _MARKS for m in decomposed[1:]):
            return False
    return True


def legacy_bytes(content: bytes) -> tuple[str, str] | None:
    """(code, text as Unicode) of a file kept in a legacy code's own bytes; None when it is neither."""
    try:
        if plain_vietnamese(content.decode("cp1258")):
            return None  # Windows-1258, whose combining tone marks would look like TCVN3's letters
    except UnicodeDecodeError:
        pass
    text = content.decode("latin-1")
    code = detect(text)
    return (code, whole(text, code)) if code else None


def sample_pairs(texts: list[str], code: str, limit: int = 3) -> list[tuple[str, str]]:
    """A few (as written, as converted) pairs to show the organiser before converting."""
    telltale = _VNI_TELLTALE if code == "vni" else _TELLTALE
    out = []
    for text in texts:
        if text and telltale.search(text):
            out.append((text, whole(text, code)))
            if len(out) >= limit:
                break
    return out


# VNI: the mark that follows a vowel (as the Latin-1 letter it shows as) -> the combining marks it stands for
_VNI_MARKS = {
    "ù": "\u0301",
    "ø": "\u0300",
    "û": "\u0309",
    "õ": "\u0303",
    "ï": "\u0323",
    "â": "\u0302",
    "á": "\u0302\u0301",
    "à": "\u0302\u0300",
    "å": "\u0302\u0309",
    "ã": "\u0302\u0303",
    "ä": "\u0302\u0323",
    "ê": "\u0306",
    "é": "\u0306\u0301",
    "è": "\u0306\u0300",
    "ú": "\u0306\u0309",
    "ü": "\u0306\u0303",
    "ë": "\u0306\u0323",
}
_VNI_MARKS.update({k.upper(): v for k, v in list(_VNI_MARKS.items())})
# letters VNI writes as one byte: ơ ư đ, the i with each tone, and ỵ
_VNI_SINGLE = {
    "ô": "ơ",
    "Ô": "Ơ",
    "ö": "ư",
    "Ö": "Ư",
    "ñ": "đ",
    "Ñ": "Đ",
    "í": "í",
    "Í": "Í",
    "ì": "ì",
    "Ì": "Ì",
    "æ": "ỉ",
    "Æ": "Ỉ",
    "ó": "ĩ",
    "Ó": "Ĩ",
    "ò": "ị",
    "Ò": "Ị",
    "î": "ỵ",
    "Î": "Ỵ",
}
_VNI_LETTER = re.compile("([aeouyAEOUYôöÔÖ])([" + "".join(_VNI_MARKS) + "])|([" + "".join(_VNI_SINGLE) + "])")
_VNI_TELLTALE = re.compile("[ïäëüåøûæîñöÏÄËÜÅØÛÆÎÑÖ]")
_TCVN3_SYMBOLS = re.compile("[\u00a1-\u00ae\u00b5-\u00be]")


def looks_vni(text: str) -> bool:
    """Whether `text` is VNI shown as Latin-1: several of its mark letters, and none of TCVN3's symbols."""
    telltales = len(_VNI_TELLTALE.findall(text))
    words = len(_WORD.findall(text)) or 1
    return telltales >= 3 and telltales / words > 0.05 and len(_TCVN3_SYMBOLS.findall(text)) < telltales / 4


def vni_to_unicode(text: str) -> str:
    """VNI letters (a vowel and its mark byte, and the one-byte letters) as Unicode, in NFC; one pass, so a
    letter made from a pair is never read again as a one-byte letter."""

    def letter(m: re.Match[str]) -> str:
        if m.group(3):
            return _VNI_SINGLE[m.group(3)]
        base = _VNI_SINGLE.get(m.group(1), m.group(1))
        return unicodedata.normalize("NFC", base + _VNI_MARKS[m.group(2)])

    return _VNI_LETTER.sub(letter, text)


def detect(text: str) -> str | None:
    """ "tcvn3", "vni" or None, for text that reached Unicode as Latin-1 letters."""
    if _TCVN3_SYMBOLS.search(text) and looks_tcvn3(text):
        return "tcvn3"
    if looks_vni(text):
        return "vni"
    return "tcvn3" if looks_tcvn3(text) else None


CODES = {"tcvn3": ".VnTime (TCVN3/ABC)", "vni": "VNI-Times (VNI)"}


def whole(text: str, code: str) -> str:
    """Every character read in `code`: text known to be in it throughout (a file kept in its old bytes)."""
    return vni_to_unicode(text) if code == "vni" else text.translate(_TABLE)


def convert(text: str, code: str) -> str:
    """Lines written in `code` as Unicode; a line already in Unicode is left alone (_legacy_line)."""
    return "".join(whole(line, code) if _legacy_line(line) else line for line in text.splitlines(keepends=True))


def legacy_code(value: str | None) -> str | None:
    """A form's choice of legacy code, when it is one."""
    return value if value in CODES else None
