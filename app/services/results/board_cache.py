"""The per-process cache of boards (rows, round info, encoded API bodies, shared HTML pages) and the keys
under which the boards' pages and bodies are kept. Made by create_app (app.state.boards)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cachetools import LRUCache
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession

from app.db import NeedsDatabase, committed, on_commit
from app.models import Contest, EssayCampaign, Question, Round, RoundQuestion, Topic

_MISSING = object()
WAIT_S = 10.0  # how long a request waits for another's computation of the same entry before doing it itself
HANDOVER_S = 1.0  # how long a claim made on the event loop waits for its request to come back in a thread


@dataclass
class _Claim:
    """A request computing an entry: the others wait on `done` until `expires_at` at most."""

    owner: object
    expires_at: float
    done: threading.Event = field(default_factory=threading.Event)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# The keys this request claimed to recompute, with its claims' owner tokens (a context variable: the thread that
# answers after the event loop could not runs in a copy of the request's context).
_claimed: ContextVar[dict[Hashable, object]] = ContextVar("board_cache_claimed", default={})  # noqa: B039 (never mutated)
CHANGED_ROUNDS = "rounds"  # db.committed kind: a round or contest changed (closed, rebuilt, re-scored)


class BoardCache:
    """Per-process and short-lived: thousands of phones ask for a board that changes only with a rebuild
    (docs/performance.md#board-cache). An entry is fresh for `ttl` seconds, or `lasting_ttl` when keyed by the
    round's standings_built_at (which the short-lived round entry sees change), then stale for as long again:
    one caller recomputes it while the others get the stale value. A commit in this worker that changes a
    round drops every entry (watch_commits); another worker's change shows within 2 × `ttl`. Routers pass the
    app's cache in; without one (services, tests) every read goes to the database."""

    def __init__(self, ttl: float, maxsize: int = 20_000, lasting_ttl: float | None = None) -> None:
        self.ttl = ttl
        self.lasting_ttl = lasting_ttl if lasting_ttl is not None else 12 * ttl
        self._items: LRUCache | None = LRUCache(maxsize=maxsize) if ttl > 0 else None
        self._refreshing: dict[tuple, _Claim] = {}  # keys being computed
        self._lock = threading.Lock()

    def get_or(self, key: tuple, make: Callable[[], Any], *, lasting: bool = False) -> Any:
        if self._items is None:
            return make()
        ttl = self.lasting_ttl if lasting else self.ttl
        with self._lock:
            value, made_at, _ = self._items.get(key, (_MISSING, 0.0, 0.0))
            now = time.monotonic()
            found = self._refreshing.get(key)
            mine = found is not None and found.owner is _claimed.get().get(key)
            if value is not _MISSING and now - made_at < ttl:
                if mine:
                    self._release(key)  # this request's claim from the event loop, not needed any more
                return value
            if found is not None and not mine and now < found.expires_at:
                if value is not _MISSING and now - made_at < 2 * ttl:
                    return value  # someone is recomputing it: the stale value meanwhile
                claim, waiting = found, True
            else:
                claim, waiting = self._claim(key, found, mine, now), False
        if waiting:
            return self._wait_for(key, claim, make, lasting)
        keep_claim = False
        try:
            value = make()  # outside the lock
            with self._lock:
                self._items[key] = (value, time.monotonic(), ttl)
            return value
        except NeedsDatabase:
            # tried on the event loop first (db_loop.from_memory_or_database): this request recomputes it in a
            # thread next; meanwhile the others get the stale value, or wait for it in their threads. The claim
            # lasts a moment only: the thread may not come back to this key (the round's standings were
            # rebuilt meanwhile, and its page has another key now).
            keep_claim = True
            claim.expires_at = time.monotonic() + HANDOVER_S
            _claimed.set({**_claimed.get(), key: claim.owner})
            raise
        finally:
            if not keep_claim:
                with self._lock:
                    self._release(key, claim)

    def _claim(self, key: tuple, found: _Claim | None, mine: bool, now: float) -> _Claim:
        """Under the lock: this request's claim on the key. Its own from the event loop, now in a thread, is
        extended; an expired one of another request is ended (its waiters stop waiting) and replaced."""
        if found is not None and mine:
            found.expires_at = now + WAIT_S
            return found
        if found is not None:
            found.done.set()
        claim = self._refreshing[key] = _Claim(object(), now + WAIT_S)
        return claim

    def _release(self, key: tuple, claim: _Claim | None = None) -> None:
        """Under the lock: drop the key's claim (only `claim`, when given) and wake its waiters."""
        current = self._refreshing.get(key)
        if current is not None and (claim is None or current is claim):
            del self._refreshing[key]
            current.done.set()

    def _wait_for(self, key: tuple, claim: _Claim, make: Callable[[], Any], lasting: bool) -> Any:
        """A first miss that another request is computing: wait for it (in a thread; on the event loop, go to
        a thread first), so that a burst of the same request computes it once, not once per request. Never
        past the claim's end: a thread of the pool waiting here is one that serves nobody."""
        if _on_event_loop():
            raise NeedsDatabase("being computed")
        claim.done.wait(max(0.0, claim.expires_at - time.monotonic()))
        assert self._items is not None
        with self._lock:
            value, made_at, _ = self._items.get(key, (_MISSING, 0.0, 0.0))
        fresh = time.monotonic() - made_at < (self.lasting_ttl if lasting else self.ttl)
        return value if value is not _MISSING and fresh else make()

    def clear(self) -> None:
        if self._items is not None:
            with self._lock:
                self._items.clear()


def watch_commits(engine: Engine, cache: BoardCache) -> None:
    """Drop every entry of `cache` when a session on `engine` commits a change of a round, contest, topic, essay
    campaign or question."""
    if not event.contains(OrmSession, "before_flush", _note_round_changes):
        event.listen(OrmSession, "before_flush", _note_round_changes)
        event.listen(OrmSession, "after_commit", _tell_round_changes)
    on_commit(engine, CHANGED_ROUNDS, lambda _changed: cache.clear())


def _note_round_changes(session: OrmSession, _ctx: object, _instances: object) -> None:
    # topics (study sets) and essay campaigns too: home keeps what a unit is offered here (kit.offers); questions
    # and a round's fixed list: what a round draws from (drawing.pools_of)
    watched = Round | Contest | Topic | EssayCampaign | Question | RoundQuestion
    if any(isinstance(o, watched) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info["boards_stale"] = True


def _tell_round_changes(session: OrmSession) -> None:
    if session.info.pop("boards_stale", False):
        committed(session, CHANGED_ROUNDS, None)


# --- keys: what a cached page or body depends on besides what the cache itself tracks ---------------------
def page_key(roles: frozenset[str], unit: str, page: int, built_at: datetime | None) -> tuple[Hashable, ...]:
    """A shared board page: the unit and page shown, the roles that decide the navigation (base.html), and
    the standings it shows."""
    return unit.upper(), page, roles, built_at


def own_row(member_id: int) -> tuple[str, str]:
    """The member's own row on a shared board (rows.html gives every row its member's id)."""
    return f'<tr data-m="{member_id}">', f'<tr data-m="{member_id}" class="me" aria-current="true">'


def card_key(locale: str, round_id: int, built_at: datetime | None, visible: bool, member_id: int) -> tuple[Hashable, ...]:
    """A member's rank card as HTML, kept like the rank card it shows."""
    return "card-html", locale, round_id, built_at, visible, member_id


def mine_key(locale: str, base: str, unit: str, home_unit_id: int | None) -> tuple[Hashable, ...]:
    """The links to a member's own units: the same for every member of a unit."""
    return "mine", locale, base, unit.upper(), home_unit_id


def round_body_key(round_id: int, built_at: datetime | None, unit_code: str | None, limit: int, offset: int) -> tuple[Hashable, ...]:
    return "api-round", round_id, built_at, (unit_code or "").upper(), limit, offset


def units_body_key(round_id: int, built_at: datetime | None, parent_code: str | None, visible: bool) -> tuple[Hashable, ...]:
    # the scores in the table depend on visibility, so the key does too
    return "api-units", round_id, built_at, (parent_code or "").upper(), visible


def contest_body_key(contest_id: int, unit_code: str | None, limit: int, offset: int) -> tuple[Hashable, ...]:
    return "api-contest", contest_id, (unit_code or "").upper(), limit, offset


def participation_page_key(roles: frozenset[str], unit_path: str, sort: str, page: int) -> tuple[Hashable, ...]:
    """A participation page: the same for every organiser of the unit with the same roles (the navigation)."""
    return "participation", unit_path, sort, page, roles


def participation_body_key(round_id: int, unit_path: str, sort: str, limit: int, offset: int) -> tuple[Hashable, ...]:
    return "api-participation", round_id, unit_path, sort, limit, offset


def json_body(cache: BoardCache, key: tuple[Hashable, ...], make: Callable[[], Any], *, lasting: bool = False) -> bytes:
    """An API body (a pydantic model from make()) encoded once and kept under key."""
    return cache.get_or(key, lambda: make().model_dump_json().encode(), lasting=lasting)


def cached(cache: BoardCache | None, key: tuple, make: Callable[[], Any], lasting: bool = False) -> Any:
    """`make()` kept in `cache` under `key`, or made each time where there is no cache (a script, a test)."""
    return cache.get_or(key, make, lasting=lasting) if cache is not None else make()
