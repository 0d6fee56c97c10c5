"""Making a live game and hosting it: the organiser picks or draws bank questions, then opens them one at a
time, reveals each answer, pauses, rescues and ends; and, for joining, the game of a PIN and a new player. The
time is the server's: a question's window starts when the host opens it. Only organisers of the game's scope
host it; everything the host does is in the audit log.

Each change adds one to the game's version and tells the workers (app.services.live.hub), which push the new
state to the screens and phones they hold."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy import select as sa_select  # rows of columns, not objects
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, Invalid, NotFound
from app.models import LiveAnswer, LiveGame, LivePlayer, LiveQuestion, Question, QuestionOption, Topic, Unit
from app.models.bank import QuestionKind
from app.models.live import LiveMode, LiveStatus
from app.models.types import is_db_id, utcnow
from app.services.kit import audit
from app.services.kit.text import clean
from app.services.live import hub, scoring
from app.services.live.schemas import LiveGameIn
from app.services.org import units
from app.services.org.access import Actor

MIN_SECONDS, MAX_SECONDS = 5, 120
MAX_QUESTIONS = 200
PIN_DIGITS = 6


# --- making a game ----------------------------------------------------------------------------------------------
def create(*, session: Session, actor: Actor, data: LiveGameIn) -> LiveGame:
    """A game in its lobby, with its questions as they are now and a PIN nobody else's running game has."""
    title = clean(data.title)
    if not title:
        raise Invalid(N_("Hãy đặt tên cho trò chơi."), field="title")
    if not MIN_SECONDS <= data.seconds_per_question <= MAX_SECONDS:
        raise Invalid(
            N_("Thời gian mỗi câu phải từ {low} đến {high} giây."), field="seconds_per_question", low=MIN_SECONDS, high=MAX_SECONDS
        )
    if data.survivors < 1:
        raise Invalid(N_("Số người còn lại để kết thúc phải từ 1 trở lên."), field="survivors")
    scope = units.get_by_code(session=session, code=data.scope_unit_code)
    actor.require(scope)
    questions = _chosen(session, actor, data)
    game = LiveGame(
        title=title,
        pin="",
        mode=LiveMode(data.mode),
        seconds_per_question=data.seconds_per_question,
        streak_bonus=data.streak_bonus and data.mode == LiveMode.points,
        survivors=data.survivors,
        allow_guests=data.allow_guests,
        scope_unit_id=scope.id or 0,
        host_id=actor.id,
    )
    _with_pin(session, game)
    options = _options_of(session, [q.id or 0 for q in questions])
    for position, q in enumerate(questions):
        opts = options.get(q.id or 0, [])
        session.add(
            LiveQuestion(
                game_id=game.id or 0,
                position=position,
                question_id=q.id,
                kind=q.kind,
                text=q.text,
                options=[{"id": o.id, "text": o.text} for o in opts],
                correct_ids=[o.id or 0 for o in opts if o.correct],
            )
        )
    audit.record(session=session, actor_id=actor.id, action="live.create", entity="live_game", entity_id=game.id, unit_id=scope.id)
    session.flush()
    return game


def _with_pin(session: Session, game: LiveGame) -> None:
    for _ in range(20):
        game.pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
        try:
            with session.begin_nested():
                session.add(game)
                session.flush()
            return
        except IntegrityError:  # a running game has this PIN
            continue
    raise Conflict(N_("Không tạo được mã PIN, hãy thử lại."))


def _chosen(session: Session, actor: Actor, data: LiveGameIn) -> list[Question]:
    ids = list(dict.fromkeys(data.question_ids))
    if len(ids) != len(data.question_ids):
        raise Invalid(N_("Có câu hỏi được chọn hai lần."), field="question_ids")
    found = {q.id: q for q in _reachable(session, actor, ids)} if ids else {}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid(N_("Không tìm thấy câu hỏi số {id}."), field="question_ids", id=missing[0])
    picked = [found[i] for i in ids]
    for i, line in enumerate(data.draw, start=1):
        picked += _drawn(session, actor, line.topic_id, line.difficulty, line.count, {q.id for q in picked}, i)
    if not picked:
        raise Invalid(N_("Hãy chọn hoặc rút ít nhất một câu hỏi."), field="question_ids")
    if len(picked) > MAX_QUESTIONS:
        raise Invalid(N_("Một trò chơi có nhiều nhất {n} câu hỏi."), field="question_ids", n=MAX_QUESTIONS)
    return picked


