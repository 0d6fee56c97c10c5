"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Query, Request
from fastapi import Path as FastAPIPath
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.db import NO_DATABASE, NeedsDatabase, writer
from app.db_loop import loop_reads, on_loop
from app.errors import N_, Forbidden, PasswordChangeRequired, Unauthorized
from app.security import TokenClaims, csrf_ok
from app.services.live.guests import GuestPass
from app.services.org import auth
from app.services.org.access import JUDGE, Actor
from app.services.org.principals import PrincipalCache

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_COOKIE = "hoithi_token"
CSRF_COOKIE = "hoithi_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
GUEST_COOKIE = "hoithi_live_guest"  # a live game guest's credential (app.services.live.guests): no account


# The cheap dependencies are async so that FastAPI does not send each of them through the thread pool.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_secret(request: Request) -> str:
    return request.app.state.secret


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: commit on success, roll back on error. Writing requests begin
    IMMEDIATE on SQLite (see app.db).

    async, with no thread of its own: the routers' endpoints end their transaction in their own thread
    (app.routers.base), so all that is left here is closing a session that holds no connection. Only a
    transaction left open goes to the thread pool to end. Two thread hops less for every page
    (docs/performance.md#the-members-journey)."""
    engine = request.app.state.engine
    session = Session(engine if request.method in SAFE_METHODS else writer(engine), expire_on_commit=False)
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except BaseException:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):  # a cancelled request still rolls back, off the event loop
                await run_in_threadpool(session.rollback)
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SecretDep = Annotated[str, Depends(get_secret)]
# scope="function": the commit happens before the response is sent, so a failed commit is an error
# the client sees, never a success that was not written.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token of an unsafe request: the header htmx sends, or the plain form's field."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


CsrfDep = Annotated[str | None, Depends(submitted_csrf)]
# The caller's dependencies below take the request alone and read the CSRF token themselves: each level of
# FastAPI's dependency solving costs a tap more than the check does (docs/performance.md#the-members-journey).


def csrf_cookie(request: Request) -> str:
    """The CSRF seed's cookie name: with the __Host- prefix wherever cookies are Secure, so no other host of
    the domain (nor plain HTTP) can set it."""
    return CSRF_COOKIE if request.app.state.settings.insecure_cookies else "__Host-" + CSRF_COOKIE


def csrf_session(request: Request) -> str | None:
    """What a page's CSRF token is bound to: the login cookie it was made under, else a live game guest's
    cookie (none before either)."""
    return request.cookies.get(TOKEN_COOKIE) or request.cookies.get(GUEST_COOKIE)


def check_csrf(request: Request, token: str | None, secret: str) -> None:
    if not csrf_ok(request.cookies.get(csrf_cookie(request)), token, secret=secret, session=csrf_session(request)):
        raise Forbidden(N_("Phiên làm việc của trang đã hết hạn. Vui lòng tải lại trang rồi thử lại."), extra={"reason": "csrf"})


async def require_csrf(request: Request, token: CsrfDep, secret: SecretDep) -> None:
    """For cookie-less forms such as the login form."""
    check_csrf(request, token, secret)


def _load_actor(engine: Engine, cache: PrincipalCache, claims: TokenClaims, ip: str | None) -> Actor:
    # One SELECT on a bare connection; on PostgreSQL in autocommit, so no BEGIN/ROLLBACK round trips.
    options = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn:
        return auth.load_actor(session=conn, cache=cache, claims=claims, ip=ip)


def _loop_actor(loop_reader: Engine | None, cache: PrincipalCache, claims: TokenClaims, ip: str | None) -> Actor | None:
    """A member this worker has not seen lately, read on the event loop (db_loop.loop_reader, in db_loop.on_loop); None when
    there is no such reader or the database is busy (the pool's threads may wait, the loop may not)."""
    try:
        with loop_reads(loop_reader) as conn:
            return auth.load_actor(session=conn, cache=cache, claims=claims, ip=ip)
    except NeedsDatabase:
        return None


