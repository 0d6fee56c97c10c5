"""Login, tokens, logout and password change."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import N_, Invalid, TooManyRequests, Unauthorized
from app.models import LoginThrottle, Member
from app.models.types import utcnow
from app.security import TokenClaims, create_token, decode_token, hash_password, verify_password
from app.services.kit import audit, counters
from app.services.kit.text import clean
from app.services.org import principals
from app.services.org.access import Actor
from app.services.org.members import check_password, normalise_phone
from app.services.org.principals import PrincipalCache, actor_of

BAD_LOGIN = N_("Sai tên đăng nhập hoặc mật khẩu (hoặc tài khoản đang bị khoá: hỏi ban tổ chức đơn vị bạn).")


@dataclass
class IssuedToken:
    access_token: str
    expires_in: int
    member: Member


def _throttle_keys(username: str, member: Member | None, ip: str | None) -> list[tuple[str, str]]:
    """Attempts count per account, not per typed string: "+84 912…", "0912.…", the member code all name one
    account. An unknown name counts under its normalised form, so variants of it share one count too."""
    if member is not None:
        account = f"acct:m{member.id}"
    else:
        name = clean(username)
        phone = normalise_phone(name)
        account = f"acct:u:{phone if phone.isdigit() else name.upper()}"[:160]
    keys = [("acct", account)]
    if ip:
        keys.append(("ip", f"ip:{ip}"))
    return keys


def _limits(settings: Settings) -> dict[str, int]:
    return {
        "acct": settings.login_max_failures_per_account,
        "ip": settings.login_max_failures_per_ip,
        "ok": settings.login_max_successes_per_account,
    }


def _bump(session: Session, settings: Settings, key: str, now: datetime, step: int = 1) -> tuple[int, datetime]:
    return counters.bump(session, key, now, window_s=settings.login_window_s, step=step)


def _reserve(*, session: Session, settings: Settings, keys: list[tuple[str, str]], now: datetime) -> int:
    """Count this attempt before the password is checked: check and count are one step, so 60 guesses at
    once meet the same limit as 60 in a row. Returns the seconds to wait, 0 if the attempt may go on."""
    limits = _limits(settings)
    for kind, key in keys:
        count, start = _bump(session, settings, key, now)
        if count > limits[kind]:
            return max(1, math.ceil((start + timedelta(seconds=settings.login_window_s) - now).total_seconds()))
    return 0


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _too_many(wait_s: int) -> TooManyRequests:
    return TooManyRequests(headers={"Retry-After": str(wait_s)}, minutes=max(1, math.ceil(wait_s / 60)))


def find_by_username(*, session: Session, username: str) -> Member | None:
    name = clean(username)
    if not name:
        return None
    phone = normalise_phone(name)
    return session.exec(select(Member).where(or_(col(Member.phone) == phone, col(Member.member_code) == name.upper()))).first()


def login(*, session: Session, settings: Settings, secret: str, username: str, password: str, ip: str | None) -> IssuedToken:
    """Check the password and issue a token. A wrong password and an unknown user give the same
    answer after the same work (one argon2 verification). Failures are counted per account and per IP
    and committed even though the call then fails, so a flood of guesses meets 429 with Retry-After."""
    now = utcnow()
    member = find_by_username(session=session, username=username)
    keys = _throttle_keys(username, member, ip)
    if member is not None:  # a burst of correct logins to one account is refused as well (before argon2)
        oks = session.get(LoginThrottle, f"ok:m{member.id}")
        if (
            oks is not None
            and oks.failures >= _limits(settings)["ok"]
            and _as_utc(oks.window_start) + timedelta(seconds=settings.login_window_s) > now
        ):
            session.commit()
            raise _too_many(math.ceil((_as_utc(oks.window_start) + timedelta(seconds=settings.login_window_s) - now).total_seconds()))
    wait = _reserve(session=session, settings=settings, keys=keys, now=now)
    # End the transaction before argon2: on SQLite it holds the writer lock, and every login would queue
    # behind this one (docs/performance.md#password-hashing-and-login).
    session.commit()
    if wait:
        raise _too_many(wait)
    ok, new_hash = verify_password(password or "", member.password_hash if member else None)
    if not ok or member is None or not member.active:
        # the same answer for a locked account: the answer must not tell a guesser the password was right
        raise Unauthorized(BAD_LOGIN)
    if new_hash:
        member.password_hash = new_hash
    acct = session.get(LoginThrottle, keys[0][1])
    if acct is not None:
        session.delete(acct)
    if len(keys) > 1:  # a success is no failure of the address (a carrier NAT shares one)
        _bump(session, settings, keys[1][1], now, step=-1)
    _bump(session, settings, f"ok:m{member.id}", now)
    audit.record(session=session, actor_id=member.id, action="auth.login", entity="member", entity_id=member.id, ip=ip)
    return issue(member=member, settings=settings, secret=secret)


def issue(*, member: Member, settings: Settings, secret: str) -> IssuedToken:
    assert member.id is not None
    token = create_token(
        member_id=member.id,
        token_version=member.token_version,
        secret=secret,
        audience=settings.jwt_audience,
        lifetime_s=settings.token_lifetime_s,
    )
    return IssuedToken(access_token=token, expires_in=settings.token_lifetime_s, member=member)


INVALID_SESSION = N_("Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại.")


def claims_from_token(*, settings: Settings, secret: str, token: str | None) -> TokenClaims:
    """Signature, algorithm, audience and expiry: CPU only, no database."""
    claims = decode_token(token or "", secret=secret, audience=settings.jwt_audience)
    if claims is None:
        raise Unauthorized(INVALID_SESSION)
    return claims


def cached_actor(*, cache: PrincipalCache, claims: TokenClaims, ip: str | None) -> Actor | None:
    """The actor from this process's cache, if a fresh snapshot is there (no database, no blocking)."""
    principal = cache.get(claims.member_id)
    if principal is None:
        return None
    return actor_of(_check(principal, claims), ip)