def _reachable(session: Session, actor: Actor, ids: list[int]) -> list[Question]:
    """Active questions of the bank of the actor's subtrees (another subtree's do not exist for them)."""
    valid = [i for i in ids if is_db_id(i)]
    stmt = (
        select(Question)
        .join(Topic, col(Topic.id) == col(Question.topic_id))
        .join(Unit, col(Unit.id) == col(Topic.unit_id))
        .where(col(Question.id).in_(valid), col(Question.active).is_(True), actor.unit_filter())
    )
    return list(session.exec(stmt).all())


def _drawn(
    session: Session, actor: Actor, topic_id: int, difficulty: str | None, count: int, taken: set[int | None], line: int
) -> list[Question]:
    if count < 1:
        raise Invalid(N_("Dòng rút câu hỏi {line}: số câu phải lớn hơn 0."), field="draw", line=line)
    stmt = (
        select(col(Question.id))
        .join(Topic, col(Topic.id) == col(Question.topic_id))
        .join(Unit, col(Unit.id) == col(Topic.unit_id))
        .where(col(Topic.id) == topic_id, col(Question.active).is_(True), actor.unit_filter())
    )
    if difficulty:
        stmt = stmt.where(col(Question.difficulty) == difficulty)
    pool = [i for i in session.exec(stmt).all() if i is not None and i not in taken]
    if len(pool) < count:
        raise Invalid(N_("Dòng rút câu hỏi {line}: chủ đề chỉ còn {available} câu phù hợp."), field="draw", line=line, available=len(pool))
    chosen = random.SystemRandom().sample(sorted(pool), count)
    return _reachable(session, actor, chosen)


def _options_of(session: Session, question_ids: list[int]) -> dict[int, list[QuestionOption]]:
    out: dict[int, list[QuestionOption]] = {}
    rows = session.exec(
        select(QuestionOption).where(col(QuestionOption.question_id).in_(question_ids)).order_by(col(QuestionOption.position))
    )
    for o in rows:
        out.setdefault(o.question_id, []).append(o)
    return out


# --- joining (play.join for members, guests.join for guests) ---------------------------------------------------------
def running(session: Session, pin: str) -> LiveGame:
    """The game not yet finished with this PIN, as typed (spaces and dashes are ignored)."""
    digits = "".join(ch for ch in clean(pin) if ch.isdigit())
    stmt = select(LiveGame).where(col(LiveGame.pin) == digits, col(LiveGame.status) != LiveStatus.finished)
    game = session.exec(stmt).first() if digits else None
    if game is None:
        raise NotFound(N_("Không có trò chơi nào đang chạy với mã PIN này."))
    return game


def new_player(
    game: LiveGame, *, unit_id: int, full_name: str, now: datetime, member_id: int | None = None, guest_key: str | None = None
) -> LivePlayer:
    """A player joining now (not yet added). After the first question of an elimination game they join as a
    spectator who is out: a rescue may bring them in."""
    late = game.mode == LiveMode.elimination and game.question_index >= 0
    return LivePlayer(
        game_id=game.id or 0,
        member_id=member_id,
        guest_key=guest_key,
        full_name=full_name,
        unit_id=unit_id,
        joined_at=now,
        alive=not late,
        out_at=game.question_index if late else None,
    )


# --- hosting ----------------------------------------------------------------------------------------------------
def hosted(*, session: Session, actor: Actor, game_id: int, lock: bool = True) -> LiveGame:
    """The game, for an organiser of its scope (nobody else may host it; for them it does not exist). Locked on
    PostgreSQL, so a host's step and the answers it judges do not cross."""
    stmt = select(LiveGame).where(col(LiveGame.id) == game_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    game = session.exec(stmt).first() if is_db_id(game_id) else None
    scope = session.get(Unit, game.scope_unit_id) if game else None
    if game is None or scope is None or not actor.covers(scope):
        raise NotFound(N_("Không tìm thấy trò chơi."))
    return game


def list_games(*, session: Session, actor: Actor, limit: int = 100) -> list[tuple[LiveGame, Unit, int]]:
    """The games of the organiser's subtrees, newest first, each with its scope and its number of players."""
    players = select(col(LivePlayer.game_id), func.count().label("n")).group_by(col(LivePlayer.game_id)).subquery()
    rows = session.exec(
        select(LiveGame, Unit, func.coalesce(players.c.n, 0))
        .join(Unit, col(Unit.id) == col(LiveGame.scope_unit_id))
        .outerjoin(players, players.c.game_id == col(LiveGame.id))
        .where(actor.unit_filter())
        .order_by(col(LiveGame.created_at).desc(), col(LiveGame.id).desc())
        .limit(limit)
    ).all()
    return [(g, u, int(n)) for g, u, n in rows]


def question_count(session: Session, game_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(LiveQuestion).where(col(LiveQuestion.game_id) == game_id)).one())


