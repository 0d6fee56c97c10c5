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

from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlmodel import Session


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


def make_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=TransactionalRoute, **kwargs)
