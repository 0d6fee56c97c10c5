"""The checks of a contest's settings, one place for the API, the pages and publishing.

Every message names the round (1-based, as organisers count) and `field` names the input
("rounds.1.closes_at" when creating a contest, "closes_at" when editing one round).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.errors import N_, Invalid
from app.models.bank import Difficulty
from app.models.contests import DEFAULT_TIE_BREAK, TIE_BREAK_KEYS, CountedAttempt, PredictionKind, ResultsVisibility
from app.services.contests import bank_checks
from app.services.contests.schemas import DrawLine, RoundIn
from app.services.kit.text import clean
from app.services.org.access import Actor
from app.services.org.members import FieldError, raise_first

MIN_TIME_LIMIT, MAX_TIME_LIMIT = 60, 3 * 3600
MAX_ATTEMPTS = 50
MIN_POINTS, MAX_POINTS = 1, 100
MAX_COOLDOWN = 7 * 24 * 3600
MAX_QUESTIONS = 200  # per attempt; real contests ask 10–35
MAX_ROUNDS = 104  # two years of weekly rounds
MAX_RULES_TEXT = 50_000

DEFAULT_PROMPTS: dict[str, str] = {
    PredictionKind.perfect_scorers: "Theo bạn, vòng thi này sẽ có bao nhiêu người trả lời đúng tất cả các câu hỏi?",
    PredictionKind.participants: "Theo bạn, vòng thi này sẽ có bao nhiêu người tham gia?",
    PredictionKind.attempts: "Theo bạn, vòng thi này sẽ có bao nhiêu lượt thi?",
}


def to_utc(value: datetime, tz: ZoneInfo) -> datetime:
    """A time from the organiser: with its offset as given, a naive one in the contest's time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


@dataclass
class CleanRound:
    title: str
    opens_at: datetime  # UTC
    closes_at: datetime
    time_limit_s: int
    question_ids: list[int]
    draw: list[dict[str, Any]]
    shuffle_questions: bool
    shuffle_options: bool
    attempts_allowed: int
    cooldown_s: int
    counted_attempt: str
    points_per_question: int
    results_visibility: str
    prediction_kind: str | None
    prediction_prompt: str = ""
    prediction_lock_first: bool = True

    @property
    def question_count(self) -> int:
        return len(self.question_ids) or sum(line["count"] for line in self.draw)


def check_tie_break(keys: list[str] | None) -> list[str]:
    if keys is None:
        return list(DEFAULT_TIE_BREAK)
    out: list[str] = []
    for raw in keys:
        key = clean(raw).lower()
        if key not in TIE_BREAK_KEYS:
            raise Invalid(
                N_("Tiêu chí xếp hạng {value} không có (score, prediction_error, duration, submitted_at)."),
                field="tie_break",
                value=clean(raw),
            )
        if key in out:
            raise Invalid(N_("Tiêu chí xếp hạng {value} bị lặp lại."), field="tie_break", value=key)
        out.append(key)
    if "score" not in out:
        raise Invalid(N_("Thứ tự xếp hạng phải có tiêu chí điểm (score)."), field="tie_break")
    return out


class _Bad(Protocol):
    """Records one problem of a round's settings (field, message, message parameters)."""

    def __call__(self, name: str, message: str, **params: object) -> None: ...


def check_round(
    *,
    session: Session,
    actor: Actor | None,
    tz: ZoneInfo,
    number: int,
    prefix: str,
    data: RoundIn,
    check_bank: bool = True,
    study_draw: bool = True,
) -> CleanRound:
    """Normalise one round and raise the first problem. `actor` None skips the scope check of the
    questions (publishing re-checks only that the bank can still serve the round); `check_bank` False
    skips the bank altogether (an edit that leaves the questions alone); `study_draw` False refuses
    questions of published study sets (the contest's setting)."""
    errors: list[FieldError] = []
    n = {"round": number}

    def bad(name: str, message: str, **params: object) -> None:
        errors.append(FieldError(prefix + name, message, {**n, **params}))

    # raise_first reports the first problem found, so the order of these checks decides which one is shown
    title = _check_title(data, number, bad)
    opens, closes = _check_window(data, tz, bad)
    counted = _check_attempt_rules(data, bad)
    visibility = _check_scoring(data, bad)
    kind, prompt, lock_first = _check_prediction(data, bad)
    ids, draw = _check_sources(data, bad)
    raise_first(errors)
    if check_bank:
        bank_checks.check_bank(session, actor, ids, draw, study_draw, bad, errors)
    assert opens is not None and closes is not None
    return CleanRound(
        title=title,
        opens_at=opens,
        closes_at=closes,
        time_limit_s=data.time_limit_s,
        question_ids=ids,
        draw=draw,
        shuffle_questions=data.shuffle_questions,
        shuffle_options=data.shuffle_options,
        attempts_allowed=data.attempts_allowed,
        cooldown_s=data.cooldown_s,
        counted_attempt=counted,
        points_per_question=data.points_per_question,
        results_visibility=visibility,
        prediction_kind=kind,
        prediction_prompt=prompt,
        prediction_lock_first=lock_first,
    )


def _check_title(data: RoundIn, number: int, bad: _Bad) -> str:
    title = clean(data.title) or f"Vòng {number}"
    if len(title) > 200:
        bad("title", N_("Vòng {round}: tên vòng dài quá 200 ký tự."))
    return title


