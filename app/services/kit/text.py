"""Vietnamese text: NFC on the way in, folding for search, and the Vietnamese name order."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# What may not enter as text: control characters (line breaks are white space and folded where text is one
# line), the invisible format characters that reverse or hide text (U+202E turns "exe.txt" into "txt.exe";
# zero-width ones make two equal names differ, so duplicates go unseen) and the non-characters U+FFFE/FFFF,
# which XML (XLSX, Moodle XML) cannot carry.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\ufffe\uffff]"
)

# The Vietnamese alphabet, with the letters borrowed for foreign names at their Latin places.
_ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
_LETTER_CODE = {letter: f"{i + 11:02d}" for i, letter in enumerate(_ALPHABET)}
# Dictionary order of the tones: level, huyền, hỏi, ngã, sắc, nặng.
_TONE_DIGIT = {"\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0301": "5", "\u0323": "6"}
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn: part of the letter


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def clean(value: str | None) -> str:
    """NFC, trimmed, inner runs of white space folded to one space, nothing invisible (INVISIBLE)."""
    if value is None:
        return ""
    return _SPACES.sub(" ", INVISIBLE.sub("", nfc(value))).strip()


def clean_lines(value: str | None) -> str:
    """clean() line by line, for text that may run over several lines (a question quoting a table or a
    passage): line breaks are kept, empty lines dropped (a blank line would end a question in GIFT)."""
    if value is None:
        return ""
    lines = (clean(line) for line in nfc(value).replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def fold(value: str) -> str:
    """Lower case without diacritics ("Nguyễn Thị Đào" -> "nguyen thi dao"), for search."""
    decomposed = unicodedata.normalize("NFD", clean(value).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _word_key(word: str) -> tuple[str, str]:
    letters: list[str] = []
    tone = "1"
    for ch in nfc(word.lower()):
        base_and_marks = unicodedata.normalize("NFD", ch)
        base, marks = base_and_marks[0], base_and_marks[1:]
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in _LETTER_MARKS))
        for mark in marks:
            tone = _TONE_DIGIT.get(mark, tone)
        letters.append(_LETTER_CODE.get(letter, "09"))
    return "".join(letters), tone


def vn_name_sort_key(full_name: str) -> str:
    """A key that sorts names the Vietnamese way in any database collation (digits only).

    Given name first, then family and middle names; letters in Vietnamese alphabet order
    (a < ă < â < b … d < đ …); tones only break ties between names that are otherwise equal.
    Words are joined by "01" and the tone part follows a "00", so a name that is a prefix of
    another sorts first.
    """
    words = clean(full_name).split(" ")
    if not words or words == [""]:
        return ""
    ordered = [words[-1], *words[:-1]]
    keys = [_word_key(w) for w in ordered]
    return "01".join(k for k, _ in keys) + "00" + "".join(t for _, t in keys)
