"""The tap writer: the taps waiting together are saved in one transaction, and each gets its own answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.errors import Invalid
from app.models import Answer, Attempt, Round, Unit
from app.services.quiz import attempts, starting, taps
from tests.factories import make_member, member_actor
from tests.fixtures.quiz import attempt_questions


def _batch(engine, items):
    """Saves `items` as one batch (as the writer thread does with the taps waiting at once)."""
    writer = taps.TapWriter(engine)  # _save runs here, in the test's thread: no writer thread starts
    batch = [taps.new_tap(**item) for item in items]
    writer._save(batch)
    return [t.done.exception() or t.done.result() for t in batch]


def test_each_tap_of_a_batch_gets_its_own_answer(engine, session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    qs = attempt_questions(session, attempt)
    one, two = [o["id"] for o in qs[0].options], [o["id"] for o in qs[1].options]
    session.commit()
    base = {"member_id": quiz_world.inside.id, "token_version": quiz_world.inside.token_version, "attempt_id": attempt.id}
    results = _batch(
        engine,
        [
            {**base, "position": 1, "option_ids": [one[0]]},
            {**base, "position": 2, "option_ids": ["not-an-option"]},  # does not fit: Invalid, for this tap only
            {**base, "member_id": quiz_world.outside.id, "position": 2, "option_ids": [two[0]]},  # not theirs
            {**base, "token_version": quiz_world.inside.token_version + 1, "position": 2, "option_ids": [two[0]]},  # revoked
            {**base, "position": 1, "option_ids": [one[0]], "now": attempt.deadline_at + timedelta(seconds=6)},  # late
            {**base, "position": 2, "option_ids": [two[1]]},
            {**base, "position": 1, "option_ids": [one[2]]},  # the later tap of an answer wins
        ],
    )
    assert isinstance(results[1], Invalid)
    assert results[2] is None and results[3] is None and results[4] is None
    assert all(r is not None and not isinstance(r, Exception) for r in (results[0], results[5], results[6]))
    session.rollback()
    saved = session.exec(select(Answer).where(Answer.attempt_id == attempt.id).order_by(Answer.position)).all()
    assert [(a.position, a.option_ids) for a in saved] == [(1, [one[2]]), (2, [two[1]])]


def test_a_batch_of_several_attempts_reads_and_saves_exactly_its_own_answers(engine, session, quiz_world):
    """Taps of two members at different positions, in one batch: each answer goes to its own attempt and
    position, and nothing else is written (PostgreSQL reads the batch's (attempt, position) pairs in one
    statement; no pair of one tap's attempt and another's position may count)."""
    other = make_member(session, session.get(Unit, quiz_world.inside.unit_id))
    session.commit()
    mine, _ = starting.start(session=session, actor=member_actor(session, quiz_world.inside), round_id=quiz_world.round_id)
    theirs, _ = starting.start(session=session, actor=member_actor(session, other), round_id=quiz_world.round_id)
    my_qs, their_qs = attempt_questions(session, mine), attempt_questions(session, theirs)
    not_at_my_4 = next(o["id"] for q in their_qs for o in q.options if o not in my_qs[3].options)
    session.commit()
    me = {"member_id": quiz_world.inside.id, "token_version": None, "attempt_id": mine.id}
    them = {"member_id": other.id, "token_version": None, "attempt_id": theirs.id}
    results = _batch(
        engine,
        [
            {**them, "position": 4, "option_ids": [their_qs[3].options[1]["id"]]},
            {**me, "position": 2, "option_ids": [my_qs[1].options[0]["id"]]},
            {**me, "position": 4, "option_ids": [not_at_my_4]},  # another question's option
            {**me, "position": 99, "option_ids": []},  # no such question: the long way explains
            {**them, "attempt_id": mine.id + theirs.id + 1000, "position": 1, "option_ids": []},  # no such attempt
            {**them, "attempt_id": 10**17, "position": 1, "option_ids": []},  # nor could there be: not a database id
            {**me, "position": 5, "option_ids": [my_qs[4].options[2]["id"]]},
        ],
    )
    assert results[0] is not None and results[1] is not None and results[6] is not None
    assert isinstance(results[2], Invalid)
    assert results[3] is None and results[4] is None and results[5] is None
    session.rollback()
    saved = session.exec(
        select(Answer).where(Answer.attempt_id.in_([mine.id, theirs.id])).order_by(Answer.attempt_id, Answer.position)
    ).all()
    assert [(a.attempt_id, a.position, a.option_ids) for a in saved] == [
        (mine.id, 2, [my_qs[1].options[0]["id"]]),
        (mine.id, 5, [my_qs[4].options[2]["id"]]),
        (theirs.id, 4, [their_qs[3].options[1]["id"]]),
    ]


def test_a_failed_batch_saves_nothing_and_sends_every_tap_the_long_way(app, engine, session, quiz_world, monkeypatch):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    one = [o["id"] for o in attempt_questions(session, attempt)[0].options]
    session.commit()
    from sqlalchemy import text

    monkeypatch.setattr(taps, "upsert_statement", lambda _dialect: text("INSERT INTO no_such_table VALUES (:attempt_id)"))
    base = {"member_id": quiz_world.inside.id, "token_version": None, "attempt_id": attempt.id, "position": 1}
    assert _batch(engine, [{**base, "option_ids": [one[0]]}, {**base, "option_ids": [one[1]]}]) == [None, None]
    session.rollback()
    assert session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all() == []  # the first rolled back
    monkeypatch.undo()
    saved = taps.save(writer=app.state.taps, member_id=quiz_world.inside.id, attempt_id=attempt.id, position=1, option_ids=[one[0]])
    assert saved is not None


@pytest.mark.parametrize("n", [200])
def test_many_taps_at_once_are_all_saved(app, session, quiz_world, n):
    """Through the writer thread, from many threads at once (they batch up): every acknowledged tap is there."""
    from tests.factories import in_parallel

    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    qs = attempt_questions(session, attempt)
    session.commit()

    def tap(i: int) -> None:
        q = qs[i % len(qs)]
        choice = q.options[i % len(q.options)]["id"]
        assert (
            taps.save(
                writer=app.state.taps, member_id=quiz_world.inside.id, attempt_id=attempt.id, position=q.position, option_ids=[choice]
            )
            is not None
        )

    assert in_parallel(tap, n) == []
    session.rollback()
    saved = session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    assert {a.position for a in saved} == {q.position for q in qs}


def _predict(member, attempt, value: int, **changes):
    tap = taps.new_tap(member_id=member.id, token_version=member.token_version, attempt_id=attempt.id, position=0, option_ids=[])
    tap.prediction = value
    for name, v in changes.items():
        setattr(tap, name, v)
    return tap


def test_a_prediction_rides_with_the_taps_until_an_earlier_attempt_locks_it(engine, session, quiz_world):
    """The quiz world's round locks the prediction to the first finished attempt: the first attempt's predictions
    are saved in the batch (the batch's last wins); the second attempt's go the long way (None), where
    attempts.save_prediction applies the lock."""
    me = member_actor(session, quiz_world.inside)
    first, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    one = [o["id"] for o in attempt_questions(session, first)[0].options]
    session.commit()
    inside, outside = quiz_world.inside, quiz_world.outside
    batch = [
        _predict(inside, first, 120),
        taps.new_tap(member_id=inside.id, token_version=None, attempt_id=first.id, position=1, option_ids=[one[0]]),
        _predict(outside, first, 5),  # not theirs
        _predict(inside, first, 7, token_version=inside.token_version + 1),  # revoked
        _predict(inside, first, 9, now=first.deadline_at + timedelta(seconds=6)),  # late
        _predict(inside, first, 150),  # the later one wins
        _predict(inside, first, 3, attempt_id=10**17),  # not a database id: the long way, the batch unharmed
    ]
    taps.TapWriter(engine)._save(batch)
    results = [t.done.result() for t in batch]
    assert results[0] is not None and results[1] is not None and results[5] is not None
    assert results[2] is None and results[3] is None and results[4] is None and results[6] is None
    session.expire_all()
    row = session.get(Attempt, first.id)
    assert (row.prediction, row.prediction_saved_at) == (150, batch[5].now)
    assert session.exec(select(Answer).where(Answer.attempt_id == first.id)).one().option_ids == [one[0]]

    attempts.submit(session=session, actor=me, attempt_id=first.id)
    second, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    session.commit()
    later = _predict(inside, second, 150)
    taps.TapWriter(engine)._save([later])
    assert later.done.result() is None  # locked by the first: the long way decides


def test_a_round_without_a_prediction_sends_it_the_long_way(engine, session, quiz_world):
    me = member_actor(session, quiz_world.inside)
    attempt, _ = starting.start(session=session, actor=me, round_id=quiz_world.round_id)
    session.get(Round, quiz_world.round_id).prediction_kind = None
    session.commit()
    tap = _predict(quiz_world.inside, attempt, 12)
    taps.TapWriter(engine)._save([tap])
    assert tap.done.result() is None
    session.expire_all()
    assert session.get(Attempt, attempt.id).prediction is None


def test_the_tap_reads_are_by_index(engine, quiz_world):
    """The tap writer's reads, planned as its transactions plan them. PostgreSQL's read of a batch's pairs, under
    db.by_key and a generic plan (kept after psycopg's fifth execution): every table read by an index, however few
    rows it holds now, so the plan still fits a table of millions of attempts. SQLite's read of one tap: by key."""
    from sqlalchemy import text

    from app.db import by_key

    if engine.dialect.name == "sqlite":
        sql = str(taps._READ_ONE.compile(dialect=engine.dialect))
        with engine.connect() as conn:
            plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (1, 1)))
        assert "SCAN" not in plan and plan.count("SEARCH") == 3, plan
        return
    sql = str(taps._READ_PAIRS.compile(dialect=engine.dialect))
    sql = sql.replace("%(ids)s::INTEGER[]", "$1").replace("%(positions)s::INTEGER[]", "$2")
    with engine.begin() as conn:
        by_key(conn)
        conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        conn.exec_driver_sql(f"PREPARE pairs_read(int[], int[]) AS {sql}")
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN EXECUTE pairs_read('{1,2}', '{1,2}')"))
        conn.exec_driver_sql("DEALLOCATE pairs_read")
    assert "Seq Scan" not in plan and plan.count("Index Scan using") == 3, plan
    for table in ("attempt", "member", "attempt_question"):
        assert f" on {table} " in plan, plan
