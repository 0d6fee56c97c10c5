"""Playing a live game: joining with the PIN, answering inside the server's window, and what a phone or a
screen shows (the game's state at a version, with the asking player's own part). The one asking is a member
(an Actor) or a guest (a GuestPass, app.services.live.guests): play.seat tells which player, if any, they are.

An answer is taken once per player and question (a unique key, so a second tap or a retried request gets 409
and the first stays), only while the question is open and not paused, and up to GRACE_MS after its deadline
for the network's delay. Its time is the server's, from the question's opening. The right options are in no
answer before the reveal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from app.models import LiveAnswer, LiveGame, LivePlayer, LiveQuestion, Unit
from app.models.live import LiveMode, LiveStatus
from app.models.types import is_db_id, utcnow
from app.services.live import games, guests, scoring
from app.services.live.guests import GuestPass
from app.services.live.schemas import MineOut, OptionCount, OptionOut, PlayerRef, QuestionOut, ResultRow, StateOut, UnitRow
from app.services.org.access import Actor

GRACE_MS = 500  # answers this late after the deadline are still taken: the phone's network delay


# --- joining ------------------------------------------------------------------------------------------------------
def join(*, session: Session, actor: Actor, pin: str, now: datetime | None = None) -> tuple[LiveGame, LivePlayer]:
    """Into the running game with this PIN, if the member's unit is inside its scope; joining again gives the
    same player (a phone that drops and comes back). Guests join through guests.join."""
    game = games.running(session, pin)
    scope, unit = session.get(Unit, game.scope_unit_id), session.get(Unit, actor.member.unit_id)
    if scope is None or unit is None or not unit.path.startswith(scope.path):
        raise Forbidden(N_("Trò chơi này dành cho {unit}; bạn không thuộc đơn vị đó."), unit=scope.name if scope else "")
    found = _player(session, game.id or 0, actor.id)
    if found is not None:
        return game, found
    player = games.new_player(game, member_id=actor.id, full_name=actor.member.full_name, unit_id=unit.id or 0, now=now or utcnow())
    try:
        with session.begin_nested():
            session.add(player)
            session.flush()
    except IntegrityError:  # the same member's other phone joined a moment ago
        again = _player(session, game.id or 0, actor.id)
        if again is None:
            raise
        return game, again
    return game, player


def _player(session: Session, game_id: int, member_id: int) -> LivePlayer | None:
    stmt = select(LivePlayer).where(col(LivePlayer.game_id) == game_id, col(LivePlayer.member_id) == member_id)
    return session.exec(stmt).first()


Who = Actor | GuestPass  # who asks about a game: a member (its player, its host or both) or a guest (a player only)


def _player_of(session: Session, who: Who, game_id: int) -> LivePlayer | None:
    """The asking player: a member's by their id; a guest's by their credential, where a wrong one is refused
    as an unknown caller is (401)."""
    if isinstance(who, GuestPass):
        player = guests.player_for(session, game_id, who.credential)
        if player is None:
            raise Unauthorized(guests.UNKNOWN)
        return player
    return _player(session, game_id, who.id)


@dataclass(frozen=True)
class Seat:
    """Who asks about a game: its player, its host (an organiser of its scope), or both. A guest is never a host."""

    game: LiveGame
    player: LivePlayer | None
    host: bool


def seat(*, session: Session, who: Who, game_id: int) -> Seat:
    game = session.get(LiveGame, game_id) if is_db_id(game_id) else None
    if game is None:
        raise NotFound(N_("Không tìm thấy trò chơi."))
    player = _player_of(session, who, game.id or 0)
    host = False
    if isinstance(who, Actor):
        scope = session.get(Unit, game.scope_unit_id)
        host = scope is not None and who.covers(scope)
    if player is None and not host:
        raise NotFound(N_("Không tìm thấy trò chơi."))
    return Seat(game, player, host)


# --- answering ----------------------------------------------------------------------------------------------------
def answer(*, session: Session, who: Who, game_id: int, option_ids: list[int], now: datetime | None = None) -> LiveAnswer:
    now = now or utcnow()
    game = _game_shared(session, game_id)
    player = _player_of(session, who, game.id or 0) if game else None
    if game is None or player is None:
        raise NotFound(N_("Bạn chưa vào trò chơi này."))
    check_window(game, now)
    check_may_answer(game, player)
    question = games.question_at(session, game.id or 0, game.question_index)
    assert question is not None and game.opened_at is not None
    chosen = checked_options(question, option_ids)
    given = LiveAnswer(
        game_id=game.id or 0,
        player_id=player.id or 0,
        question_index=game.question_index,
        option_ids=chosen,
        accepted_at=now,
        elapsed_ms=max(0, int((now - game.opened_at).total_seconds() * 1000)),
    )
    try:
        with session.begin_nested():
            session.add(given)
            session.flush()
    except IntegrityError:
        raise Conflict(N_("Bạn đã trả lời câu này rồi.")) from None
    return given


def _game_shared(session: Session, game_id: int) -> LiveGame | None:
    """The game, share-locked on PostgreSQL: answers do not wait for each other, but a reveal waits for the
    answers being taken (and they for it), so none is taken after its question was judged."""
    if not is_db_id(game_id):
        return None
    stmt = select(LiveGame).where(col(LiveGame.id) == game_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(read=True)
    return session.exec(stmt).first()


def check_window(game: LiveGame, now: datetime) -> None:
    if game.status != LiveStatus.question or game.deadline_at is None:
        raise Conflict(N_("Câu hỏi đã đóng."))
    if game.paused_left_ms is not None:
        raise Conflict(N_("Trò chơi đang tạm dừng."))
    if now > game.deadline_at + timedelta(milliseconds=GRACE_MS):
        raise Conflict(N_("Đã hết giờ trả lời câu này."))


def check_may_answer(game: LiveGame, player: LivePlayer) -> None:
    if game.mode != LiveMode.elimination:
        return
    if game.rescue and player.alive:
        raise Conflict(N_("Câu cứu trợ chỉ dành cho người đã bị loại."))
    if not game.rescue and not player.alive:
        raise Forbidden(N_("Bạn đã bị loại, hãy chờ câu cứu trợ."))


def checked_options(question: LiveQuestion, option_ids: list[int]) -> list[int]:
    chosen = sorted(set(option_ids))
    known = {o["id"] for o in question.options}
    if not chosen or any(i not in known for i in chosen):
        raise Invalid(N_("Hãy chọn một trong các phương án của câu hỏi."), field="option_ids")
    if games.is_single(question.kind) and len(chosen) != 1:
        raise Invalid(N_("Câu hỏi này chỉ có một đáp án đúng: hãy chọn một phương án."), field="option_ids")
    return chosen


# --- what the screens and phones show -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mine:
    alive: bool
    score: int
    rank: int
    correct: bool | None  # the shown question's verdict, once revealed
    points: int | None


@dataclass(frozen=True)
class Snapshot:
    """The game at one version: the same for everyone, and each player's own part (built once per version by
    each worker, whatever the number of phones it holds)."""

    state: StateOut
    players: dict[int, Mine]


def snapshot(*, session: Session, game_id: int, now: datetime | None = None) -> Snapshot:
    """The game now, for everyone and for each player: read as rows, since a game has thousands of players."""
    game = session.get(LiveGame, game_id)
    if game is None:
        raise NotFound(N_("Không tìm thấy trò chơi."))
    players = games.player_states(session, game_id)
    on_screen = game.status in (LiveStatus.question, LiveStatus.reveal) and game.question_index >= 0
    question = games.question_at(session, game_id, game.question_index) if on_screen else None
    revealed = question if game.status == LiveStatus.reveal else None
    given = games.answers_to(session, game_id, game.question_index) if revealed is not None else []
    state = StateOut(
        id=game_id,
        title=game.title,
        mode=game.mode,
        status=game.status,
        question_index=game.question_index,
        question_count=games.question_count(session, game_id),
        question=_question_out(question) if question is not None else None,
        deadline_at=game.deadline_at if game.status == LiveStatus.question else None,
        now=now or utcnow(),
        seconds_per_question=game.seconds_per_question,
        paused=game.paused_left_ms is not None,
        paused_left_ms=game.paused_left_ms,
        rescue=game.rescue,
        players=len(players),
        alive=None,
        alive_count=sum(1 for p in players if p.alive),
        version=game.version,
        correct_option_ids=list(revealed.correct_ids) if revealed is not None else None,
        distribution=_distribution(revealed, given) if revealed is not None else None,
    )
    return Snapshot(state, _players_part(game.mode, players, given, revealed is not None))


def _players_part(mode: str, players: list[scoring.PlayerState], given: list[Any], revealed: bool) -> dict[int, Mine]:
    """Each player's own: still in or not, score and rank, and once revealed their verdict on the question."""
    verdicts: dict[int, tuple[bool | None, int | None]] = {a.player_id: (a.correct, a.points) for a in given}
    unseen: tuple[bool | None, int | None] = (False, 0) if revealed else (None, None)
    ranks = {p.id: rank for rank, p in scoring.ranked_apart(mode, players)}  # a guest's rank among the guests
    return {p.id: Mine(p.alive, p.score, ranks.get(p.id, 0), *verdicts.get(p.id, unseen)) for p in players}


