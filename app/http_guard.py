"""What every HTTP answer carries and every request is held to, before any route runs:

- a size limit on request bodies by route (uploads up to the import limit, everything else small), refused
  with 413 before the body is read (docs/performance.md#request-body-limits);
- security headers: a Content-Security-Policy (the pages need no inline script), no framing, no MIME
  sniffing, a referrer policy, HSTS where cookies are Secure, and `Cache-Control: no-store` on anything
  answered to a logged-in request that does not say otherwise (pages, personal exports).

A pure ASGI middleware, so that every request pays little for it."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import N_
from app.i18n import translate
from app.services.kit.tables import MAX_BYTES

UPLOAD = re.compile(r"/import/?$")
UPLOAD_LIMIT = MAX_BYTES + 1024 * 1024  # the file, plus the multipart envelope and the other fields
BODY_LIMIT = 256 * 1024  # forms and JSON: a whole contest fits several times over
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI starts itself with an inline script: /docs alone may run one
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
TOO_LARGE = N_("Nội dung gửi lên quá lớn (tối đa {limit}). Chưa có gì được ghi.")


def body_limit(path: str) -> int:
    return UPLOAD_LIMIT if UPLOAD.search(path) else BODY_LIMIT


class HttpGuard:
    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        common = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin")]
        if secure_cookies:
            common.append((b"strict-transport-security", b"max-age=31536000"))
        self.headers = [(b"content-security-policy", CSP.encode()), *common]
        self.docs_headers = [(b"content-security-policy", DOCS_CSP.encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = body_limit(path)
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, send, limit)
            return
        private = _header(scope, b"authorization") is not None or b"hoithi_token=" in (_header(scope, b"cookie") or b"")
        extra = self.docs_headers if path == "/docs" else self.headers
        state: dict[str, int] = {"started": False, "over": False}

        async def guarded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["seen"] = state.get("seen", 0) + len(message.get("body", b""))
                if state["seen"] > limit:  # a body sent without a length: counted as it comes
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["over"]:
                if not state["started"]:
                    state["started"] = True
                    await _too_large(scope, send, limit)
                return
            if message["type"] == "http.response.start":
                state["started"] = True
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _v in headers}
                headers += [(k, v) for k, v in extra if k not in names]
                if private and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, guarded_receive if declared is None else receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise
            # the app stopped reading at the "disconnect" it was handed: the answer is ours to give
        if state["over"] and not state["started"]:
            await _too_large(scope, send, limit)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    locale = "en" if b"lang=en" in (_header(scope, b"cookie") or b"") else "vi"
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    detail = translate(TOO_LARGE, locale, limit=size)
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": "PayloadTooLarge", "detail": detail}, ensure_ascii=False).encode()
        ctype = b"application/json"
    else:
        body = (
            f'<!doctype html><html lang="{locale}"><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>413</title><p>{detail}</p>'
            f'<p><a href="/">←</a></p></html>'
        ).encode()
        ctype = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
