"""What every member of a unit is offered (its rounds, past contests, study sets, essay campaigns) is the same
for each of them, as is a round's rules page but for the member's own attempts. With the app's board cache (a
few seconds, dropped when a round or contest changes in this worker; app.services.results.board_cache) a home
page reads it once, not once per member: when a round opens, thousands of members of a few hundred units load
home and the rules page within minutes (bench.journey). What is small for the whole system (the rounds open or
opening soon, the essay campaigns open now) is kept once for every unit and filtered by the member's units;
the rest per unit, for a minute (docs/performance.md#one-offer-for-every-unit)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol, TypeVar, cast

from app.db import NO_DATABASE
from app.db_loop import loop_session

T = TypeVar("T")


class Cache(Protocol):
    def get_or(self, key: tuple[Hashable, ...], make: Callable[[], Any], *, lasting: bool = False) -> Any: ...


def detached(session: Any, objects: Iterable[T]) -> list[T]:
    """Loaded rows taken out of the request's session before they are kept: another request reads them, and a
    rollback of this one must not expire them."""
    out = list(objects)
    for obj in out:
        if obj in session:
            session.expunge(obj)
    return out


def shared(cache: Cache | None, key: tuple[Hashable, ...], session: Any, make: Callable[[Any], T], *, lasting: bool = False) -> T:
    """make(session)'s value, kept under key when there is a cache; else made now. The key names what makes the
    value the same for everyone who asks: the unit's path, the round, the contest and language. `lasting`: kept
    a minute, not seconds (BoardCache), for what changes rarely and may show a little late elsewhere than in the
    worker that changed it (a unit's past contests, its study sets). On the event loop
    (session is db.NO_DATABASE) a miss is read on the loop reader's connection the page holds (db_loop.loop_session):
    a unit's offer that ran out then costs one read there, not the whole page again in the thread pool."""

    def made() -> T:
        if session is not NO_DATABASE:
            return make(session)
        with loop_session() as on_loop:
            return make(on_loop)

    return cast(T, cache.get_or(key, made, lasting=lasting)) if cache is not None else made()
