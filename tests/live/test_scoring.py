"""The rules of a live question against cases computed by hand: speed points, the streak bonus, ties, late and
missing answers, elimination, the "nobody right" rule, and both kinds of rescue."""

from __future__ import annotations

from app.services.live.scoring import Given, PlayerState, Question, judge, ranked, rescue_all, speed_points, streak_bonus

RIGHT, WRONG = frozenset({1}), frozenset({2})


def test_speed_points_by_hand():
    # round((1 - (t / T) / 2) * 1000), T = 20 s
    assert speed_points(0, 20_000) == 1000
    assert speed_points(20_000, 20_000) == 500
    assert speed_points(5_000, 20_000) == 875  # 1 - 0.125
    assert speed_points(3_333, 20_000) == 917  # 916.675 rounds up
    assert speed_points(10, 20_000) == 1000  # 999.75
    assert speed_points(30, 20_000) == 999  # 999.25
    assert speed_points(25_000, 20_000) == 500  # late inside the grace: as at the deadline
    assert [streak_bonus(n) for n in (1, 2, 3, 6, 9)] == [0, 100, 200, 500, 500]


def test_points_mode_scores_right_answers_by_speed():
    q = Question(index=0, correct_ids=RIGHT, window_ms=20_000)
    players = [PlayerState(1), PlayerState(2), PlayerState(3), PlayerState(4)]
    answers = {1: Given(RIGHT, 5_000), 2: Given(WRONG, 1_000), 3: Given(RIGHT, 0)}  # 4 did not answer
    after, verdicts = judge(mode="points", question=q, players=players, answers=answers)
    by_id = {p.id: p for p in after}
    assert (verdicts[1].correct, verdicts[1].points) == (True, 875)
    assert (verdicts[2].correct, verdicts[2].points) == (False, 0)
    assert by_id[3].score == 1000 and by_id[3].correct_ms == 0 and by_id[3].streak == 0  # no bonus: no streak kept
    assert by_id[2] == players[1]  # a wrong answer changes nothing in points mode (nothing to write)
    assert by_id[4].score == 0 and by_id[4].alive  # nobody goes out in points mode
    assert [(rank, p.id) for rank, p in ranked("points", after)] == [(1, 3), (2, 1), (3, 2), (3, 4)]


def test_the_streak_bonus_only_when_asked_and_a_miss_ends_it():
    q = [Question(index=i, correct_ids=RIGHT, window_ms=10_000) for i in range(4)]
    players = [PlayerState(1)]
    plain = players
    for i, given in enumerate([Given(RIGHT, 0), Given(RIGHT, 0), Given(RIGHT, 0), Given(WRONG, 0)]):
        players, _ = judge(mode="points", question=q[i], players=players, answers={1: given}, with_streak=True)
        plain, _ = judge(mode="points", question=q[i], players=plain, answers={1: given})
    assert players[0].score == 1000 + 1100 + 1200 and players[0].streak == 0
    assert plain[0].score == 3000


def test_ties_share_a_rank_and_time_breaks_them():
    a = PlayerState(1, score=1500, correct_count=2, correct_ms=4_000)
    b = PlayerState(2, score=1500, correct_count=2, correct_ms=4_000)
    c = PlayerState(3, score=1500, correct_count=2, correct_ms=3_000)  # as many points, faster
    d = PlayerState(4, score=1500, correct_count=3, correct_ms=9_000)  # as many points, more right answers
    assert [(rank, p.id) for rank, p in ranked("points", [a, b, c, d])] == [(1, 4), (2, 3), (3, 1), (3, 2)]


def test_elimination_puts_out_wrong_and_missing_answers():
    q = Question(index=2, correct_ids=RIGHT, window_ms=15_000)
    players = [PlayerState(1), PlayerState(2), PlayerState(3), PlayerState(4, alive=False, out_at=0)]
    after, _ = judge(mode="elimination", question=q, players=players, answers={1: Given(RIGHT, 2_000), 2: Given(WRONG, 1_000)})
    by_id = {p.id: p for p in after}
    assert by_id[1].alive and by_id[1].correct_count == 1
    assert (by_id[2].alive, by_id[2].out_at) == (False, 2)
    assert (by_id[3].alive, by_id[3].out_at) == (False, 2)  # no answer is a wrong answer
    assert (by_id[4].alive, by_id[4].out_at) == (False, 0)  # already out: unchanged
    # still in first, then out later before out earlier; equal out-at share a rank
    assert [(rank, p.id) for rank, p in ranked("elimination", after)] == [(1, 1), (2, 2), (2, 3), (4, 4)]


def test_when_nobody_still_in_is_right_nobody_goes_out():
    q = Question(index=1, correct_ids=RIGHT, window_ms=15_000)
    players = [PlayerState(1), PlayerState(2), PlayerState(3, alive=False, out_at=0)]
    after, _ = judge(mode="elimination", question=q, players=players, answers={1: Given(WRONG, 1), 3: Given(RIGHT, 1)})
    assert [p.alive for p in after] == [True, True, False]


def test_a_rescue_question_brings_back_those_out_who_answer_right():
    q = Question(index=3, correct_ids=RIGHT, window_ms=15_000, rescue=True)
    players = [PlayerState(1), PlayerState(2, alive=False, out_at=1), PlayerState(3, alive=False, out_at=2)]
    after, _ = judge(mode="elimination", question=q, players=players, answers={2: Given(RIGHT, 1_000), 3: Given(WRONG, 500)})
    by_id = {p.id: p for p in after}
    assert by_id[1].alive  # not in the rescue: unchanged
    assert by_id[2].alive and by_id[2].out_at is None and by_id[2].correct_count == 1
    assert (by_id[3].alive, by_id[3].out_at) == (False, 2)
    assert all(p.alive for p in rescue_all(after))
