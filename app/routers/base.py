"""The router every HTTP module uses: its sync endpoints commit in their own thread.

On SQLite a writing transaction holds the write lock until commit, and a commit left to the session
dependency's own thread hop can deadlock a burst of writers (docs/performance.md#transactions-and-thread-hops).
So the endpoint's own hop ends the transaction; the dependency's exit then only closes the session.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import ipaddress
import os
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, cast
from urllib.parse import parse_qsl

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route, get_route_path
from starlette.types import Receive, Scope, Send

from app.deps import get_session
from app.models import ReminderSend
from app.services.kit.files import ExportFile, attachment
from app.services.org.access import Actor
from app.services.results import certificates, reminders


def _commit_in_same_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        sessions = [v for v in kwargs.values() if isinstance(v, Session)]
        try:
            result = endpoint(*args, **kwargs)
            for session in sessions:
                session.commit()
            return result
        except BaseException:
            for session in sessions:
                session.rollback()
            raise

    return run


class TransactionalRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _commit_in_same_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)


_route_changes = [0]  # routes added to any Router so far: their versions are counted again after each


class Router(APIRouter):
    """FastAPI tries every route of every included router in turn (docs/performance.md#route-matching). A
    router included by include_by_segment answers "no" at once for a path whose segment at its depth (the first
    one at the root, the third under /api/v1) none of its routes has."""

    _segments: frozenset[str] | None = None
    _depth: int = 1  # which segment of the path the router's routes begin with
    _version: tuple[int, int] | None = None  # (_route_changes when counted, the routes' version)

    def _mark_routes_changed(self) -> None:
        _route_changes[0] += 1
        super()._mark_routes_changed()

    def _get_routes_version(self, seen: set[int] | None = None) -> int:
        # FastAPI adds up the versions of the whole tree of included routers at every match, to notice a route
        # added since; the sum changes only when a route is added, so it is counted again only then.
        if self._version is None or self._version[0] != _route_changes[0]:
            self._version = (_route_changes[0], super()._get_routes_version(seen))
        return self._version[1]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self._segments is not None:
            parts = get_route_path(scope).split("/", self._depth + 1)
            if len(parts) <= self._depth or parts[self._depth] not in self._segments:
                return Match.NONE, {}
        return super().matches(scope)


class _Bounded(Convertor[int]):
    """A whole number in a path, matched only within bounds and without leading zeros: anything else is left
    to the FastAPI route of the same path, which answers it as it always has (a 422 out of bounds)."""

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


class _RowId(_Bounded):
    regex = "[1-9][0-9]{0,17}"  # below 10**18: fits a 64-bit column


class _Position(_Bounded):
    regex = "1000|[1-9][0-9]{0,2}"  # 1 to 1000, as deps.Position


# for the routes called directly (direct() below)
register_url_convertor("row_id", _RowId())
register_url_convertor("position", _Position())

API = "/api/v1"  # every JSON route's prefix (the public contract)
_HANDED_ON = "hoithi.handed_on"  # in the scope of a request a direct route has handed on to the FastAPI route


_WHOLE = re.compile("[1-9][0-9]{0,8}")  # a query's number the direct route takes (below 10**9, no sign, no zero first)


class _DirectRoute(Route):
    def __init__(self, path: str, endpoint: Callable[..., Any], method: str, *, json_only: bool, whole_numbers: frozenset[str]) -> None:
        super().__init__(path, endpoint, methods=[method], include_in_schema=False)
        self.json_only = json_only  # a route that takes a JSON body: another content type goes to the FastAPI route
        self.whole_numbers = whole_numbers  # query parameters taken only as _WHOLE; else the FastAPI route's

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if _HANDED_ON in scope:
            return Match.NONE, {}
        match, child_scope = super().matches(scope)  # the path first: the other checks are for this route's requests
        if match is Match.NONE or (self.json_only and not _is_json(scope)):
            return Match.NONE, {}
        if self.whole_numbers and scope["query_string"]:
            # read as Starlette's QueryParams reads it
            for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
                if name in self.whole_numbers and not _WHOLE.fullmatch(value):
                    return Match.NONE, {}
        return match, child_scope


def _is_json(scope: Scope) -> bool:
    """`application/json`, with or without parameters (an Android app's HTTP client adds `; charset=utf-8`)."""
    value = next((value for name, value in scope["headers"] if name == b"content-type"), b"")
    return value.split(b";", 1)[0].strip().lower() == b"application/json"


class _HandOn(Response):
    """The request once more, past the direct routes, to the FastAPI route of its path, with the body the
    direct route has read: a body it does not take as it is, FastAPI answers (its 422, say) as always."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.replayed = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pending = [{"type": "http.request", "body": self.replayed, "more_body": False}]

        async def replay() -> Any:
            return pending.pop() if pending else await receive()

        await scope["app"].router({**scope, _HANDED_ON: True}, replay, send)


def direct(
    path: str,
    endpoint: Callable[..., Any],
    *,
    method: str = "GET",
    session: bool = False,
    body: tuple[str, type[BaseModel]] | None = None,
    query: dict[str, type[int] | type[str]] | None = None,
    **deps: Callable[[Request], Awaitable[Any]],
) -> Route:
    """One of the few paths every member calls when a round opens, as a plain Starlette route that calls the
    endpoint of the FastAPI route of the same path itself: its path values (bounded by the path's convertors),
    and each of `deps` awaited with the request, as the dependency it stands for. A sync endpoint runs in the
    thread pool as TransactionalRoute runs it, with `session` from deps.get_session, as SessionDep gives it.
    `body` = (name, model): the endpoint's JSON body, matched only as `application/json` and taken only when
    the model accepts it. `query`: the endpoint's query parameters (str or int), each its last value or the
    endpoint's default, a number matched only as a plain positive one.
    What the convertors do not match goes on to the FastAPI route, which also documents the path, and so does
    a body not taken or a number not matched (docs/performance.md#direct-routes)."""
    is_async = inspect.iscoroutinefunction(endpoint)
    if session and is_async:  # an async endpoint would get no session: say so when the app is built, not later
        raise ValueError(f"direct({path!r}): a session is for sync endpoints, as SessionDep's commit in their thread")
    run = endpoint if is_async else _commit_in_same_thread(endpoint)
    parameters = inspect.signature(endpoint).parameters
    takes_request = "request" in parameters
    defaults = {name: parameters[name].default for name in query or {}}
    session_scope = contextlib.asynccontextmanager(get_session)

    async def call(request: Request) -> Response:
        if request.method != method:  # Starlette lets HEAD into a GET route; FastAPI's answers it 405, as here
            raise HTTPException(405, headers={"Allow": method})
        values: dict[str, Any] = dict(request.path_params)
        if takes_request:
            values["request"] = request
        if query:
            given = request.query_params
            for name, kind in query.items():
                values[name] = kind(given[name]) if name in given else defaults[name]
        if body is not None:  # a body not taken is FastAPI's to answer, the caller's check included
            raw = await request.body()
            try:
                values[body[0]] = body[1].model_validate_json(raw)
            except ValueError:  # pydantic's ValidationError is one
                return _HandOn(raw)
        for name, dep in deps.items():
            values[name] = await dep(request)
        if is_async:
            return cast(Response, await run(**values))
        if not session:
            return cast(Response, await run_in_threadpool(run, **values))
        async with session_scope(request) as values["session"]:
            return cast(Response, await run_in_threadpool(run, **values))

    whole_numbers = frozenset(name for name, kind in (query or {}).items() if kind is int)
    return _DirectRoute(path, call, method, json_only=body is not None, whole_numbers=whole_numbers)


def make_router(**kwargs: Any) -> APIRouter:
    return Router(route_class=TransactionalRoute, **kwargs)


def include_by_segment(parent: Any, child: APIRouter) -> None:
    """Include a router and let it refuse at once the paths it cannot match: those whose next segment after the
    parent's prefix is none of the first segments of its paths (its prefix's, if it has one)."""
    parent.include_router(child)
    if not isinstance(child, Router):
        return
    paths = [child.prefix] if child.prefix else _paths(child)
    firsts = {path.split("/", 2)[1] for path in paths if path.count("/")}
    if firsts and not any(not f or f.startswith("{") for f in firsts):
        child._segments = frozenset(firsts)
        child._depth = (getattr(parent, "prefix", "") or "").count("/") + 1


def _paths(router: APIRouter) -> list[str]:
    """The paths of a router's routes, those of the routers it includes too (a domain made of parts)."""
    out = []
    for route in router.routes:
        if isinstance(route, APIRoute):
            out.append(route.path)
        elif isinstance(getattr(route, "original_router", None), APIRouter):  # FastAPI's included router
            inner = route.original_router  # type: ignore[attr-defined]
            out += [inner.prefix] if inner.prefix else _paths(inner)
    return out


# The import forms' choice of legacy Vietnamese code; anything else is a 422, not silently ignored.
LegacyForm = Annotated[Literal["", "tcvn3", "vni"], Form(description='"tcvn3" or "vni": the file is typed in that legacy Vietnamese code')]


def download(out: ExportFile) -> FileResponse:
    """An export's temporary file, streamed under its names, then removed."""
    return FileResponse(
        out.path,
        media_type=out.media_type,
        background=BackgroundTask(os.unlink, out.path),
        headers={"Content-Disposition": attachment(out.filename, display=out.display_name)},
    )


def public_base_url(request: Request) -> str:
    """The address share links and QR codes point at: HOITHI_PUBLIC_URL; else the request's own address, but
    only for a host the server may be called by (a forged Host header must not reach a QR code that proxies
    cache for a day). Without a trusted address the links are relative to this site."""
    settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url
    return str(request.base_url) if trusted_host(request) else "/"


def trusted_host(request: Request) -> bool:
    host = (request.url.hostname or "").lower()
    allowed = request.app.state.settings.allowed_host_list
    if allowed:
        return host in allowed
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return address.is_loopback or address.is_private


def certificate_pdf(issued: certificates.Issued, base: str) -> Response:
    """One certificate as a PDF download, its verification code in X-Certificate-Code."""
    code = issued.certificate.code
    return Response(
        certificates.pdf_bytes([issued], base),
        media_type="application/pdf",
        headers={"X-Certificate-Code": code, "Content-Disposition": attachment(f"giay-chung-nhan-{code}.pdf"), "Cache-Control": "no-store"},
    )


def start_reminder(request: Request, session: Session, actor: Actor, round_id: int, unit_code: str | None) -> ReminderSend:
    """Queue the reminder, commit it, then send it in the background (pages and API alike)."""
    send, targets, message = reminders.queue(
        session=session, actor=actor, round_id=round_id, unit_code=unit_code, base_url=public_base_url(request)
    )
    session.commit()
    settings = request.app.state.settings
    reminders.in_own_process(settings, send.id or 0, targets, message, settings.push_contact)
    return send
