"""A phone's browser, as far as the server can tell: the pages' cookies (login, CSRF seed), form posts with the
CSRF field, htmx requests with the CSRF header, gzip asked for, 303s answered by the next GET. On the raw
keep-alive client of bench/flows.py (flows.Conn), for the reason given there: on 2 cores a heavier client would
take the servers' CPU. Only what bench/journey.py needs of HTML is read, with regular expressions."""

from __future__ import annotations

import re
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

from app.deps import CSRF_FIELD, CSRF_HEADER, TOKEN_COOKIE
from bench import flows
from bench.servers import HOST

USER_AGENT = "Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
ACCEPT_HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
GZIP = "gzip, deflate, br"

_CSRF_RE = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')
_OPTION_RE = re.compile(r'<input type="(radio|checkbox)" name="q(\d+)" value="([^"]+)"')


@dataclass
class Page:
    status: int
    headers: list[tuple[str, str]]
    raw: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def text(self) -> str:
        body = self.raw
        if body and self.header("content-encoding") == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        return body.decode(errors="replace")

    @property
    def location(self) -> str:
        loc = self.header("location") or ""
        return re.sub(r"^https?://[^/]+", "", loc)


def csrf_of(html: str) -> str | None:
    m = _CSRF_RE.search(html)
    return m.group(1) if m else None


def questions_of(html: str) -> list[tuple[int, str, list[str]]]:
    """The quiz page's questions: (position, "multiple" for checkboxes else "single", option ids in page order)."""
    found: dict[int, tuple[str, list[str]]] = {}
    for kind, pos, value in _OPTION_RE.findall(html):
        found.setdefault(int(pos), ("multiple" if kind == "checkbox" else "single", []))[1].append(value)
    return [(pos, kind, opts) for pos, (kind, opts) in sorted(found.items())]


class Browser(flows.Conn):
    """One keep-alive connection; cookies are the journey's (Jar), not the connection's."""

    async def send(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b"") -> Page:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}", *(f"{k}: {v}" for k, v in headers)]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        return await self.guarded(self._page(raw))

    async def _page(self, raw: bytes) -> Page:
        head = await self.send_head(raw)
        assert self.reader is not None
        status = int(head[9:12])
        headers = []
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers.append((name.strip().lower(), value.strip()))
        page = Page(status, headers, b"")
        if page.header("transfer-encoding") == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append((await self.reader.readexactly(size + 2))[:-2])
            await self.reader.readuntil(b"\r\n")
            page.raw = b"".join(parts)
        elif length := int(page.header("content-length") or 0):
            page.raw = await self.reader.readexactly(length)
        if (page.header("connection") or "").lower() == "close":
            self.close()
        return page


@dataclass
class Jar:
    """A member's cookies: the login cookie set beforehand, then whatever the pages set (the CSRF seed)."""

    cookies: dict[str, str]

    def take(self, page: Page) -> None:
        for name, value in page.headers:
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                k, _, v = pair.partition("=")
                if v and "max-age=0" not in value.lower():
                    self.cookies[k.strip()] = v.strip().strip('"')
                else:
                    self.cookies.pop(k.strip(), None)

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def login_jar(token: str) -> Jar:
    return Jar({TOKEN_COOKIE: token})


def form(fields: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields).encode()


@dataclass
class Steps:
    """Latency and errors per step (flows.Tally's figures), the first failing answer of each step, and the
    requests and their results the database check needs."""

    tally: flows.Tally = field(default_factory=flows.Tally)
    samples: dict[str, str] = field(default_factory=dict)

    def failed(self, name: str, what: str, page: Page | None = None) -> None:
        self.tally.errors[name][what] += 1
        if name not in self.samples:
            self.samples[name] = what + (f": {page.text[:400]!r}" if page is not None else "")

    async def call(
        self,
        conn: Browser,
        jar: Jar,
        name: str,
        method: str,
        path: str,
        *,
        expect: int,
        gzip: bool,
        fields: list[tuple[str, str]] | None = None,
        htmx: dict[str, str] | None = None,
    ) -> Page | None:
        headers = [("User-Agent", USER_AGENT), ("Accept", "*/*" if htmx is not None else ACCEPT_HTML)]
        if gzip:
            headers.append(("Accept-Encoding", GZIP))
        if htmx is not None:  # what htmx adds: its own headers and the CSRF token from the body's hx-headers
            headers += [("HX-Request", "true"), *htmx.items()]
        if fields is not None:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        headers.append(("Cookie", jar.header()))
        t0 = time.perf_counter()
        try:
            page = await conn.send(method, path, headers, form(fields) if fields is not None else b"")
        except flows.HttpError as exc:
            self.failed(name, str(exc))
            return None
        self.tally.seconds[name].append(time.perf_counter() - t0)
        jar.take(page)
        if page.status != expect:
            self.failed(name, f"HTTP {page.status}", page)
            return None
        return page


def htmx_headers(csrf: str, current_url: str, target: str, trigger: str) -> dict[str, str]:
    return {CSRF_HEADER: csrf, "HX-Current-URL": current_url, "HX-Target": target, "HX-Trigger": trigger}


def error_total(errors: dict[str, Counter[str]] | defaultdict) -> int:
    return sum(sum(c.values()) for c in errors.values())