def _check_window(data: RoundIn, tz: ZoneInfo, bad: _Bad) -> tuple[datetime | None, datetime | None]:
    """The round's opening and closing times in UTC; it closes after it opens."""
    opens = to_utc(data.opens_at, tz) if data.opens_at else None
    closes = to_utc(data.closes_at, tz) if data.closes_at else None
    if opens is None:
        bad("opens_at", N_("Vòng {round}: thiếu thời gian mở."))
    if closes is None:
        bad("closes_at", N_("Vòng {round}: thiếu thời gian đóng."))
    if opens and closes and closes <= opens:
        bad("closes_at", N_("Vòng {round}: thời gian đóng phải sau thời gian mở."))
    return opens, closes


def _check_attempt_rules(data: RoundIn, bad: _Bad) -> str:
    """How long, how often and which attempt counts; returns the counted-attempt rule, normalised."""
    if not MIN_TIME_LIMIT <= data.time_limit_s <= MAX_TIME_LIMIT:
        bad(
            "time_limit_s",
            N_("Vòng {round}: thời gian làm bài phải từ {min} đến {max} giây (1 phút đến 3 giờ)."),
            min=MIN_TIME_LIMIT,
            max=MAX_TIME_LIMIT,
        )
    if not 0 <= data.attempts_allowed <= MAX_ATTEMPTS:
        bad("attempts_allowed", N_("Vòng {round}: số lần thi phải từ 0 (không giới hạn) đến {max}."), max=MAX_ATTEMPTS)
    if not 0 <= data.cooldown_s <= MAX_COOLDOWN:
        bad("cooldown_s", N_("Vòng {round}: thời gian chờ giữa hai lần thi phải từ 0 đến {max} giây."), max=MAX_COOLDOWN)
    counted = clean(data.counted_attempt).lower()
    if counted not in set(CountedAttempt):
        bad(
            "counted_attempt",
            N_("Vòng {round}: cách tính lượt thi {value} không có (best, first, last, first_perfect)."),
            value=clean(data.counted_attempt),
        )
    return counted


def _check_scoring(data: RoundIn, bad: _Bad) -> str:
    """Points per question and when results are shown; returns the visibility, normalised."""
    if not MIN_POINTS <= data.points_per_question <= MAX_POINTS:
        bad("points_per_question", N_("Vòng {round}: điểm mỗi câu phải từ {min} đến {max}."), min=MIN_POINTS, max=MAX_POINTS)
    visibility = clean(data.results_visibility).lower()
    if visibility not in set(ResultsVisibility):
        bad(
            "results_visibility",
            N_("Vòng {round}: cách công bố kết quả {value} không có (immediate, after_close)."),
            value=clean(data.results_visibility),
        )
    return visibility


def _check_prediction(data: RoundIn, bad: _Bad) -> tuple[str | None, str, bool]:
    """The tie-break prediction question, if any: its kind, its prompt (a default per kind) and lock rule."""
    if data.prediction is None:
        return None, "", True
    kind = clean(data.prediction.kind).lower()
    if kind not in set(PredictionKind):
        bad(
            "prediction.kind",
            N_("Vòng {round}: loại câu hỏi dự đoán {value} không có (perfect_scorers, participants, attempts)."),
            value=clean(data.prediction.kind),
        )
    prompt = clean(data.prediction.prompt) or DEFAULT_PROMPTS.get(kind, "")
    if len(prompt) > 500:
        bad("prediction.prompt", N_("Vòng {round}: câu hỏi dự đoán dài quá 500 ký tự."))
    return kind, prompt, data.prediction.lock_first


def _check_sources(data: RoundIn, bad: _Bad) -> tuple[list[int], list[dict[str, Any]]]:
    """Where the questions come from: a list of questions or draw lines, exactly one, and not too many."""
    ids = list(data.question_ids or [])
    lines = list(data.draw or [])
    if ids and lines:
        bad("draw", N_("Vòng {round}: chỉ chọn một nguồn câu hỏi (danh sách câu hỏi hoặc rút ngẫu nhiên), không chọn cả hai."))
    draw = _check_draw_lines(lines, bad) if not ids else []
    total = len(ids) or sum(line["count"] for line in draw)
    if not ids and not lines:
        bad("question_ids", N_("Vòng {round}: cần ít nhất một câu hỏi (danh sách câu hỏi hoặc rút ngẫu nhiên)."))
    elif total > MAX_QUESTIONS:
        bad("question_ids" if ids else "draw", N_("Vòng {round}: mỗi lượt thi có tối đa {max} câu hỏi."), max=MAX_QUESTIONS)
    return ids, draw


def _check_draw_lines(lines: list[DrawLine], bad: _Bad) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, line in enumerate(lines, start=1):
        diff = clean(line.difficulty).lower() or None
        if diff is not None and diff not in set(Difficulty):
            bad(
                "draw",
                N_(
                    "Vòng {round}: mức độ {value} ở dòng rút {line} không có (Dễ, Trung bình, Khó, hoặc để "
                    "trống là mọi mức; trong API: easy, medium, hard)."
                ),
                value=clean(line.difficulty),
                line=i,
            )
        if line.count < 1:
            bad("draw", N_("Vòng {round}: số câu rút ở dòng {line} phải lớn hơn 0."), line=i)
        out.append({"topic_id": line.topic_id, "difficulty": diff, "count": line.count})
    return out


def check_order(windows: list[tuple[datetime, datetime]]) -> None:
    """Rounds follow one another without overlapping (one may open the minute the previous closes)."""
    for i in range(1, len(windows)):
        if windows[i][0] < windows[i - 1][1]:
            raise Invalid(
                N_("Vòng {round} phải mở sau khi vòng {previous} đóng (các vòng không được chồng lên nhau)."),
                field=f"rounds.{i}.opens_at",
                round=i + 1,
                previous=i,
            )
