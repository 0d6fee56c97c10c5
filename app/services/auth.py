"""Login, tokens, logout and password change."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from app.config import Settings
from app.errors import N_, Invalid, TooManyRequests, Unauthorized
from app.models import LoginThrottle, Member
from app.models.types import UTCDateTime, utcnow
from app.security import TokenClaims, create_token, decode_token, hash_password, verify_password
from app.services import audit, principals
from app.services.access import Actor
from app.services.members import check_password, normalise_phone
from app.services.principals import PrincipalCache, actor_of
from app.services.text import clean

BAD_LOGIN = N_("Sai tên đăng nhập hoặc mật khẩu.")


@dataclass
class IssuedToken:
    access_token: str
    expires_in: int
    member: Member


def _throttle_keys(username: str, ip: str | None) -> list[tuple[str, str]]:
    keys = [("acct", f"acct:{clean(username).lower()[:120]}")]
    if ip:
        keys.append(("ip", f"ip:{ip}"))
    return keys


def _blocked_for(*, session: Session, settings: Settings, keys: list[tuple[str, str]], now: datetime) -> int:
    """Seconds until the caller may try again, 0 if not blocked."""
    limits = {"acct": settings.login_max_failures_per_account, "ip": settings.login_max_failures_per_ip}
    wait = 0
    for kind, key in keys:
        row = session.get(LoginThrottle, key)
        if row is None:
            continue
        ends = row.window_start + timedelta(seconds=settings.login_window_s)
        if now < ends and row.failures >= limits[kind]:
            wait = max(wait, math.ceil((ends - now).total_seconds()))
    return wait


def _count_failure(*, session: Session, settings: Settings, keys: list[tuple[str, str]], now: datetime) -> None:
    """One upsert per key, so concurrent failures from several workers all count."""
    table = LoginThrottle.__table__
    cutoff = literal(now - timedelta(seconds=settings.login_window_s), UTCDateTime())
    expired = table.c.window_start <= cutoff
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for _kind, key in keys:
        stmt = insert(table).values(key=key, window_start=now, failures=1)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
            "failures": case((expired, 1), else_=table.c.failures + 1),
            "window_start": case((expired, literal(now, UTCDateTime())), else_=table.c.window_start),
        })
        session.execute(stmt)


def _too_many(wait_s: int) -> TooManyRequests:
    return TooManyRequests(headers={"Retry-After": str(wait_s)}, minutes=max(1, math.ceil(wait_s / 60)))


def find_by_username(*, session: Session, username: str) -> Member | None:
    name = clean(username)
    if not name:
        return None
    phone = normalise_phone(name)
    return session.exec(select(Member).where(or_(Member.phone == phone, Member.member_code == name.upper()))).first()


def login(*, session: Session, settings: Settings, secret: str, username: str, password: str,
          ip: str | None) -> IssuedToken:
    """Check the password and issue a token. A wrong password and an unknown user give the same
    answer after the same work (one argon2 verification). Failures are counted per account and per IP
    and committed even though the call then fails, so a flood of guesses meets 429 with Retry-After."""
    now = utcnow()
    keys = _throttle_keys(username, ip)
    wait = _blocked_for(session=session, settings=settings, keys=keys, now=now)
    if wait:
        raise _too_many(wait)
    member = find_by_username(session=session, username=username)
    # argon2 takes ~25 ms of CPU. On SQLite this request's transaction holds the write lock (BEGIN
    # IMMEDIATE), so end it before verifying: otherwise every login in the city queues behind one another.
    session.commit()
    ok, new_hash = verify_password(password or "", member.password_hash if member else None)
    if not ok or member is None or not member.active:
        _count_failure(session=session, settings=settings, keys=keys, now=now)
        if member is not None and ok and not member.active:
            session.commit()
            raise Unauthorized(N_("Tài khoản đã bị khoá. Liên hệ ban tổ chức đơn vị bạn."))
        session.commit()
        raise Unauthorized(BAD_LOGIN)
    if new_hash:
        member.password_hash = new_hash
    acct = session.get(LoginThrottle, keys[0][1])
    if acct is not None:
        session.delete(acct)
    audit.record(session=session, actor_id=member.id, action="auth.login", entity="member", entity_id=member.id, ip=ip)
    return issue(member=member, settings=settings, secret=secret)


def issue(*, member: Member, settings: Settings, secret: str) -> IssuedToken:
    assert member.id is not None
    token = create_token(member_id=member.id, token_version=member.token_version, secret=secret,
                         audience=settings.jwt_audience, lifetime_s=settings.token_lifetime_s)
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
    audit.record(session=session, actor_id=actor.id, action="auth.logout", entity="member", entity_id=actor.id,
                 ip=actor.ip)


def change_password(*, session: Session, settings: Settings, secret: str, actor: Actor, current: str,
                    new: str, confirm: str | None = None) -> IssuedToken:
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
    audit.record(session=session, actor_id=member.id, action="auth.change_password", entity="member",
                 entity_id=member.id, ip=actor.ip)
    session.flush()
    return issue(member=member, settings=settings, secret=secret)
