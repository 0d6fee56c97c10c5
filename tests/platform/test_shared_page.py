"""app.shared_page: a shared page cut at its holes, filled per request, and gzipped from pieces deflated once.
Every gzipped body must decompress (Python's gzip and zlib, as a browser's decoder would) to exactly the plain
body; the e2e board test reads such pages in Chromium."""

from __future__ import annotations

import gzip
import random
import zlib

import pytest
from markupsafe import escape

from app import compression
from app.shared_page import GZIP_MIN_BYTES, Piece, SharedPage, accepts_gzip, escape_all, hole

ROWS = "".join(f'<tr data-m="{i}"><td>{i}</td><td>Nguyễn Thị Đào {i}</td><td>Chi bộ {i % 7}</td></tr>\n' for i in range(1, 80))
PAGE = (
    f'<html><head><meta name="csrf" content="{hole("csrf")}"></head><body>{hole("card")}'
    f"<nav>{hole('mine')}</nav><table>{ROWS}</table>"
    f'<form><input name="csrf_token" value="{hole("csrf")}"></form></body></html>'
)
FILLS = {"csrf": "tok-123", "card": "<div class=card>Thứ 37/412 trong Chi bộ 3</div>", "mine": "<a href=/x>Chi bộ 3</a>"}


def _naive(html: str, fills: dict[str, str], mark: tuple[str, str] | None = None) -> str:
    if mark:
        html = html.replace(mark[0], mark[1], 1)
    for name, piece in fills.items():
        html = html.replace(f"<!--hole:{name}-->", piece)
    return html


def test_holes_are_filled_and_an_unfilled_hole_is_empty():
    page = SharedPage.cut(PAGE)
    assert page.holes == ("csrf", "card", "mine", "csrf")
    body, gzipped = page.body(FILLS)
    assert not gzipped and body.decode() == _naive(PAGE, FILLS)
    body, _ = page.body({"csrf": "t"})
    assert b"<!--hole:" not in body and b"<nav></nav>" in body


def test_the_mark_changes_the_first_occurrence_in_the_shared_text_only():
    page = SharedPage.cut(PAGE)
    mark = ('<tr data-m="5">', '<tr data-m="5" class="me">')
    body, _ = page.body(FILLS, mark=mark)
    assert body.decode() == _naive(PAGE, FILLS, mark) and body.count(b'class="me"') == 1
    # a hole's filling is the person's own: a mark never reaches into it
    body, _ = page.body({**FILLS, "card": '<tr data-m="5">'}, mark=mark)
    assert body.count(b'class="me"') == 1
    assert body.index(b'class="me"') > body.index(b"<table>")


def test_gzipped_bodies_decompress_to_the_plain_body():
    rng = random.Random(5)
    page = SharedPage.cut(PAGE)
    for _ in range(50):
        fills = {
            name: "".join(rng.choice("aăâbcdđeêghiklmnoôơpqrstuưvxy <>/&") for _ in range(rng.randrange(0, 400)))
            for name in ("csrf", "card", "mine")
        }
        member = rng.randrange(0, 90)
        mark = (f'<tr data-m="{member}">', f'<tr data-m="{member}" class="me" aria-current="true">')
        plain, gzipped = page.body(fills, mark=mark)
        packed, gzipped = page.body(fills, mark=mark, gzip=True)
        assert gzipped and not plain.startswith(b"\x1f\x8b")
        assert gzip.decompress(packed) == plain
        assert zlib.decompress(packed, wbits=31) == plain  # one gzip member, CRC and length checked
        assert len(packed) < len(plain) / 3