def _question_out(q: LiveQuestion) -> QuestionOut:
    return QuestionOut(text=q.text, kind=q.kind, options=[OptionOut(id=o["id"], text=o["text"]) for o in q.options])


def _distribution(question: LiveQuestion, given: list[Any]) -> list[OptionCount]:
    counts = games.count_choices(given)
    return [OptionCount(option_id=o["id"], count=counts.get(o["id"], 0)) for o in question.options]


def state_for(snap: Snapshot, player_id: int | None, *, answered: bool | None = None, now: datetime | None = None) -> StateOut:
    """The snapshot as one player (or a host, player_id None) sees it."""
    mine = snap.players.get(player_id) if player_id is not None else None
    extra: dict[str, object] = {"now": now or utcnow()}
    if mine is not None and player_id is not None:
        extra["alive"] = mine.alive if snap.state.mode == LiveMode.elimination else None
        extra["me"] = MineOut.model_validate(_mine(snap, player_id, mine, bool(answered)))
    return snap.state.model_copy(update=extra)


def _mine(snap: Snapshot, player_id: int, mine: Mine, answered: bool) -> dict[str, Any]:
    """A player's own part (MineOut's fields), as a dict: thousands are encoded at each change."""
    return {
        "player_id": player_id,
        "answered": answered,
        "alive": mine.alive if snap.state.mode == LiveMode.elimination else None,
        "correct": mine.correct,
        "points": mine.points,
        "score": mine.score,
        "rank": mine.rank if snap.state.status in (LiveStatus.reveal, LiveStatus.finished) else None,
    }


