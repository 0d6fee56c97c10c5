"""A page rendered once for everyone who gets it, with holes for the few personal pieces, and compressed
once as well.

The text between the holes is deflated once, each piece on its own and ending on a byte boundary
(Z_SYNC_FLUSH); per request only the personal pieces are deflated and a gzip member (RFC 1952) is framed
around them all, since zlib cannot join deflate streams. Why: docs/performance.md#shared-pages.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from app import compression

_HOLE = re.compile(r"<!--hole:([a-z_]+)-->")
# gzip header: magic, deflate, no flags, no modification time, no extra flags, unknown OS
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LAST_BLOCK = zlib.compressobj(1, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # an empty final block
GZIP_MIN_BYTES = 1000  # here and in the gzip middleware (app.main): smaller answers are sent as they are
STORED_MAX = 256  # a personal piece up to this size is sent uncompressed (a stored block: 5 bytes more)
PRIMED = 8192  # how much of the text before a personal piece its compressor is primed with


def hole(name: str) -> Markup:
    """Where a shared page takes a personal piece ({{ hole("card") }} in a template). Markup, so autoescape
    leaves it as is, while anything a person typed (a name) is escaped and so can never spell a hole."""
    return Markup(f"<!--hole:{name}-->")


_SEP = "\x00"  # cannot be typed in a form; escaping leaves it as it is


def escape_all(texts: list[str]) -> list[str]:
    """Each text escaped for HTML as markupsafe.escape does, in one call for them all: a quiz page has some 180
    (its questions, options and option ids), and an escape call each was a tenth of the page."""
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:  # a text holds the separator itself (from an import): one at a time
        return [str(escape(t)) for t in texts]
    return str(escape(joined)).split(_SEP) if texts else []


def _deflate(data: bytes, c: Any) -> bytes:
    """Raw deflate blocks of `data` by compressor `c`, ending on a byte boundary: they can be joined to others."""
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH) if data else b""


def _personal(data: bytes, before: bytes) -> bytes:
    """A personal piece as deflate blocks after `before`. A short one is stored as it is: making a compressor
    (some 20–50 µs) cost more than the few bytes it saved, and a quiz page has a dozen such holes."""
    if not data:
        return b""
    if len(data) <= STORED_MAX:  # one stored block (RFC 1951 3.2.4): header byte, LEN, NLEN, the bytes
        return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data
    # `before`: the text the decoder has just written, whose end the matches may reach back into (its window)
    return _deflate(data, compression.compressor(compression.FAST, -15, before[-PRIMED:]))


@dataclass(frozen=True)
class Piece:
    """A small piece of a page, rendered once, filled many times: the quiz page's 20 question cards are one
    piece per kind of question, filled by string joins instead of a template loop (docs/performance.md)."""

    texts: tuple[str, ...]  # the text between the holes
    holes: tuple[str, ...]  # hole names, one fewer than the texts
    # the texts with a %(name)s for each hole: `%` fills them in C, twice as fast as joining in a Python loop
    pattern: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        marks = tuple(f"%({name})s" for name in self.holes) + ("",)
        object.__setattr__(self, "pattern", "".join(t.replace("%", "%%") + m for t, m in zip(self.texts, marks, strict=True)))

    @classmethod
    def cut(cls, html: str) -> Piece:
        parts = _HOLE.split(html)
        return cls(tuple(parts[0::2]), tuple(parts[1::2]))

    def fill(self, values: dict[str, str]) -> str:
        """The piece with each hole replaced by its value: HTML, escaped by the caller (KeyError if one is missing)."""
        return self.pattern % values


@dataclass(frozen=True)
class SharedPage:
    pieces: tuple[bytes, ...]  # the text between the holes, UTF-8
    holes: tuple[str, ...]  # hole names, one fewer than the pieces
    deflated: tuple[bytes, ...]  # each piece deflated once

    @classmethod
    def cut(cls, html: str) -> SharedPage:
        parts = _HOLE.split(html)  # text, name, text, name, …, text
        pieces = tuple(p.encode() for p in parts[0::2])
        return cls(pieces, tuple(parts[1::2]), tuple(_deflate(p, zlib.compressobj(6, zlib.DEFLATED, -15)) for p in pieces))

    def body(self, fills: dict[str, str], *, mark: tuple[str, str] | None = None, gzip: bool = False) -> tuple[bytes, bool]:
        """The page with its holes filled (a hole without a filling is left empty) and, with `mark` =
        (text, replacement), the first occurrence of text in the shared pieces replaced (the member's own row
        of a board). Gzipped when asked and worth it; returns (body, gzipped)."""
        texts: list[tuple[bytes, bytes | None]] = []  # (text, its deflate blocks if made already)
        needle, replacement = (mark[0].encode(), mark[1].encode()) if mark else (b"", b"")
        for i, piece in enumerate(self.pieces):
            if needle and needle in piece:
                texts.append((piece.replace(needle, replacement, 1), None))
                needle = b""
            else:
                texts.append((piece, self.deflated[i]))
            if i < len(self.holes):
                texts.append((fills.get(self.holes[i], "").encode(), None))
        size = sum(len(t) for t, _ in texts)
        if not gzip or size < GZIP_MIN_BYTES:
            return b"".join(t for t, _ in texts), False
        if sum(len(t) for t, deflated in texts if deflated is None) * 4 >= size:
            # mostly the person's own (a quiz page's cards, home's rounds), which needs a compressor anyway: one for
            # the whole page costs about as much, and its matches across the pieces make it a fifth smaller
            whole = compression.compressor(compression.FAST, 31)
            return whole.compress(b"".join(t for t, _ in texts)) + whole.flush(), True
        crc = 0
        out = [_GZIP_HEADER]
        for i, (text, deflated) in enumerate(texts):
            crc = zlib.crc32(text, crc)
            if deflated is None:  # personal: its matches may reach back into the page before it
                before = b"".join(t for t, _ in texts[:i])[-PRIMED:] if len(text) > STORED_MAX else b""
                deflated = _personal(text, before)
            out.append(deflated)
        out += [_LAST_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
        return b"".join(out), True


def accepts_gzip(accept_encoding: str) -> bool:
    """The gzip middleware's rule, so both answer the same requests compressed."""
    return "gzip" in accept_encoding
