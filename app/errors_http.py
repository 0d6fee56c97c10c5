"""One place that turns errors into answers: JSON for /api, a toast for htmx, a page otherwise."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import N_, AppError, Conflict, ImportFailed, Invalid, PasswordChangeRequired, Unauthorized
from app.i18n import from_accept_language
from app.i18n import translate as _translate


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _locale(request: Request) -> str:
    from app.templating import request_locale

    if _is_api(request):  # an API client says what it reads; a person chose on the page
        return from_accept_language(request.headers.get("accept-language"))
    return request_locale(request)


def _toast_or_page(request: Request, message: str, status: int, headers: dict[str, str], extra: dict[str, Any] | None = None) -> Response:
    from app.templating import render

    if request.headers.get("hx-request"):
        headers = {**headers, "HX-Retarget": "#toasts", "HX-Reswap": "beforeend"}
        return render(request, "partials/toast.html", {"message": message, "kind": "error"}, status_code=status, headers=headers)
    return render(request, "pages/error.html", {"message": message, "status": status, **(extra or {})}, status_code=status, headers=headers)


def handle_app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    message = _translate(exc.message, _locale(request), **exc.params)
    if _is_api(request):
        body: dict[str, Any] = {"error": exc.code, "detail": message, **exc.extra}
        if isinstance(exc, Invalid) and exc.field:
            body["field"] = exc.field
        if isinstance(exc, ImportFailed):
            body["errors"] = exc.errors
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
    if isinstance(exc, Unauthorized | PasswordChangeRequired) and request.method == "GET":
        target = "/password" if isinstance(exc, PasswordChangeRequired) else f"/login?next={quote(request.url.path)}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return _toast_or_page(request, message, exc.status_code, exc.headers)


def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or None, "message": e.get("msg", "")} for e in exc.errors()]
    first = errors[0] if errors else {"field": None, "message": ""}
    message = _translate(
        N_("Dữ liệu gửi lên không hợp lệ: {field} — {message}"), _locale(request), field=first["field"] or "?", message=first["message"]
    )
    if _is_api(request):
        return JSONResponse({"error": "ValidationError", "detail": message, "errors": errors}, status_code=422)
    return _toast_or_page(request, message, 422, {})


_HTTP_CODES = {
    404: ("NotFound", N_("Không tìm thấy trang hoặc dữ liệu bạn yêu cầu.")),
    405: ("MethodNotAllowed", N_("Thao tác không được hỗ trợ.")),
    413: ("PayloadTooLarge", N_("Tệp hoặc dữ liệu gửi lên quá lớn.")),
}


def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, msg = _HTTP_CODES.get(exc.status_code, ("HTTPError", N_("Yêu cầu không hợp lệ.")))
    message = _translate(msg, _locale(request))
    if _is_api(request):
        return JSONResponse({"error": code, "detail": message}, status_code=exc.status_code, headers=getattr(exc, "headers", None))
    return _toast_or_page(request, message, exc.status_code, dict(getattr(exc, "headers", None) or {}))


def handle_integrity_error(request: Request, exc: Exception) -> Response:
    """A unique constraint that two concurrent requests raced for: the loser is told to try again, as if
    the service's own check had caught it (which it does when the requests do not overlap)."""
    return handle_app_error(
        request, Conflict(N_("Dữ liệu vừa được người khác thay đổi (trùng mã hoặc số điện thoại). Vui lòng tải lại và thử lại."))
    )


def handle_too_deep(request: Request, exc: Exception) -> Response:
    """A body nested deeper than the JSON parser's stack (the probe sent 100,000 brackets): bad input."""
    return handle_app_error(request, Invalid(N_("Nội dung JSON không hợp lệ.")))