def load_actor(*, session: Session | Connection, cache: PrincipalCache, claims: TokenClaims, ip: str | None) -> Actor:
    principal = principals.load(session=session, member_id=claims.member_id)
    if principal is None:
        raise Unauthorized(INVALID_SESSION)
    cache.put(principal)
    return actor_of(_check(principal, claims), ip)


def _check(principal: principals.Principal, claims: TokenClaims) -> principals.Principal:
    member = principal.member
    if not member.active or member.token_version != claims.token_version:
        raise Unauthorized(INVALID_SESSION)
    return principal


def logout(*, session: Session, actor: Actor) -> None:
    """Revokes every token of the member (all devices)."""
    member = session.get(Member, actor.id)
    assert member is not None
    member.token_version += 1
    audit.record(session=session, actor_id=actor.id, action="auth.logout", entity="member", entity_id=actor.id, ip=actor.ip)


def change_password(
    *, session: Session, settings: Settings, secret: str, actor: Actor, current: str, new: str, confirm: str | None = None
) -> IssuedToken:
    member = session.get(Member, actor.id)
    if member is None:
        raise Unauthorized(INVALID_SESSION)
    ok, _ = verify_password(current or "", member.password_hash)
    if not ok:
        raise Invalid(N_("Mật khẩu hiện tại không đúng."), field="current_password")
    if confirm is not None and new != confirm:
        raise Invalid(N_("Mật khẩu nhập lại không khớp."), field="confirm_password")
    if new == current:
        raise Invalid(N_("Mật khẩu mới phải khác mật khẩu hiện tại."), field="new_password")
    check_password(new, phone=member.phone)
    member.password_hash = hash_password(new)
    member.must_change_password = False
    member.token_version += 1  # other devices are logged out; this one gets a fresh token
    member.updated_at = utcnow()
    audit.record(session=session, actor_id=member.id, action="auth.change_password", entity="member", entity_id=member.id, ip=actor.ip)
    session.flush()
    return issue(member=member, settings=settings, secret=secret)
