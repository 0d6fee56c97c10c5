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
from dataclasses import dataclass

from markupsafe import Markup

_HOLE = re.compile(r"<!--hole:([a-z_]+)-->")
# gzip header: magic, deflate, no flags, no modification time, no extra flags, unknown OS
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LAST_BLOCK = zlib.compressobj(1, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # an empty final block
GZIP_MIN_BYTES = 1000  # here and in the gzip middleware (app.main): smaller answers are sent as they are


def hole(name: str) -> Markup:
    """Where a shared page takes a personal piece ({{ hole("card") }} in a template). Markup, so autoescape
    leaves it as is, while anything a person typed (a name) is escaped and so can never spell a hole."""
    return Markup(f"<!--hole:{name}-->")


def _deflate(data: bytes, level: int) -> bytes:
    """Raw deflate blocks of `data` alone, ending on a byte boundary: they can be joined to others."""
    if not data:
        return b""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


@dataclass(frozen=True)
class Piece:
    """A small piece of a page, rendered once, filled many times: the quiz page's 20 question cards are one
    piece per kind of question, filled by string joins instead of a template loop (docs/performance.md)."""

    texts: tuple[str, ...]  # the text between the holes
    holes: tuple[str, ...]  # hole names, one fewer than the texts

    @classmethod
    def cut(cls, html: str) -> Piece:
        parts = _HOLE.split(html)
        return cls(tuple(parts[0::2]), tuple(parts[1::2]))

    def fill(self, values: dict[str, str]) -> str:
        """The piece with each hole replaced by its value: HTML, escaped by the caller (KeyError if one is missing)."""
        out = [self.texts[0]]
        for name, text in zip(self.holes, self.texts[1:], strict=True):
            out += (values[name], text)
        return "".join(out)


@dataclass(frozen=True)
class SharedPage:
    pieces: tuple[bytes, ...]  # the text between the holes, UTF-8
    holes: tuple[str, ...]  # hole names, one fewer than the pieces
    deflated: tuple[bytes, ...]  # each piece deflated once

    @classmethod
    def cut(cls, html: str) -> SharedPage:
        parts = _HOLE.split(html)  # text, name, text, name, …, text
        pieces = tuple(p.encode() for p in parts[0::2])
        return cls(pieces, tuple(parts[1::2]), tuple(_deflate(p, 6) for p in pieces))

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
        crc = 0
        out = [_GZIP_HEADER]
        for text, deflated in texts:
            crc = zlib.crc32(text, crc)
            out.append(deflated if deflated is not None else _deflate(text, 1))
        out += [_LAST_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
        return b"".join(out), True


def accepts_gzip(accept_encoding: str) -> bool:
    """The gzip middleware's rule, so both answer the same requests compressed."""
    return "gzip" in accept_encoding
