"""bench/flows.py at a tiny size against a real server on a SQLite bench database (bench/seed.py): the start
storm and the whole-round flow run without errors, and the lost-answer check finds nothing when nothing is
lost and finds every save deleted or changed behind its back. Keeps issue 4's benchmark from rotting."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.config import Settings
from app.main import create_app
from app.models import Answer, Attempt
from bench import flows, seed
from bench.attempts import prepare_round
from tests.liveserver import serve


def test_round_flow_and_the_lost_answer_check(tmp_path):
    db = seed.populate("sqlite", f"sqlite:///{tmp_path / 'bench.db'}", tmp_path, members=5)
    round_id = prepare_round(db, questions=8, draw=5)
    app = create_app(Settings(database_url=db.url, secret_key=seed.SECRET, data_dir=tmp_path, _env_file=None))
    try:
        with serve(app) as base:
            port = int(base.rsplit(":", 1)[1])
            storm = flows.run_async(flows.start_storm(port, round_id, db.tokens[:2], concurrency=2))
            played = flows.run_async(flows.play_round(port, round_id, db.tokens[2:], concurrency=3, reanswer_share=0.4))
    finally:
        app.state.engine.dispose()

    assert storm["errors"] == 0 and len(storm["started"]) == 2
    assert all(len(a.questions) == 5 and all(len(opts) == 4 for _p, _k, opts in a.questions) for a in storm["started"])
    assert played["errors"] == 0, played["latency"]
    ledger = played["ledger"]
    assert len(ledger.attempts) == 3 and all(ledger.submitted.values())
    assert ledger.acknowledged == 3 * (5 + 2)  # every question once, two of them again
    changed = [(key, sends) for key, sends in ledger.saves.items() if len(sends) > 1]
    assert changed and all(sends[-1][0] != sends[-2][0] for _key, sends in changed)

    engine = flows.engine_for(db.url, tmp_path)
    try:
        check = flows.check_lost(engine, ledger)
        assert (check["lost"], check["not_submitted"], check["predictions_lost"]) == (0, 0, 0), check
        assert check["acknowledged_saves"] == ledger.acknowledged and check["positions_acknowledged"] == 15

        (gone_attempt, gone_pos), _sends = changed[0]
        (stale_attempt, stale_pos), stale_sends = (
            changed[-1] if len(changed) > 1 else next((k, s) for k, s in ledger.saves.items() if k != changed[0][0])
        )
        with Session(engine) as session:
            session.delete(session.exec(select(Answer).where(Answer.attempt_id == gone_attempt, Answer.position == gone_pos)).one())
            # The first choice of a changed answer where the last one should be: last write lost.
            stale = session.exec(select(Answer).where(Answer.attempt_id == stale_attempt, Answer.position == stale_pos)).one()
            stale.option_ids = stale_sends[0][0] if len(stale_sends) > 1 else ["not-an-option"]
            session.add(stale)
            reopened = session.exec(select(Attempt).where(col(Attempt.id).in_(ledger.attempts))).first()
            reopened.status = "in_progress"
            session.add(reopened)
            session.commit()
        check = flows.check_lost(engine, ledger)
        assert (check["missing"], check["differing"], check["lost"], check["not_submitted"]) == (1, 1, 2, 1), check
    finally:
        engine.dispose()
