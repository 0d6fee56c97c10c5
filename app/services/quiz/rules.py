"""When a member may save an answer: one rule for the tap writer (the usual case, many taps to a
transaction) and for attempts.save_answer (the fallback that says why not)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from app.errors import N_, AppError, Conflict, Invalid, NotFound
from app.models.contests import RoundStatus
from app.models.quiz import AttemptStatus

GRACE = timedelta(seconds=5)  # network latency: a tap just before the deadline still counts


class _Shown(Protocol):  # a Round, or a board's RoundInfo
    @property
    def status(self) -> str: ...
    @property
    def closes_at(self) -> datetime: ...
    @property
    def results_visibility(self) -> str: ...


def results_shown(round_: _Shown, now: datetime, *, kept: bool = False) -> bool:
    """Whether a round's scores and key may be seen: once it has closed (or its closing time has passed), or
    at once when its results are immediate. Boards, home, the result page and its review all ask here.
    `kept`: the round was kept in memory a few seconds (kit.offers), and its closing time may have been moved
    since; only its status then says it has closed (the close job sets it moments after the closing time)."""
    if round_.status == RoundStatus.closed or round_.results_visibility == "immediate":
        return True
    return not kept and now >= round_.closes_at


class Refusal(StrEnum):
    """Why a save is refused; each has the message the fallback path answers with."""

    not_found = "not_found"  # no such attempt, or not the member's
    over = "over"  # submitted or finalised
    late = "late"  # past the deadline and its grace

    def error(self) -> AppError:
        if self is Refusal.not_found:
            return NotFound(N_("Không tìm thấy lượt thi."))
        if self is Refusal.over:
            return Conflict(N_("Lượt thi đã kết thúc; câu trả lời không được ghi nhận."))
        return Conflict(N_("Đã hết giờ làm bài; câu trả lời không được ghi nhận."))


def too_late(deadline_at: datetime, now: datetime) -> bool:
    return now > deadline_at + GRACE


def save_refusal(*, owner_id: int | None, member_id: int, status: str, deadline_at: datetime, now: datetime) -> Refusal | None:
    """None when this member may save an answer to this attempt now; else why not."""
    if owner_id != member_id:
        return Refusal.not_found
    if status != AttemptStatus.in_progress:
        return Refusal.over
    if too_late(deadline_at, now):
        return Refusal.late
    return None


def check_choice(question: tuple[str, Sequence[dict]] | None, position: int, option_ids: list[str]) -> list[str]:
    """The chosen option ids, once each, if they belong to the question (kind, options) and fit its kind."""
    if question is None:
        raise NotFound(N_("Không có câu số {position} trong lượt thi này."), position=position)
    kind, options = question
    valid = {o["id"] for o in options}
    chosen = list(dict.fromkeys(option_ids))
    if any(o not in valid for o in chosen):
        raise Invalid(N_("Phương án đã chọn không thuộc câu hỏi này."), field="option_ids")
    if kind != "multiple" and len(chosen) > 1:
        raise Invalid(N_("Câu này chỉ chọn một phương án."), field="option_ids")
    return chosen
