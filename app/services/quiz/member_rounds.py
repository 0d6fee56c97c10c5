"""What a member sees of the rounds open to them, on home and on a round's rules page: the state of each
(an attempt in progress and its time left, attempts used of those allowed, the wait after the last one, the
last result when it may be seen) and whether a new attempt may start. One rule for both pages, so a member
with no attempt left never sees a start button and never lands on an error page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from app.db import DriverStatement, NeedsDatabase
from app.models import Attempt, Contest, Round, Standing, Unit
from app.models.contests import ContestStatus, RoundStatus
from app.models.quiz import AttemptStatus
from app.models.types import utcnow
from app.services.contests import contests, sharing
from app.services.contests.schemas import ContestPublic
from app.services.kit import offers
from app.services.org import units
from app.services.org.access import Actor
from app.services.quiz import attempts, rules

UPCOMING_DAYS = 14  # how far ahead home announces the next round
_s = Standing.__table__.alias("counted")


@dataclass(frozen=True)
class RoundCard:
    round: Round
    contest: Contest
    phase: str  # "open" | "upcoming" | "closed"
    used: int  # attempts started
    in_progress: Attempt | None
    last: Attempt | None  # the latest finished attempt
    score_visible: bool
    wait_until: datetime | None  # end of the cooldown after the last attempt
    now: datetime
    attempts: tuple[Attempt, ...] = ()  # the member's attempts in the round, first to last

    @property
    def allowed(self) -> int:
        return self.round.attempts_allowed  # 0 = unlimited

    @property
    def closed_at(self) -> datetime:
        """When the round closed: an organiser's early close, else its closing time (the close job may run later)."""
        early = self.round.closed_at
        return early if early is not None and early < self.round.closes_at else self.round.closes_at

    @property
    def left(self) -> int | None:
        return None if not self.allowed else max(0, self.allowed - self.used)

    @property
    def seconds_left(self) -> int | None:
        if self.in_progress is None:
            return None
        return max(0, int((self.in_progress.deadline_at - self.now).total_seconds()))

    @property
    def can_start(self) -> bool:
        return self.phase == "open" and self.in_progress is None and self.left != 0 and self.wait_until is None

    @property
    def time_limit_min(self) -> int:
        limit = min(self.round.time_limit_s, max(0, int((self.round.closes_at - self.now).total_seconds())))
        return max(1, -(-limit // 60))


def _card(round_: Round, contest: Contest, mine: list[Attempt], now: datetime) -> RoundCard:
    phase = "closed" if round_.status == RoundStatus.closed or now >= round_.closes_at else "upcoming" if now < round_.opens_at else "open"
    in_progress = next((a for a in mine if a.status == AttemptStatus.in_progress), None)
    finished = [a for a in mine if a.status != AttemptStatus.in_progress and a.submitted_at is not None]
    last = max(finished, key=lambda a: a.number, default=None)
    wait_until = None
    if round_.cooldown_s and last is not None and last.submitted_at is not None:
        until = last.submitted_at + timedelta(seconds=round_.cooldown_s)
        wait_until = until if until > now else None
    visible = last is not None and rules.results_shown(round_, now, kept=True)  # a card's round is kept a few seconds
    return RoundCard(
        round_, contest, phase, len(mine), in_progress, last, visible, wait_until, now, tuple(sorted(mine, key=lambda a: a.number))
    )


# Home and the rules page are what every member loads when a round opens: their statements are built once.
_CARDS = (
    select(Round, Contest)
    .join(Contest, col(Contest.id) == Round.contest_id)
    .where(
        Contest.status == ContestStatus.published,
        Round.status != RoundStatus.closed,
        Round.closes_at > bindparam("now"),
        Round.opens_at <= bindparam("horizon"),
    )
    .order_by(col(Round.opens_at))
)


_attempt_t, _round_t, _contest_t = Attempt.__table__, Round.__table__, Contest.__table__
_round_cols = [c for c in _round_t.c if c.name != "draw"]  # the start's, not a card's or a result line's: left out
_contest_cols = [c for c in _contest_t.c if c.name != "rules_text"]  # its rules page's: left out
# The member's own rows, read on the session's connection or the event loop's (db_loop.loop_reads) alike: the
# attempts alone for a round's card, with their rounds and contests for home's cards and results in one read.
_MINE = DriverStatement(sa_select(_attempt_t).where(_attempt_t.c.member_id == bindparam("member_id")))
_MINE_WITH_ROUNDS = DriverStatement(
    sa_select(*(c.label(f"a_{c.name}") for c in _attempt_t.c), *(c.label(f"r_{c.name}") for c in _round_cols))
    .add_columns(*(c.label(f"c_{c.name}") for c in _contest_cols))
    .join_from(_attempt_t, _round_t, _round_t.c.id == _attempt_t.c.round_id)
    .join(_contest_t, _contest_t.c.id == _round_t.c.contest_id)
    .where(_attempt_t.c.member_id == bindparam("member_id"))
)
_RANK = DriverStatement(
    sa_select(
        Standing.__table__.c.rank, select(func.count()).where(_s.c.round_id == bindparam("round_id")).scalar_subquery().label("ranked")
    ).where(Standing.__table__.c.member_id == bindparam("member_id"), Standing.__table__.c.round_id == bindparam("round_id"))
)


@dataclass(frozen=True)
class Own:
    """The member's attempts (own()), and their rounds and contests when read with them."""

    attempts: list[Attempt]
    rounds: dict[int, tuple[Round, Contest]] | None  # by round id; None: not read

    def in_rounds(self, round_ids: list[int] | None) -> dict[int, list[Attempt]]:
        """The attempts by round, in these rounds (None: in every round)."""
        out: dict[int, list[Attempt]] = {i: [] for i in round_ids or ()}
        for attempt in self.attempts:
            if round_ids is None or attempt.round_id in out:
                out.setdefault(attempt.round_id, []).append(attempt)
        return out

    def finished(self) -> list[tuple[Attempt, Round, Contest]]:
        """The submitted or finalised attempts with their rounds and contests, the latest first."""
        assert self.rounds is not None, "own(rounds=True)"
        done = sorted((a for a in self.attempts if a.submitted_at is not None), key=lambda a: a.submitted_at or a.started_at, reverse=True)
        return [(a, *self.rounds[a.round_id]) for a in done]


def own(*, session: Session, actor: Actor, now: datetime | None = None, reads: Connection | None = None, rounds: bool = False) -> Own:
    """The member's attempts, on `reads` (a page made on the event loop) or the session's connection; with
    `rounds`, their rounds and contests in the same read (without the round's draw and the contest's rules
    text). They are built without validation, as a cold member is, and not attached to a session. One that ran
    out of time is finalised on the way (as on any access), so a card never shows an attempt in progress with
    no time left: in the session, or, on `reads`, by making the page again with the database (NeedsDatabase)."""
    now = now or utcnow()
    conn = reads if reads is not None else session.connection()
    mine: list[Attempt] = []
    by_round: dict[int, tuple[Round, Contest]] | None = {} if rounds else None
    for row in (_MINE_WITH_ROUNDS if rounds else _MINE).all(conn, {"member_id": actor.id}):
        values = row._asdict()
        attempt = Attempt.model_construct(**({c.name: values[f"a_{c.name}"] for c in _attempt_t.c} if rounds else values))
        if attempt.status == AttemptStatus.in_progress and now >= attempt.deadline_at:
            if reads is not None:
                raise NeedsDatabase("an attempt to finalise")
            attached = session.get(Attempt, attempt.id)
            assert attached is not None
            attempt = attempts.finalise_if_due(session=session, attempt=attached, now=now)
        if by_round is not None and attempt.round_id not in by_round:
            by_round[attempt.round_id] = (
                # the draw, not read, is given: else pydantic calls its default factory (list) through
                # inspect.signature at each construct, 87 µs against 10
                Round.model_construct(draw=[], **{c.name: values[f"r_{c.name}"] for c in _round_cols}),
                Contest.model_construct(**{c.name: values[f"c_{c.name}"] for c in _contest_cols}),
            )
        mine.append(attempt)
    return Own(mine, by_round)


def cards_for(
    *,
    session: Session,
    actor: Actor,
    now: datetime | None = None,
    cache: offers.Cache | None = None,
    reads: Connection | None = None,
    mine: Own | None = None,
) -> list[RoundCard]:
    """The rounds open now and those opening in the next two weeks, of the published contests whose scope
    holds the member's unit: open ones first (closing soonest first), then upcoming by opening time.
    `mine`: the member's attempts as own() read them, else read (on `reads`, as card_for)."""
    now = now or utcnow()
    assert actor.unit is not None
    ancestors = set(units.ancestor_ids(actor.unit.path))

    def offered(db: Session) -> list[tuple[Round, Contest]]:  # every unit's: a few dozen rounds, kept once for all
        rows = [(r, c) for r, c in db.exec(_CARDS, params={"now": now, "horizon": now + timedelta(days=UPCOMING_DAYS)}).all()]
        offers.detached(db, [o for row in rows for o in row])
        return rows

    # those of the member's units; a kept list may be a few seconds old: what closed since is left out here
    kept = offers.shared(cache, ("home-rounds",), session, offered)
    rows = [(r, c) for r, c in kept if c.scope_unit_id in ancestors and r.closes_at > now]
    # only the next upcoming round of each contest: a contest's whole schedule is on its rules page
    seen: set[int] = set()
    picked = []
    for r, c in rows:
        if r.opens_at > now:
            assert c.id is not None
            if c.id in seen:
                continue
            seen.add(c.id)
        picked.append((r, c))
    round_ids = [r.id for r, _c in picked if r.id is not None]
    by_round = (mine if mine is not None else own(session=session, actor=actor, now=now, reads=reads)).in_rounds(round_ids)
    cards = [_card(r, c, by_round[r.id], now) for r, c in picked if r.id is not None]
    return sorted(cards, key=lambda k: (k.phase != "open", k.round.closes_at if k.phase == "open" else k.round.opens_at))


def card_for(
    *,
    session: Session,
    actor: Actor,
    round_id: int,
    now: datetime | None = None,
    cache: offers.Cache | None = None,
    reads: Connection | None = None,
) -> RoundCard:
    """One round's card, for its rules page; NotFound / Forbidden as for starting it. With the app's cache the
    round and contest are read once for everyone opening the page within a few seconds (the start reads them
    again as they are). `reads`: the member's attempts are read on that bare connection, not the session."""
    now = now or utcnow()
    round_, contest = attempts.round_for_member(session, actor, round_id, cache)
    assert round_.id is not None
    mine = own(session=session, actor=actor, now=now, reads=reads).in_rounds([round_.id])
    return _card(round_, contest, mine[round_.id], now)


def card_of_attempt(
    *,
    session: Session,
    actor: Actor,
    attempt_id: int,
    now: datetime | None = None,
    cache: offers.Cache | None = None,
    reads: Connection | None = None,
) -> tuple[Attempt, RoundCard]:
    """The member's own attempt (as attempts.get_own) and its round's card (card_for), from one read of the
    member's attempts: the result page's, which shows both."""
    now = now or utcnow()
    everything = own(session=session, actor=actor, now=now, reads=reads).in_rounds(None)
    attempt = next((a for mine in everything.values() for a in mine if a.id == attempt_id), None)
    if attempt is None:
        raise rules.Refusal.not_found.error()
    round_, contest = attempts.round_for_member(session, actor, attempt.round_id, cache)
    return attempt, _card(round_, contest, everything[attempt.round_id], now)


def rules_page_part(*, session: Session, contest: Contest, locale: str, cache: offers.Cache | None) -> tuple[ContestPublic, str]:
    """A round's rules page as every member sees it: the contest (its rounds, the rules summary) and its rules text
    as HTML. With the app's cache it is made once per contest and language for everyone opening the page within
    a few seconds (dropped when a round or contest changes in this worker)."""

    def make(db: Session) -> tuple[ContestPublic, str]:
        return contests.contest_public(session=db, contest=contest, locale=locale), sharing.render_rules(contest.rules_text)

    return offers.shared(cache, ("rules-page", contest.id, locale), session, make)


@dataclass(frozen=True)
class MyResult:
    """A round the member took: the latest finished attempt, and the rank once the board shows scores."""

    round: Round
    contest: Contest
    last: Attempt
    visible: bool
    rank: int | None
    ranked: int | None  # how many were ranked


def my_results(
    *, session: Session, actor: Actor, limit: int = 5, now: datetime | None = None, reads: Connection | None = None, mine: Own | None = None
) -> list[MyResult]:
    """The member's rounds, newest first: the member's attempts (`mine`, else read as own() reads them), and one
    read of the rank for each round that shows one (at most `limit`)."""
    now = now or utcnow()
    picked: dict[int, tuple[Attempt, Round, Contest]] = {}
    for a, r, c in (mine if mine is not None else own(session=session, actor=actor, now=now, reads=reads, rounds=True)).finished():
        assert r.id is not None
        if r.id not in picked and len(picked) < limit:
            picked[r.id] = (a, r, c)
    out = []
    conn = reads if reads is not None else session.connection()
    for round_id, (a, r, c) in picked.items():
        visible = rules.results_shown(r, now)
        # (rank, how many were ranked) on the board; none before the round's close
        found = _RANK.first(conn, {"member_id": actor.id, "round_id": round_id}) if visible else None
        out.append(MyResult(r, c, a, visible, *(found or (None, None))))
    return out


def past_contests(
    *, session: Session, actor: Actor, limit: int = 5, now: datetime | None = None, cache: offers.Cache | None = None
) -> list[Contest]:
    """Contests of the member's scope whose every round has closed, newest first (their boards stay)."""
    now = now or utcnow()
    assert actor.unit is not None
    path = actor.unit.path
    params = {"ancestors": units.ancestor_ids(path), "now": now, "limit": limit}
    return list(
        offers.shared(
            cache, ("home-past", path, limit), session, lambda db: offers.detached(db, db.exec(_PAST, params=params).all()), lasting=True
        )
    )


_still_open = (
    select(Round.id).where(Round.contest_id == Contest.id, Round.status != RoundStatus.closed, Round.closes_at > bindparam("now")).exists()
)
_PAST = (
    select(Contest)
    .where(col(Contest.scope_unit_id).in_(bindparam("ancestors", expanding=True)), Contest.status != ContestStatus.draft, ~_still_open)
    .order_by(col(Contest.published_at).desc())
    .limit(bindparam("limit"))
)


def scope_of(*, session: Session, contest: Contest) -> Unit:
    unit = session.get(Unit, contest.scope_unit_id)
    assert unit is not None
    return unit


@dataclass(frozen=True)
class Finished:
    """A finished contest for the public archive, with its rounds whose winners are public (sealed)."""

    contest: Contest
    sealed: list[Round]
    rounds: int  # how many rounds the contest has (all sealed: the contest's winners page)


def archive(*, session: Session, limit: int = 50, now: datetime | None = None) -> list[Finished]:
    """Published contests whose every round has closed, newest first, with their sealed rounds (public)."""
    now = now or utcnow()
    still_open = select(Round.id).where(Round.contest_id == Contest.id, Round.status != RoundStatus.closed, Round.closes_at > now).exists()
    done = session.exec(
        select(Contest).where(Contest.status != ContestStatus.draft, ~still_open).order_by(col(Contest.published_at).desc()).limit(limit)
    ).all()
    ids = [c.id for c in done]
    sealed: dict[int, list[Round]] = {}
    counts = dict(
        session.exec(select(Round.contest_id, func.count()).where(col(Round.contest_id).in_(ids)).group_by(col(Round.contest_id))).all()
    )
    for r in session.exec(
        select(Round).where(col(Round.contest_id).in_(ids), col(Round.sealed_at).is_not(None)).order_by(col(Round.position))
    ).all():
        sealed.setdefault(r.contest_id, []).append(r)
    return [Finished(c, sealed.get(c.id or 0, []), counts.get(c.id or 0, 0)) for c in done]
