"""Password hashing, JWT and CSRF tokens."""

from __future__ import annotations

import base64
import functools
import hmac
import json
import math
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# argon2id, m = 12 MiB, t = 3, p = 1 (an OWASP setting): cheap enough for a city logging in at once, one core
# per login; other hashes are rehashed at the next login (docs/performance.md#password-hashing-and-login).
password_hash = PasswordHash((Argon2Hasher(time_cost=3, memory_cost=12 * 1024, parallelism=1),))

# Verified when the user does not exist, so an unknown user costs the same time as a wrong password.
_DUMMY_HASH = password_hash.hash(secrets.token_urlsafe(16))

JWT_ALGORITHM = "HS256"
MAX_TOKEN_BYTES = 2048


def hash_password(password: str) -> str:
    return password_hash.hash(password)


def verify_password(password: str, stored_hash: str | None) -> tuple[bool, str | None]:
    """(valid, new_hash_or_None). Always spends one full verification."""
    if not stored_hash:
        password_hash.verify(password, _DUMMY_HASH)
        return False, None
    try:
        return password_hash.verify_and_update(password, stored_hash)
    except Exception:  # an unknown or damaged hash is a failed login, not a 500
        password_hash.verify(password, _DUMMY_HASH)
        return False, None


@dataclass(frozen=True)
class TokenClaims:
    member_id: int
    token_version: int
    issued_at: datetime
    expires_at: float  # POSIX seconds


def create_token(*, member_id: int, token_version: int, secret: str, audience: str, lifetime_s: int, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": str(member_id),
        "tv": token_version,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime_s)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


_verified: dict[tuple[str, str, str], TokenClaims] = {}
_VERIFIED_MAX = 50_000


def decode_token(token: str, *, secret: str, audience: str) -> TokenClaims | None:
    """The claims of a valid token, or None. Only HS256 is accepted, whatever the header says.

    A token this process has verified is trusted until it expires (docs/performance.md#token-and-member-cache);
    revocation is the token version's job, checked on every request (app.services.org.auth)."""
    if not token or len(token) > MAX_TOKEN_BYTES:
        return None
    key = (token, secret, audience)
    known = _verified.get(key)
    if known is not None:
        return known if known.expires_at > time.time() else None
    try:
        claims = _hs256_claims(token, secret, audience)
        if claims is None:
            return None
        result = TokenClaims(
            member_id=int(claims["sub"]),
            token_version=int(claims["tv"]),
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=float(claims["exp"]),
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[key] = result
    return result


_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _hs256_claims(token: str, secret: str, audience: str) -> dict[str, Any] | None:
    """The claims of a token signed HS256 with `secret` for `audience`, unexpired, with sub, iat and exp; else None.
    The checks python-jose's decode made, without its per-call key objects: a cold member's token took 39 µs
    there, more than loading the member (docs/performance.md#token-and-member-cache). Tokens are still issued by
    python-jose (create_token)."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    head, body, signature = token.split(".")
    expected = hmac.digest(secret.encode(), f"{head}.{body}".encode("ascii"), "sha256")
    if not hmac.compare_digest(expected, _b64url(signature)):
        return None
    header, claims = json.loads(_b64url(head)), json.loads(_b64url(body))
    if not isinstance(header, dict) or header.get("alg") != JWT_ALGORITHM or not isinstance(claims, dict):
        return None
    now = time.time()
    exp, iat, nbf, aud = _number(claims.get("exp")), _number(claims.get("iat")), _number(claims.get("nbf", now)), claims.get("aud")
    if exp is None or iat is None or nbf is None or exp < now or nbf > now or not isinstance(claims.get("sub"), str):
        return None
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        return None
    return claims


def _number(value: Any) -> float | None:
    """A claim's time as a finite number (not a bool, a text or NaN), or None."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) else None


def keyed_hash(value: str, *, secret: str, purpose: str) -> str:
    """HMAC-SHA256 under a key derived for one purpose (e.g. CCCD numbers)."""
    return hmac.digest(_purpose_key(secret, purpose), value.encode(), "sha256").hex()


@functools.lru_cache(maxsize=32)
def _purpose_key(secret: str, purpose: str) -> bytes:
    # derived once per secret and purpose: every form post and page checks or makes a CSRF token
    return hmac.digest(secret.encode(), purpose.encode(), "sha256")


def new_csrf_seed() -> str:
    return secrets.token_urlsafe(24)


def csrf_token_for(seed: str, *, secret: str, session: str | None = None) -> str:
    """Signed double submit: the page carries HMAC(seed, session); the seed lives in a cookie. A cookie
    planted by another site cannot come with a matching token without the server's key, and a token taken
    from one session (an anonymous login page, say) is worth nothing with another session's cookie."""
    return keyed_hash(f"{seed}\n{session or ''}", secret=secret, purpose="csrf")


def csrf_ok(seed: str | None, token: str | None, *, secret: str, session: str | None = None) -> bool:
    if not seed or not token:
        return False
    return hmac.compare_digest(csrf_token_for(seed, secret=secret, session=session), token)