async def _cold_actor(state: Any, claims: TokenClaims, ip: str | None) -> Actor:
    """A member this worker has not seen lately: on the event loop if it can (_loop_actor), else in the thread pool."""
    actor = await on_loop(state.loop_reader, lambda: _loop_actor(state.loop_reader, state.principals, claims, ip))
    if actor is not None:
        return actor
    return await run_in_threadpool(_load_actor, state.engine, state.principals, claims, ip)


def _claims(request: Request, csrf: str | None) -> tuple[TokenClaims, str | None]:
    """The token's claims (from `Authorization: Bearer` or the cookie) and the client's address; a write
    authenticated by the cookie must carry the CSRF token: a browser sends cookies on its own."""
    state = request.app.state
    authz = request.headers.get("authorization", "")
    token: str | None
    if authz[:7].lower() == "bearer ":
        token, via_cookie = authz[7:].strip(), False
    else:
        token, via_cookie = request.cookies.get(TOKEN_COOKIE), True
    claims = auth.claims_from_token(settings=state.settings, secret=state.secret, token=token)
    if via_cookie and request.method not in SAFE_METHODS:
        check_csrf(request, csrf, state.secret)
    return claims, client_ip(request)


async def get_actor(request: Request) -> Actor:
    """The caller, from `Authorization: Bearer` (API clients) or the HttpOnly cookie (pages). A write
    authenticated by the cookie must carry the CSRF token: a browser sends cookies on its own.

    async on purpose: the usual case (a valid token whose member this process saw in the last few
    seconds) needs no database and no thread; a cache miss loads the member in the thread pool
    (docs/performance.md#token-and-member-cache)."""
    state = request.app.state
    claims, ip = _claims(request, await submitted_csrf(request))
    actor = auth.cached_actor(cache=state.principals, claims=claims, ip=ip)
    if actor is None:
        actor = await _cold_actor(state, claims, ip)
    if (
        actor.member.must_change_password
        and request.url.path.startswith("/api/")
        and (request.method, request.url.path) not in BEFORE_PASSWORD_CHANGE
    ):
        raise PasswordChangeRequired()  # pages send such a member to the form (page_actor)
    return actor


# What a member who must choose a new password may still do over the API.
BEFORE_PASSWORD_CHANGE = {("GET", "/api/v1/me"), ("POST", "/api/v1/auth/password")}


CurrentActor = Annotated[Actor, Depends(get_actor)]


@dataclass
class Caller:
    """The caller of an endpoint that works in the thread pool anyway (a tap's save): the token and CSRF are
    checked here, on the event loop, but a member this process has not seen lately is loaded in the
    endpoint's own thread hop (actor_now), not in one of its own: a save then takes one hop, not two."""

    engine: Any
    cache: Any
    claims: TokenClaims
    ip: str | None
    cached: Actor | None
    loop_reader: Any = None

    def actor_now(self) -> Actor:
        """In a worker thread: the cached actor, or the member loaded now (one SELECT). A member who must first
        choose a new password is refused, as get_actor refuses them on the API."""
        actor = self.cached or _load_actor(self.engine, self.cache, self.claims, self.ip)
        if actor.member.must_change_password:
            raise PasswordChangeRequired()
        return actor

    def actor_with(self, session: Any) -> Actor:
        """For db_loop.from_memory_or_database: the cached actor, else the member loaded now; on the event loop
        (NO_DATABASE) a member to load sends the answer to the thread pool."""
        if self.cached is not None:
            return self.cached
        if session is NO_DATABASE:
            # read on the event loop if it can: a board kept in memory then needs no thread hop
            self.cached = _loop_actor(self.loop_reader, self.cache, self.claims, self.ip)
            if self.cached is None:
                raise NeedsDatabase("member")
            return self.cached
        # on the answer's own connection: one checkout per request, not two
        return auth.load_actor(session=session, cache=self.cache, claims=self.claims, ip=self.ip)


async def get_caller(request: Request) -> Caller:
    state = request.app.state
    claims, ip = _claims(request, await submitted_csrf(request))
    cached = auth.cached_actor(cache=state.principals, claims=claims, ip=ip)
    return Caller(state.engine, state.principals, claims, ip, cached, state.loop_reader)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


