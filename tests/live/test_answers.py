"""Answers taken many to a transaction: within a batch the first answer of a player counts and a second is
refused; an answer after the reveal is refused; an answer whose session was revoked, or from someone who is
not a player, goes to the full path (None); and every accepted answer is in the database."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.errors import Conflict, Invalid
from app.models import LiveAnswer, LiveGame, LivePlayer
from app.models.types import utcnow
from app.services.live import games, play
from app.services.live.answers import AnswerWriter, Given
from app.services.live.schemas import LiveGameIn
from tests.factories import actor


def _game(session, live_world):
    data = LiveGameIn(title="Nhóm", scope_unit_code="DB-A", question_ids=[live_world.questions[0].id, live_world.questions[1].id])
    game = games.create(session=session, actor=live_world.org, data=data)
    players = [play.join(session=session, actor=actor(session, m), pin=game.pin)[1] for m in live_world.players]
    games.open_next(session=session, actor=live_world.org, game_id=game.id)
    session.commit()
    options = [o["id"] for o in games.question_at(session, game.id, 0).options]
    return game, players, options


def _outcome(given: Given):
    error = given.done.exception()
    return error if error is not None else given.done.result()


def test_a_batch_takes_the_first_answer_of_each_player(session, engine, live_world):
    game, players, options = _game(session, live_world)
    an, binh, chi = live_world.players
    now = utcnow()
    batch = [
        Given(game.id, an.id, an.token_version, [options[0]], now),
        Given(game.id, an.id, an.token_version, [options[1]], now + timedelta(milliseconds=5)),  # a double tap
        Given(game.id, binh.id, binh.token_version, [options[1]], now),
        Given(game.id, chi.id, chi.token_version + 1, [options[0]], now),  # a revoked session: the full path
        Given(game.id, live_world.outside.id, 0, [options[0]], now),  # not a player: the full path
        Given(game.id, binh.id, binh.token_version, [999_999], now),  # not an option: refused
    ]
    AnswerWriter(engine)._save(batch)
    outcomes = [_outcome(g) for g in batch]
    assert outcomes[0] == now and outcomes[2] == now
    assert isinstance(outcomes[1], Conflict) and outcomes[3] is None and outcomes[4] is None
    assert isinstance(outcomes[5], Invalid)
    session.commit()  # a fresh read of what the writer committed
    stored = {a.player_id: a.option_ids for a in session.exec(select(LiveAnswer))}
    assert stored == {players[0].id: [options[0]], players[1].id: [options[1]]}

    again = Given(game.id, an.id, an.token_version, [options[1]], now)  # a retry in a later batch
    AnswerWriter(engine)._save([again])
    assert isinstance(_outcome(again), Conflict)


def test_no_answer_is_taken_after_the_reveal(session, engine, live_world):
    game, _players, options = _game(session, live_world)
    an = live_world.players[0]
    games.reveal(session=session, actor=live_world.org, game_id=game.id)
    session.commit()
    late = Given(game.id, an.id, an.token_version, [options[0]], utcnow())
    AnswerWriter(engine)._save([late])
    assert isinstance(_outcome(late), Conflict)
    session.commit()
    assert session.exec(select(LiveAnswer)).all() == []
    assert session.get(LiveGame, game.id).status == "reveal"
    assert all(p.score == 0 for p in session.exec(select(LivePlayer)))
