"""The rules of one member's fields, the same for forms, the API and imports: phone, member code, CCCD,
names and passwords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.errors import N_, Invalid
from app.models import Member
from app.security import keyed_hash
from app.services.kit.text import clean, fold, vn_name_sort_key

# ASCII digits only: \d also matches full-width and other scripts' digits, which would slip past the
# uniqueness checks (another string, another hash) and never match a login.
_PHONE = re.compile(r"^0\d{9,10}$", re.ASCII)
_MEMBER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_ID_NUMBER = re.compile(r"^\d{9}$|^\d{12}$", re.ASCII)  # old CMND (9) or CCCD (12)
MIN_PASSWORD = 8


def normalise_phone(raw: str | None) -> str:
    digits = re.sub(r"[\s.\-()]", "", clean(raw))
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif digits.isdigit() and len(digits) == 9:  # Excel ate the leading zero
        digits = "0" + digits
    return digits


@dataclass
class FieldError:
    field: str
    message: str  # a msgid
    params: dict[str, object]


@dataclass
class CleanMember:
    full_name: str
    phone: str
    member_code: str
    birth_date: date | None
    id_number: str | None


def clean_fields(
    *, full_name: str | None, phone: str | None, member_code: str | None, birth_date: date | None, id_number: str | None
) -> tuple[CleanMember, list[FieldError]]:
    """Normalise (NFC, phone to 0xxxxxxxxx, code upper-case) and list every problem, field by field."""
    errors: list[FieldError] = []
    name = clean(full_name)
    if not name:
        errors.append(FieldError("full_name", N_("Thiếu họ và tên."), {}))
    elif len(name) > 120:
        errors.append(FieldError("full_name", N_("Họ và tên dài quá 120 ký tự."), {}))
    phone_n = normalise_phone(phone)
    if not phone_n:
        errors.append(FieldError("phone", N_("Thiếu số điện thoại."), {}))
    elif not _PHONE.match(phone_n):
        errors.append(
            FieldError("phone", N_("Số điện thoại {value} không hợp lệ (10 hoặc 11 chữ số, bắt đầu bằng 0)."), {"value": clean(phone)})
        )
    code = clean(member_code).upper()
    if not code:
        errors.append(FieldError("member_code", N_("Thiếu mã hội viên/đảng viên."), {}))
    elif not _MEMBER_CODE.match(code):
        errors.append(FieldError("member_code", N_("Mã {value} chỉ được gồm chữ không dấu, số, dấu chấm, gạch ngang."), {"value": code}))
    if birth_date is not None and not (date(1900, 1, 1) <= birth_date <= date.today()):
        errors.append(FieldError("birth_date", N_("Ngày sinh {value} không hợp lý."), {"value": birth_date.strftime("%d/%m/%Y")}))
    idn = re.sub(r"\s", "", clean(id_number)) or None
    if idn is not None and not _ID_NUMBER.match(idn):
        errors.append(FieldError("id_number", N_("Số CCCD phải có 12 chữ số (CMND cũ: 9 chữ số)."), {}))
    return CleanMember(name, phone_n, code, birth_date, idn), errors


# Passwords that guessing lists try first (global lists and the Vietnamese favourites), lower-cased.
COMMON_PASSWORDS = frozenset(
    """
12345678 123456789 1234567890 12341234 123123123 11111111 00000000 88888888 66666666 99999999 87654321
11223344 12344321 123456789a 1234567a 1234abcd abc12345 abcd1234 a1234567 password password1 password123
passw0rd iloveyou qwertyui qwerty123 qwertyuiop 1q2w3e4r 1qaz2wsx zaq12wsx asdfghjk aaaaaaaa
anhyeuem anhyeuem1 emyeuanh matkhau matkhau1 matkhau123 vietnam1 vietnam123 admin123 hoithi123
""".split()
)


def check_password(password: str, *, phone: str | None = None) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(N_("Mật khẩu cần ít nhất {n} ký tự."), field="password", n=MIN_PASSWORD)
    if len(password) > 128:
        raise Invalid(N_("Mật khẩu dài quá 128 ký tự."), field="password")
    if phone and password == phone:
        raise Invalid(N_("Mật khẩu không được trùng số điện thoại."), field="password")
    if password.lower() in COMMON_PASSWORDS or len(set(password)) == 1:
        raise Invalid(N_("Mật khẩu này quá phổ biến, dễ bị dò ra. Hãy chọn mật khẩu khác."), field="password")


def id_number_hash(id_number: str, *, secret: str) -> str:
    return keyed_hash(id_number, secret=secret, purpose="id_number")


def apply_derived(member: Member) -> None:
    member.name_folded = fold(member.full_name)
    member.sort_key = vn_name_sort_key(member.full_name)


def raise_first(errors: list[FieldError]) -> None:
    if errors:
        e = errors[0]
        raise Invalid(e.message, field=e.field, **e.params)