def test_a_personal_piece_is_compressed_against_the_page_before_it_and_a_short_one_is_stored():
    """Matches of a long personal piece reach back into the shared text before it, which the browser's decoder
    holds in its window: a piece that repeats that text costs a fraction of itself compressed alone. A short
    one goes uncompressed (a compressor cost more than it saved); both decompress to the plain body."""
    html = f"<html><table>{ROWS}</table>{hole('late')}<p>{hole('csrf')}</p></html>"
    page = SharedPage.cut(html)
    copy = ROWS[:1200]  # under a quarter of the page: the shared pieces stay as deflated once
    empty, _ = page.body({"csrf": "t"}, gzip=True)
    repeated, _ = page.body({"csrf": "t", "late": copy}, gzip=True)
    alone = zlib.compressobj(1, zlib.DEFLATED, -15)
    assert len(repeated) - len(empty) < len(alone.compress(copy.encode()) + alone.flush()) * 0.6
    assert gzip.decompress(repeated).decode() == _naive(html, {"csrf": "t", "late": copy})
    short, _ = page.body({"csrf": "tok-ABC"}, gzip=True)
    assert b"tok-ABC" in short and gzip.decompress(short).decode() == _naive(html, {"csrf": "tok-ABC", "late": ""})


def test_a_page_mostly_of_personal_text_is_compressed_whole():
    """A quiz page's cards, home's rounds: when a quarter or more of the page is the person's own, the page is
    compressed in one go, its matches crossing the holes, and decompresses to the plain body."""
    html = f"<html><head><title>Trang chủ</title></head><body>{hole('mine')}<footer>{hole('csrf')}</footer></body></html>"
    page = SharedPage.cut(html)
    mine = ROWS[:3000]
    packed, gzipped = page.body({"mine": mine, "csrf": "tok"}, gzip=True)
    assert gzipped and gzip.decompress(packed).decode() == _naive(html, {"mine": mine, "csrf": "tok"})
    alone = compression.compressor(compression.FAST, -15)  # the same compressor on the person's text alone
    assert len(packed) < len(alone.compress(mine.encode()) + alone.flush()) + 100


def test_a_small_answer_is_not_gzipped_and_accepts_gzip_reads_the_header():
    page = SharedPage.cut(f"<p>{hole('csrf')}</p>")
    body, gzipped = page.body({"csrf": "x"}, gzip=True)
    assert not gzipped and body == b"<p>x</p>" and len(body) < GZIP_MIN_BYTES
    assert accepts_gzip("gzip, deflate, br") and not accepts_gzip("identity") and not accepts_gzip("")


def test_a_piece_is_filled_at_each_hole_and_a_missing_value_is_an_error():
    piece = Piece.cut(f'<a href="#q{hole("n")}">{hole("n")}</a>{hole("done")}')
    assert piece.fill({"n": "3", "done": " ✓"}) == '<a href="#q3">3</a> ✓'
    with pytest.raises(KeyError):
        piece.fill({"n": "3"})
    # braces are text, in the piece (a data-hx-vals JSON, a script) and in what fills it
    braced = Piece.cut(f"<p data-x='{{\"a\": 1}}'>{hole('v')}</p>{{}}")
    assert braced.fill({"v": "{v} {0}"}) == "<p data-x='{\"a\": 1}'>{v} {0}</p>{}"
    assert Piece.cut("no hole {at} all").fill({}) == "no hole {at} all"
    # so are percent signs (a width, a "%(n)s" typed into a question)
    percent = Piece.cut(f'<b style="width:50%">{hole("v")} %(v)s %%</b>')
    assert percent.fill({"v": "%(v)s 100%"}) == '<b style="width:50%">%(v)s 100% %(v)s %%</b>'


def test_texts_escaped_together_come_out_as_each_escaped_alone():
    texts = ['<script>alert("x")</script>', "Đúng & 'Sai'", "", "a\x00b", "<b>", "Nghị quyết số 1"]
    assert escape_all(texts) == [str(escape(t)) for t in texts]  # one holds the separator: one at a time
    assert escape_all(texts[:3] + texts[4:]) == [str(escape(t)) for t in texts[:3] + texts[4:]]
    assert escape_all([]) == [] and escape_all([""]) == [""]
