"""The router every HTTP module uses: its sync endpoints commit in their own thread.

A sync endpoint runs in one thread-pool hop and the session dependency's exit in another. On SQLite a
writing transaction holds the database's write lock from its first statement (BEGIN IMMEDIATE) until
commit; if the commit waited for a second hop, a burst of writers blocked on that lock could take
every thread of the pool and leave no thread for the holder to commit with: a deadlock until
busy_timeout (seen in bench/: logins at 0 per second). So the endpoint's own hop ends the transaction;
the dependency's exit then only closes the session.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.routing import Match, get_route_path
from starlette.types import Scope

from app.db import session_scope


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


class Router(APIRouter):
    """FastAPI tries every route of every included router in turn. A router made with `only_under_prefix`
    (the API's /api/v1, included at the root) answers "no" at once for a path outside its prefix, so a page
    request does not try the ~80 API routes first (route matching was ~40% of a cached leaderboard page's
    CPU). Only for a router included at the root: its own prefix is then the whole of it. The page routers
    skip by the first segment of the path in the same way (include_at_root)."""

    only_under_prefix = False
    by_first_segment = False  # (set by include_at_root)
    _segments: frozenset[str] | None = None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.only_under_prefix:
            path = get_route_path(scope)
            if path != self.prefix and not path.startswith(self.prefix + "/"):
                return Match.NONE, {}
        elif self.by_first_segment and self._segments is not None:
            if get_route_path(scope).split("/", 2)[1] not in self._segments:
                return Match.NONE, {}
        return super().matches(scope)


def include_at_root(parent: APIRouter, child: APIRouter) -> None:
    """Include a router whose routes are served at the paths they are written with (the pages): it then
    answers "no" at once for a path whose first segment none of its routes has, instead of trying each."""
    parent.include_router(child)
    if isinstance(child, Router):
        firsts = {route.path.split("/", 2)[1] for route in child.routes if hasattr(route, "path")}
        if firsts and not any(f.startswith("{") or not f for f in firsts):
            child._segments = frozenset(firsts)
            child.by_first_segment = True


def make_router(*, only_under_prefix: bool = False, **kwargs: Any) -> APIRouter:
    router = Router(route_class=TransactionalRoute, **kwargs)
    router.only_under_prefix = only_under_prefix and bool(router.prefix)
    return router


class NeedsDatabase(Exception):  # noqa: N818  (a signal, not an error)
    """Raised by NO_DATABASE: what was asked for is not in this worker's memory."""


class _NoDatabase:
    """Stands in for a session on the event loop: any use of it means the answer needs the database."""

    def __getattr__(self, name: str) -> Any:
        raise NeedsDatabase(name)


NO_DATABASE: Any = _NoDatabase()


async def from_memory_or_database(engine: Any, answer: Callable[[Session], Any]) -> Any:
    """Thousands of phones ask for the same board within seconds. First try to answer on the event loop
    with NO_DATABASE as the session: when everything the answer needs is in the per-process caches, it
    comes back at once, with no thread-pool hop. Else (NeedsDatabase, raised before anything was sent or
    changed) answer again in the thread pool on a read-only session, as a sync endpoint would."""
    try:
        return answer(NO_DATABASE)
    except NeedsDatabase:
        pass

    def with_database() -> Any:
        with session_scope(engine, write=False) as session:
            return answer(session)

    return await anyio.to_thread.run_sync(with_database)