def question_at(session: Session, game_id: int, index: int) -> LiveQuestion | None:
    stmt = select(LiveQuestion).where(col(LiveQuestion.game_id) == game_id, col(LiveQuestion.position) == index)
    return session.exec(stmt).first()


def alive_count(session: Session, game_id: int) -> int:
    stmt = select(func.count()).select_from(LivePlayer).where(col(LivePlayer.game_id) == game_id, col(LivePlayer.alive).is_(True))
    return int(session.exec(stmt).one())


def _changed(session: Session, actor: Actor, game: LiveGame, action: str, **detail: object) -> None:
    game.version += 1
    session.add(game)
    audit.record(
        session=session,
        actor_id=actor.id,
        action=f"live.{action}",
        entity="live_game",
        entity_id=game.id,
        unit_id=game.scope_unit_id,
        detail={"question_index": game.question_index, **detail},
    )
    session.flush()
    hub.changed(session, game.id or 0, game.version)


def open_next(*, session: Session, actor: Actor, game_id: int, now: datetime | None = None) -> LiveGame:
    """Open the next question (its window starts now), or finish the game after the last one, or when in
    elimination mode no more than `survivors` players are left."""
    now = now or utcnow()
    game = hosted(session=session, actor=actor, game_id=game_id)
    if game.status == LiveStatus.question:
        raise Conflict(N_("Câu hỏi đang mở: hãy công bố đáp án trước."))
    if game.status == LiveStatus.finished:
        raise Conflict(N_("Trò chơi đã kết thúc."))
    index = game.question_index + 1
    over = game.mode == LiveMode.elimination and game.question_index >= 0 and not game.rescue
    if index >= question_count(session, game.id or 0) or (over and alive_count(session, game.id or 0) <= game.survivors):
        return _finish(session, actor, game, now)
    game.status, game.question_index = LiveStatus.question, index
    game.opened_at, game.deadline_at = now, now + timedelta(seconds=game.seconds_per_question)
    game.paused_left_ms = None
    _changed(session, actor, game, "next")
    return game


def _finish(session: Session, actor: Actor, game: LiveGame, now: datetime) -> LiveGame:
    game.status, game.finished_at, game.paused_left_ms, game.rescue = LiveStatus.finished, now, None, False
    _changed(session, actor, game, "end")
    return game


def end(*, session: Session, actor: Actor, game_id: int, now: datetime | None = None) -> LiveGame:
    """End the game now: an open question is revealed first, so no accepted answer goes unjudged."""
    game = hosted(session=session, actor=actor, game_id=game_id)
    if game.status == LiveStatus.finished:
        return game
    if game.status == LiveStatus.question:
        _judge(session, game, now or utcnow())
    return _finish(session, actor, game, now or utcnow())


def pause(*, session: Session, actor: Actor, game_id: int, now: datetime | None = None) -> LiveGame:
    now = now or utcnow()
    game = hosted(session=session, actor=actor, game_id=game_id)
    if game.status != LiveStatus.question or game.paused_left_ms is not None or game.deadline_at is None:
        raise Conflict(N_("Chỉ tạm dừng được khi một câu hỏi đang mở."))
    game.paused_left_ms = max(0, int((game.deadline_at - now).total_seconds() * 1000))
    _changed(session, actor, game, "pause")
    return game


def resume(*, session: Session, actor: Actor, game_id: int, now: datetime | None = None) -> LiveGame:
    """The question goes on with the time it had left; the pause does not count in anyone's answer time."""
    now = now or utcnow()
    game = hosted(session=session, actor=actor, game_id=game_id)
    if game.paused_left_ms is None or game.deadline_at is None or game.opened_at is None:
        raise Conflict(N_("Trò chơi không tạm dừng."))
    deadline = now + timedelta(milliseconds=game.paused_left_ms)
    game.opened_at += deadline - game.deadline_at
    game.deadline_at, game.paused_left_ms = deadline, None
    _changed(session, actor, game, "resume")
    return game


def rescue(*, session: Session, actor: Actor, game_id: int, mode: str) -> LiveGame:
    """ "Cứu trợ" between two questions of an elimination game: everyone out comes back (`all`), or the next
    question is answered only by those who are out and brings back those who answer it right (`question`)."""
    game = hosted(session=session, actor=actor, game_id=game_id)
    if game.mode != LiveMode.elimination:
        raise Conflict(N_("Cứu trợ chỉ có ở trò chơi loại trực tiếp."))
    if game.status not in (LiveStatus.reveal, LiveStatus.lobby):
        raise Conflict(N_("Cứu trợ được làm giữa hai câu hỏi, sau khi công bố đáp án."))
    if mode == "all":
        session.execute(
            update(LivePlayer).where(col(LivePlayer.game_id) == game.id, col(LivePlayer.alive).is_(False)).values(alive=True, out_at=None)
        )
    else:
        game.rescue = True
    _changed(session, actor, game, "rescue", mode=mode)
    return game


