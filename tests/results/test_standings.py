"""The per-process board cache: served while fresh, dropped when this process commits a round change."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from app.db import NeedsDatabase
from app.services.results import board_cache, standings
from tests.factories import make_member
from tests.fixtures.results import add, build


def test_boards_are_cached_until_a_round_changes(engine, session, results_arena):
    r = results_arena.rounds[0]
    first = make_member(session, results_arena.tree.a1)
    add(session, r, first, score=3)
    build(session, r)
    session.commit()
    cache = board_cache.BoardCache(ttl=600)
    board_cache.watch_commits(engine, cache)
    total, rows = standings.round_board(session=session, actor=results_arena.org, round_id=r.id, cache=cache)
    assert total == 1
    second = make_member(session, results_arena.tree.a1)
    add(session, r, second, score=5)
    ranking_rows = standings.round_board(session=session, actor=results_arena.org, round_id=r.id)  # no cache: fresh
    session.flush()
    build(session, r)
    assert standings.round_board(session=session, actor=results_arena.org, round_id=r.id)[0] == 2
    assert standings.round_board(session=session, actor=results_arena.org, round_id=r.id, cache=cache)[0] == 1  # cached
    session.commit()  # the rebuild touched the round: every board of this process is dropped
    total, rows = standings.round_board(session=session, actor=results_arena.org, round_id=r.id, cache=cache)
    assert total == 2 and [row.member_id for row in rows] == [second.id, first.id]
    assert ranking_rows[0] == 1


def test_no_cache_when_the_lifetime_is_zero(session, results_arena):
    cache = board_cache.BoardCache(ttl=0)
    calls = []
    assert cache.get_or(("k",), lambda: calls.append(1) or 7) == 7
    assert cache.get_or(("k",), lambda: calls.append(1) or 8) == 8 and len(calls) == 2


def test_a_stale_board_is_recomputed_by_one_while_the_others_get_it_at_once(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(board_cache.time, "monotonic", lambda: clock[0])
    cache = board_cache.BoardCache(ttl=5)
    assert cache.get_or(("k",), lambda: "v1") == "v1"
    clock[0] += 3
    assert cache.get_or(("k",), lambda: "never") == "v1"  # fresh
    clock[0] += 3  # stale: the first to ask recomputes; whoever asks meanwhile gets the stale value
    during = []
    assert cache.get_or(("k",), lambda: during.append(cache.get_or(("k",), lambda: "not twice")) or "v2") == "v2"
    assert during == ["v1"] and cache.get_or(("k",), lambda: "never") == "v2"

    def fails() -> str:
        raise RuntimeError

    clock[0] += 6
    try:
        cache.get_or(("k",), fails)
    except RuntimeError:
        pass
    assert cache.get_or(("k",), lambda: "v3") == "v3"  # a failed recomputation does not leave it stuck
    clock[0] += 11  # older than twice the lifetime: nobody gets it any more; the others wait for the one computing it
    started, release, seen = threading.Event(), threading.Event(), []

    def slow() -> str:
        started.set()
        release.wait(5)
        return "v5"

    first = threading.Thread(target=lambda: seen.append(cache.get_or(("k",), slow)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: seen.append(cache.get_or(("k",), lambda: "computed twice")))
    second.start()
    second.join(0.2)  # it is waiting for the first: it does not compute the entry itself
    assert second.is_alive()
    release.set()
    first.join(5)
    second.join(5)
    assert seen == ["v5", "v5"]


def test_a_stale_entry_that_needs_the_database_is_recomputed_once_by_its_first_asker(monkeypatch):
    """On the event loop the first asker cannot recompute (NeedsDatabase) and goes to a thread: meanwhile
    everyone else gets the stale value, and only that asker recomputes it there."""
    clock = [1000.0]
    monkeypatch.setattr(board_cache.time, "monotonic", lambda: clock[0])
    cache = board_cache.BoardCache(ttl=5)
    assert cache.get_or(("k",), lambda: "v1") == "v1"
    clock[0] += 6  # stale

    def needs_database() -> str:
        raise NeedsDatabase("session")

    first = contextvars.copy_context()  # the first asker's request
    with pytest.raises(NeedsDatabase):
        first.run(cache.get_or, ("k",), needs_database)
    assert contextvars.copy_context().run(cache.get_or, ("k",), lambda: "not them") == "v1"  # another request
    assert first.run(cache.get_or, ("k",), lambda: "v2") == "v2"  # the first asker, in its thread
    assert cache.get_or(("k",), lambda: "never") == "v2"


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The board cache's monotonic clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(board_cache.time, "monotonic", lambda: now[0])
    return now


def _claimed_on_the_loop(cache: board_cache.BoardCache, key: tuple) -> contextvars.Context:
    """A request that asked for `key` on the event loop, could not make it there, and keeps its claim (the
    request's context, in which it goes on)."""

    def needs_database() -> str:
        raise NeedsDatabase("session")

    request = contextvars.copy_context()
    with pytest.raises(NeedsDatabase):
        request.run(cache.get_or, key, needs_database)
    return request


def test_a_claim_its_request_never_comes_back_to_holds_nobody_up(clock):
    """A request on the event loop claims an entry, goes to a thread, and there asks for another key (the round's
    standings were rebuilt meanwhile, so its page has a new key). Its claim must not leave the others waiting
    (the pool's threads with them): they wait for HANDOVER_S at most, then the next one computes and keeps it."""
    cache = board_cache.BoardCache(ttl=5)
    _claimed_on_the_loop(cache, ("page", "built at 1"))
    clock[0] += board_cache.HANDOVER_S / 2
    seen: list[tuple[str, float]] = []

    def other_request() -> None:  # in a thread of the pool, as a sync endpoint's
        started = time.perf_counter()
        seen.append((cache.get_or(("page", "built at 1"), lambda: "w"), time.perf_counter() - started))

    waiter = threading.Thread(target=other_request)
    waiter.start()
    waiter.join(board_cache.WAIT_S + 5)
    assert seen[0][0] == "w" and seen[0][1] < board_cache.HANDOVER_S + 1  # waited for the claim's end, not WAIT_S
    clock[0] += board_cache.HANDOVER_S  # the claim has ended: the next asker takes it over and keeps the entry
    assert contextvars.copy_context().run(cache.get_or, ("page", "built at 1"), lambda: "v") == "v"
    assert cache.get_or(("page", "built at 1"), lambda: "never") == "v"


def test_a_claimant_that_finds_the_entry_fresh_lets_go_of_its_claim(clock):
    cache = board_cache.BoardCache(ttl=5)
    first = _claimed_on_the_loop(cache, ("k",))
    clock[0] += 2 * board_cache.HANDOVER_S  # expired: another request computes and keeps the entry
    assert cache.get_or(("k",), lambda: "theirs") == "theirs"
    assert first.run(cache.get_or, ("k",), lambda: "never") == "theirs"  # the first asker, back in its thread
    clock[0] += 6  # stale now: nobody's claim is in the way of the next asker
    assert contextvars.copy_context().run(cache.get_or, ("k",), lambda: "v2") == "v2"