# --- live games: a member or a guest ------------------------------------------------------------------------------------
T = TypeVar("T")
GuestHeader = Annotated[
    str | None, Header(description="A live game guest's token (POST /api/v1/live-games/join-guest); a member's login wins over it")
]


def _logged_in(request: Request) -> bool:
    return request.headers.get("authorization", "")[:7].lower() == "bearer " or TOKEN_COOKIE in request.cookies


async def _member_or_guest(
    request: Request, csrf: str | None, header: str | None, member: Callable[[Request], Awaitable[T]]
) -> T | GuestPass:
    """A member when there is a login (it wins over a guest's credential), else a guest: the X-Live-Guest
    header (API clients: no CSRF, as with Bearer) or the guest cookie (pages: a write carries the CSRF token, as
    with the login cookie). A login that fails with a guest's credential present (a stale cookie) gives way to
    the guest. The credential itself is checked by the service (play.seat), which has the database."""
    guest = header or request.cookies.get(GUEST_COOKIE)
    if _logged_in(request) or not guest:
        try:
            return await member(request)
        except Unauthorized:
            if not guest:
                raise
    if not header and request.method not in SAFE_METHODS:
        check_csrf(request, csrf, request.app.state.secret)
    return GuestPass(guest)


async def get_player(request: Request, csrf: CsrfDep, x_live_guest: GuestHeader = None) -> Actor | GuestPass:
    return await _member_or_guest(request, csrf, x_live_guest, get_actor)


async def get_player_caller(request: Request, csrf: CsrfDep, x_live_guest: GuestHeader = None) -> Caller | GuestPass:
    return await _member_or_guest(request, csrf, x_live_guest, get_caller)


async def get_page_player(who: Annotated[Actor | GuestPass, Depends(get_player)]) -> Actor | GuestPass:
    return page_actor(who) if isinstance(who, Actor) else who


async def get_optional_actor(request: Request) -> Actor | None:
    """A page anyone may see (the live game's PIN page): the member logged in, or None."""
    try:
        return page_actor(await get_actor(request))
    except Unauthorized:
        return None


LiveWho = Annotated[Actor | GuestPass, Depends(get_player)]
LiveCaller = Annotated[Caller | GuestPass, Depends(get_player_caller)]
PageLiveWho = Annotated[Actor | GuestPass, Depends(get_page_player)]
OptionalActor = Annotated[Actor | None, Depends(get_optional_actor)]


async def get_page_actor(request: Request) -> Actor:
    return page_actor(await get_actor(request))


def page_actor(actor: Actor) -> Actor:
    """A page's caller: one who must change their password gets the form for it, not the page."""
    if actor.member.must_change_password:
        raise PasswordChangeRequired()
    return actor


PageActor = Annotated[Actor, Depends(get_page_actor)]


async def get_organiser(actor: CurrentActor) -> Actor:
    actor.require_any()
    return actor


async def get_page_organiser(actor: PageActor) -> Actor:
    actor.require_any()
    return actor


RequireOrganiser = Annotated[Actor, Depends(get_organiser)]
PageOrganiser = Annotated[Actor, Depends(get_page_organiser)]


async def get_judge(actor: CurrentActor) -> Actor:
    actor.require_any(JUDGE)
    return actor


async def get_page_judge(actor: PageActor) -> Actor:
    actor.require_any(JUDGE)
    return actor


RequireJudge = Annotated[Actor, Depends(get_judge)]
PageJudge = Annotated[Actor, Depends(get_page_judge)]


# Bounds of the numbers a URL may carry: beyond them an ORDER BY … OFFSET or an id no longer fits a 64-bit
# integer (SQLite raised OverflowError, a 500); inside them every real list and attempt fits.
MAX_PAGE = 1_000_000
Offset = Annotated[int, Query(ge=0, le=100_000_000)]
Position = Annotated[int, FastAPIPath(ge=1, le=1000)]
