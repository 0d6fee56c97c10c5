"""Expected conditions, raised by services and turned into JSON, a toast or a page by one handler.

Messages are Vietnamese msgids (the English catalogue translates them); `params` fill `{name}` fields
after translation.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it here (Babel extracts N_)."""
    return message


class AppError(Exception):
    status_code = 400
    code = "BadRequest"
    default_message = N_("Yêu cầu không hợp lệ.")

    def __init__(
        self, message: str | None = None, *, headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None, **params: Any
    ) -> None:
        self.message = message or self.default_message
        self.params = params
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.message)


class Unauthorized(AppError):
    status_code = 401
    code = "Unauthorized"
    default_message = N_("Bạn cần đăng nhập.")


class Forbidden(AppError):
    status_code = 403
    code = "Forbidden"
    default_message = N_("Bạn không có quyền thực hiện thao tác này.")


class NotFound(AppError):
    status_code = 404
    code = "NotFound"
    default_message = N_("Không tìm thấy.")


class Conflict(AppError):
    status_code = 409
    code = "Conflict"
    default_message = N_("Dữ liệu bị trùng hoặc xung đột.")


class Invalid(AppError):
    """A field the user can correct; `field` names it."""

    status_code = 422
    code = "ValidationError"
    default_message = N_("Dữ liệu không hợp lệ.")

    def __init__(self, message: str | None = None, *, field: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.field = field


class ImportFailed(AppError):
    """A file with errors: nothing was written; `errors` lists every bad row."""

    status_code = 422
    code = "ImportFailed"
    default_message = N_("Tệp có lỗi, chưa ghi dữ liệu nào.")

    def __init__(self, errors: list[dict[str, Any]], **kw: Any) -> None:
        super().__init__(**kw)
        self.errors = errors


class TooManyRequests(AppError):
    status_code = 429
    code = "TooManyRequests"
    default_message = N_("Bạn thử quá nhiều lần. Vui lòng đợi {minutes} phút rồi thử lại.")


class PasswordChangeRequired(AppError):
    """Pages send a member who must choose a new password to the password page first."""

    status_code = 403
    code = "PasswordChangeRequired"
    default_message = N_("Bạn cần đổi mật khẩu trước khi tiếp tục.")