# --- the reveal ---------------------------------------------------------------------------------------------------
def reveal(*, session: Session, actor: Actor, game_id: int, now: datetime | None = None) -> tuple[LiveQuestion, dict[int, int]]:
    """Close the question's window (now, if it is still open), judge every answer, score and put out, and show
    the answer: the right options and how many chose each."""
    now = now or utcnow()
    game = hosted(session=session, actor=actor, game_id=game_id)
    if game.status != LiveStatus.question:
        raise Conflict(N_("Không có câu hỏi nào đang mở."))
    question, given = _judge(session, game, now)
    game.status = LiveStatus.reveal
    _changed(session, actor, game, "reveal")
    return question, count_choices(given)


_P, _A = LivePlayer.__table__, LiveAnswer.__table__
# a reveal reads and writes its game's players and answers as rows: thousands of them in one statement each
_STATE_COLUMNS = (_P.c.id, _P.c.alive, _P.c.out_at, _P.c.score, _P.c.correct_count, _P.c.streak, _P.c.correct_ms, _P.c.member_id)
_PLAYER_FIELDS = ("alive", "out_at", "score", "correct_count", "streak", "correct_ms")


def _set_rows(session: Session, table: Any, rows: list[dict[str, Any]], fields: tuple[str, ...]) -> None:
    """Set `fields` of many rows by id with one prepared UPDATE run for each (psycopg pipelines them: 5,000 rows
    take about 0.1 s on PostgreSQL, where one UPDATE … FROM (VALUES …) took 0.5 s to build; docs/live.md)."""
    if rows:
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({k: bindparam(f"b_{k}") for k in fields})
        session.execute(stmt, [{f"b_{k}": r[k] for k in ("id", *fields)} for r in rows])


def _judge(session: Session, game: LiveGame, now: datetime) -> tuple[LiveQuestion, list[Any]]:
    question = question_at(session, game.id or 0, game.question_index)
    assert question is not None and game.opened_at is not None and game.deadline_at is not None
    if game.paused_left_ms is None:
        game.deadline_at = min(game.deadline_at, now)
    game.paused_left_ms = None
    before = player_states(session, game.id or 0)
    given = answers_to(session, game.id or 0, game.question_index)
    after, verdicts = scoring.judge(
        mode=game.mode,
        question=scoring.Question(game.question_index, frozenset(question.correct_ids), game.seconds_per_question * 1000, game.rescue),
        players=before,
        answers={a.player_id: scoring.Given(frozenset(a.option_ids), a.elapsed_ms) for a in given},
        with_streak=game.streak_bonus,
    )
    _set_rows(session, _P, [vars(s) for s, was in zip(after, before, strict=True) if s != was], _PLAYER_FIELDS)
    verdict_rows = [{"id": a.id, "correct": verdicts[a.player_id].correct, "points": verdicts[a.player_id].points} for a in given]
    _set_rows(session, _A, verdict_rows, ("correct", "points"))
    game.rescue = False
    return question, given


def player_states(session: Session, game_id: int) -> list[scoring.PlayerState]:
    """Every player's standing in the game, read as rows (thousands at a reveal)."""
    rows = session.execute(sa_select(*_STATE_COLUMNS).where(_P.c.game_id == game_id))
    return [scoring.PlayerState(i, bool(a), o, s, c, k, ms, m is None) for i, a, o, s, c, k, ms, m in rows]


def answers_to(session: Session, game_id: int, index: int) -> list[Any]:
    """The answers to one question, as rows: id, player_id, option_ids, elapsed_ms, correct, points."""
    columns = (_A.c.id, _A.c.player_id, _A.c.option_ids, _A.c.elapsed_ms, _A.c.correct, _A.c.points)
    return list(session.execute(sa_select(*columns).where(_A.c.game_id == game_id, _A.c.question_index == index)).all())


def player_state(p: LivePlayer) -> scoring.PlayerState:
    return scoring.PlayerState(p.id or 0, p.alive, p.out_at, p.score, p.correct_count, p.streak, p.correct_ms, p.member_id is None)


def count_choices(given: list[Any]) -> dict[int, int]:
    """How many answers chose each option (an answer with two options counts for both)."""
    counts: dict[int, int] = {}
    for a in given:
        for option_id in a.option_ids:
            counts[option_id] = counts.get(option_id, 0) + 1
    return counts


def is_single(kind: str) -> bool:
    return kind in (QuestionKind.single, QuestionKind.true_false)
