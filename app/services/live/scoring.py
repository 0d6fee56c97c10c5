"""The rules of a live game's question, as pure functions: what an answer scores, who goes out, who comes back,
and the ranking. No database here, so the hand-computed cases test exactly this.

- points mode: a right answer scores round((1 - (t / T) / 2) × 1000), t the server's time from the question's
  opening to the answer and T the question's window (so 1,000 at once, 500 at the last moment); with the streak
  bonus on, 100 more for each right answer in a row after the first, at most 500 more. A wrong or missing
  answer scores 0 and ends the streak.
- elimination mode ("Rung chuông vàng"): a player still in who answers wrong or not at all is out at that
  question, unless nobody still in answered right (then nobody goes out: the question was too hard for the
  room). A rescue question ("cứu trợ") is answered only by players who are out: those who answer right come
  back. Right answers are counted and timed in both modes, for the ranking.
- ranking: points mode by score, then right answers, then the time the right answers took; elimination mode
  the players still in first, then those who went out later, then right answers and their time. Players equal
  on every key share a rank (1, 1, 3). Guests (people without an account) are ranked apart from members: each
  group has its own ranks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from app.models.live import LiveMode

BASE_POINTS = 1000
STREAK_STEP = 100
STREAK_MAX = 500


@dataclass(frozen=True)
class PlayerState:
    id: int
    alive: bool = True
    out_at: int | None = None
    score: int = 0
    correct_count: int = 0
    streak: int = 0
    correct_ms: int = 0
    guest: bool = False  # no account: ranked among the guests only


@dataclass(frozen=True)
class Given:
    """A player's answer: the options chosen and the server's time since the question opened."""

    option_ids: frozenset[int]
    elapsed_ms: int


@dataclass(frozen=True)
class Judged:
    correct: bool
    points: int


@dataclass(frozen=True)
class Question:
    index: int
    correct_ids: frozenset[int]
    window_ms: int
    rescue: bool = False


def is_right(chosen: frozenset[int], correct_ids: frozenset[int]) -> bool:
    """All the right options and only them."""
    return bool(chosen) and chosen == correct_ids


def speed_points(elapsed_ms: int, window_ms: int) -> int:
    """round((1 - (t / T) / 2) × 1000), halves rounded up, t kept inside the window."""
    t = min(max(elapsed_ms, 0), window_ms)
    return math.floor((1 - (t / window_ms) / 2) * BASE_POINTS + 0.5)


def streak_bonus(streak: int) -> int:
    """The bonus of the streak-th right answer in a row."""
    return min(max(streak - 1, 0) * STREAK_STEP, STREAK_MAX)


def judge(
    *, mode: str, question: Question, players: Sequence[PlayerState], answers: dict[int, Given], with_streak: bool = False
) -> tuple[list[PlayerState], dict[int, Judged]]:
    """Every player's state after the question, and each answer's verdict (by player id)."""
    verdicts = {pid: _verdict(given, question) for pid, given in answers.items()}
    if mode == LiveMode.points:
        verdicts = _with_streak(players, verdicts, with_streak)
        return [_scored(p, verdicts.get(p.id), answers.get(p.id), with_streak) for p in players], verdicts
    if question.rescue:
        return [_rescued(p, verdicts.get(p.id), answers.get(p.id)) for p in players], verdicts
    anyone_right = any(p.alive and verdicts.get(p.id, Judged(False, 0)).correct for p in players)
    return [_survived(p, verdicts.get(p.id), answers.get(p.id), question.index, anyone_right) for p in players], verdicts


def _verdict(given: Given, question: Question) -> Judged:
    right = is_right(given.option_ids, question.correct_ids)
    return Judged(right, speed_points(given.elapsed_ms, question.window_ms) if right else 0)


def _with_streak(players: Sequence[PlayerState], verdicts: dict[int, Judged], with_streak: bool) -> dict[int, Judged]:
    if not with_streak:
        return verdicts
    streaks = {p.id: p.streak for p in players}
    return {pid: replace(v, points=v.points + streak_bonus(streaks.get(pid, 0) + 1)) if v.correct else v for pid, v in verdicts.items()}


def _scored(p: PlayerState, verdict: Judged | None, given: Given | None, with_streak: bool) -> PlayerState:
    """Without the streak bonus no streak is kept: a wrong answer then changes nothing (and writes nothing)."""
    if verdict is None or given is None or not verdict.correct:
        return replace(p, streak=0) if with_streak else p
    return replace(_right(p, given, with_streak), score=p.score + verdict.points)


def _right(p: PlayerState, given: Given, with_streak: bool = True) -> PlayerState:
    streak = p.streak + 1 if with_streak else p.streak
    return replace(p, correct_count=p.correct_count + 1, streak=streak, correct_ms=p.correct_ms + given.elapsed_ms)


def _survived(p: PlayerState, verdict: Judged | None, given: Given | None, index: int, anyone_right: bool) -> PlayerState:
    if not p.alive:
        return p
    if verdict is not None and given is not None and verdict.correct:
        return replace(_right(p, given), score=p.score + verdict.points)
    if not anyone_right:
        return replace(p, streak=0)
    return replace(p, alive=False, out_at=index, streak=0)


def _rescued(p: PlayerState, verdict: Judged | None, given: Given | None) -> PlayerState:
    if p.alive or verdict is None or given is None or not verdict.correct:
        return p
    return replace(_right(p, given), alive=True, out_at=None)


def rescue_all(players: Iterable[PlayerState]) -> list[PlayerState]:
    """The host's "cứu trợ" for everyone: every player who is out comes back."""
    return [p if p.alive else replace(p, alive=True, out_at=None) for p in players]


def _key(mode: str, p: PlayerState) -> tuple[int, ...]:
    if mode == LiveMode.elimination:
        out = -1 if p.out_at is None else p.out_at  # still in ranks above every player who went out
        return (0 if p.alive else 1, -out if not p.alive else 0, -p.correct_count, p.correct_ms)
    return (-p.score, -p.correct_count, p.correct_ms)


def ranked(mode: str, players: Iterable[PlayerState]) -> list[tuple[int, PlayerState]]:
    """(rank, player) best first; equal keys share a rank."""
    ordered = sorted(players, key=lambda p: (_key(mode, p), p.id))
    out: list[tuple[int, PlayerState]] = []
    for i, p in enumerate(ordered):
        rank = out[-1][0] if out and _key(mode, out[-1][1]) == _key(mode, p) else i + 1
        out.append((rank, p))
    return out


def ranked_apart(mode: str, players: Iterable[PlayerState]) -> list[tuple[int, PlayerState]]:
    """Members ranked among members, then guests among guests: two rank sequences, each from 1."""
    everyone = list(players)
    return ranked(mode, [p for p in everyone if not p.guest]) + ranked(mode, [p for p in everyone if p.guest])