@dataclass(frozen=True)
class Views:
    """A snapshot encoded for the event stream: the state for everyone, and each player's own part."""

    version: int
    status: str
    state: bytes
    mine: dict[int, bytes]


def views(*, session: Session, game_id: int) -> Views:
    snap = snapshot(session=session, game_id=game_id)
    encode = json.JSONEncoder(separators=(",", ":")).encode
    mine = {pid: encode(_mine(snap, pid, m, False)).encode() for pid, m in snap.players.items()}
    return Views(snap.state.version, snap.state.status, snap.state.model_dump_json().encode(), mine)


def has_answered(session: Session, player_id: int, index: int) -> bool:
    stmt = select(col(LiveAnswer.id)).where(col(LiveAnswer.player_id) == player_id, col(LiveAnswer.question_index) == index)
    return session.exec(stmt).first() is not None


def state(*, session: Session, seat: Seat, now: datetime | None = None) -> StateOut:
    """What the seated player's phone (or the host's screen) shows now, read from the database."""
    game_id = seat.game.id or 0
    snap = snapshot(session=session, game_id=game_id, now=now)
    if seat.player is None:
        seen = state_for(snap, None, now=now)
    else:
        answered = has_answered(session, seat.player.id or 0, seat.game.question_index)
        seen = state_for(snap, seat.player.id, answered=answered, now=now)
    if seat.host and seen.status == LiveStatus.question:  # answers do not change the version: the host asks
        seen.answered_count = len(games.answers_to(session, game_id, seen.question_index))
    return seen


# --- results --------------------------------------------------------------------------------------------------------
def results(*, session: Session, seat: Seat) -> list[ResultRow]:
    """The game's ranking, for its host and its players (a running game's is the ranking of the moment): the
    members ranked among themselves, then the guests among themselves."""
    game_id = seat.game.id or 0
    players = list(session.exec(select(LivePlayer).where(col(LivePlayer.game_id) == game_id)).all())
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_({p.unit_id for p in players})))}
    by_id = {p.id: p for p in players}
    out = []
    for rank, s in scoring.ranked_apart(seat.game.mode, [games.player_state(p) for p in players]):
        p = by_id[s.id]
        unit = units.get(p.unit_id)
        out.append(
            ResultRow(
                rank=rank,
                player=PlayerRef(id=p.id or 0, full_name=p.full_name),
                unit=unit.name if unit else "",
                score=p.score,
                correct_count=p.correct_count,
                alive=p.alive,
                guest=s.guest,
            )
        )
    return out


def unit_board(rows: list[ResultRow]) -> list[UnitRow]:
    """The units of the moment, from the ranking's rows of members (a guest's unit is their own word): by their
    players' average score, then the number of players; units equal on both share a rank."""
    units: dict[str, list[ResultRow]] = {}
    for r in rows:
        if not r.guest:
            units.setdefault(r.unit, []).append(r)
    figures = [(name, len(rs), round(sum(r.score for r in rs) / len(rs), 1), sum(1 for r in rs if r.alive)) for name, rs in units.items()]
    figures.sort(key=lambda f: (-f[2], -f[1], f[0]))
    out: list[UnitRow] = []
    for i, (name, players, average, alive) in enumerate(figures):
        same = out and (out[-1].average_score, out[-1].players) == (average, players)
        out.append(UnitRow(rank=out[-1].rank if same else i + 1, unit=name, players=players, average_score=average, alive=alive))
    return out
