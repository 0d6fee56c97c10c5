"""Changing a round after its contest is made: what a change may touch (a closed round nothing, an open round
not what members already answer under), the checks of the whole round again, and no overlap with the
contest's other rounds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.errors import N_, Conflict, Invalid
from app.models import Contest, Round
from app.models.contests import ContestStatus, RoundStatus
from app.services.contests.checks import CleanRound, check_round
from app.services.contests.contests import (
    ROUND_SETTINGS,
    apply_round,
    as_round_in,
    get_round,
    json_value,
    question_ids_of,
    rounds_of,
    set_questions,
    zone,
)
from app.services.contests.schemas import (
    RoundIn,
    RoundUpdate,
)
from app.services.kit import audit
from app.services.org.access import Actor

# Settings frozen once a round has opened, each with the message that names it.
LOCKED = {
    "opens_at": N_("Vòng {round} đã mở: không thể đổi thời gian mở nữa."),
    "question_ids": N_("Vòng {round} đã mở: không thể đổi danh sách câu hỏi nữa."),
    "draw": N_("Vòng {round} đã mở: không thể đổi cách rút câu hỏi nữa."),
    "time_limit_s": N_("Vòng {round} đã mở: không thể đổi thời gian làm bài nữa."),
    "shuffle_questions": N_("Vòng {round} đã mở: không thể đổi việc xáo trộn câu hỏi nữa."),
    "shuffle_options": N_("Vòng {round} đã mở: không thể đổi việc xáo trộn phương án nữa."),
    "attempts_allowed": N_("Vòng {round} đã mở: không thể đổi số lần thi nữa."),
    "cooldown_s": N_("Vòng {round} đã mở: không thể đổi thời gian chờ giữa hai lần thi nữa."),
    "counted_attempt": N_("Vòng {round} đã mở: không thể đổi cách chọn lượt thi được tính nữa."),
    "points_per_question": N_("Vòng {round} đã mở: không thể đổi điểm mỗi câu nữa."),
    "prediction_kind": N_("Vòng {round} đã mở: không thể đổi loại câu hỏi dự đoán nữa."),
    "prediction_lock_first": N_("Vòng {round} đã mở: không thể đổi quy tắc chốt dự đoán nữa."),
}


# The API name of each locked setting, for the error's `field`.
_LOCKED_FIELD = {"prediction_kind": "prediction.kind", "prediction_lock_first": "prediction.lock_first"}


def round_is_open(round_: Round, contest: Contest, now: datetime | None = None) -> bool:
    """Opened for members: published and past its opening time (attempts may exist)."""
    now = now or datetime.now(UTC)
    return contest.status != ContestStatus.draft and round_.opens_at <= now


def update_round(*, session: Session, actor: Actor, round_id: int, data: RoundUpdate) -> Round:
    round_, contest = get_round(session=session, actor=actor, round_id=round_id)
    # null means "remove" only where a setting can be absent; elsewhere it is as if the field was not sent.
    patch = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None or k in ("prediction", "question_ids", "draw")}
    now = datetime.now(UTC)
    ids = question_ids_of(session=session, round_ids=[round_id])[round_id]
    merged = _merged_round(as_round_in(round_, ids), patch)
    _check_not_closed(round_, contest, patch)
    clean_round = check_round(
        session=session,
        actor=actor,
        tz=zone(contest),
        number=round_.position,
        prefix="",
        data=RoundIn.model_validate(merged),
        check_bank="question_ids" in patch or "draw" in patch,
        study_draw=contest.study_draw,
    )
    _check_no_overlap(session, contest, round_, clean_round)
    changed = _changed_settings(round_, ids, clean_round)
    if round_is_open(round_, contest, now):
        _check_open_round_change(round_, clean_round, changed, patch, now)
    if not changed:
        return round_
    detail = {
        name: [json_value(getattr(round_, name)), json_value(getattr(clean_round, name))] for name in sorted(changed - {"question_ids"})
    }
    if "question_ids" in changed:
        detail["question_ids"] = [ids, clean_round.question_ids]
    apply_round(round_, clean_round)
    session.add(round_)
    if "question_ids" in changed:
        set_questions(session, round_, clean_round.question_ids)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="round.update",
        entity="round",
        entity_id=round_.id,
        detail={"contest_id": contest.id, "changed": detail},
        ip=actor.ip,
        unit_id=contest.scope_unit_id,
    )
    session.flush()
    return round_


def _merged_round(current: RoundIn, patch: dict[str, Any]) -> dict[str, Any]:
    """The round's settings with the patch applied."""
    merged = current.model_dump()
    # One source replaces the other: sending a list drops the draw and the other way round.
    if patch.get("question_ids") and "draw" not in patch:
        merged["draw"] = None
    if patch.get("draw") and "question_ids" not in patch:
        merged["question_ids"] = None
    merged.update(patch)
    return merged


def _check_not_closed(round_: Round, contest: Contest, patch: dict[str, Any]) -> None:
    """A finished round (or contest) keeps its settings; only its title may still be corrected."""
    only_title = set(patch) <= {"title"}
    if (contest.status == ContestStatus.closed or round_.status == RoundStatus.closed) and not only_title:
        raise Conflict(N_("Vòng {round} đã kết thúc: chỉ còn đổi được tên vòng."), round=round_.position)


def _check_no_overlap(session: Session, contest: Contest, round_: Round, clean_round: CleanRound) -> None:
    """The round stays between the round before it and the round after it."""
    siblings = [r for r in rounds_of(session=session, contest=contest) if r.id != round_.id]
    before = [r for r in siblings if r.position < round_.position]
    after = [r for r in siblings if r.position > round_.position]
    if before and clean_round.opens_at < before[-1].closes_at:
        raise Invalid(
            N_("Vòng {round} phải mở sau khi vòng {previous} đóng (các vòng không được chồng lên nhau)."),
            field="opens_at",
            round=round_.position,
            previous=before[-1].position,
        )
    if after and clean_round.closes_at > after[0].opens_at:
        raise Invalid(
            N_("Vòng {round} phải đóng trước khi vòng {next} mở (các vòng không được chồng lên nhau)."),
            field="closes_at",
            round=round_.position,
            next=after[0].position,
        )


def _changed_settings(round_: Round, ids: list[int], clean_round: CleanRound) -> set[str]:
    changed = {name for name in ROUND_SETTINGS if getattr(clean_round, name) != getattr(round_, name)}
    if clean_round.question_ids != ids:
        changed.add("question_ids")
    return changed


def _check_open_round_change(round_: Round, clean_round: CleanRound, changed: set[str], patch: dict[str, Any], now: datetime) -> None:
    """An opened round keeps what makes its attempts equal; its closing time may only move while it is open
    and not into the past."""
    sent = set(patch) | ({"prediction_kind", "prediction_lock_first"} if "prediction" in patch else set())
    for name in sorted((n for n in LOCKED if n in changed), key=lambda n: n not in sent):  # name what was sent first
        raise Conflict(LOCKED[name], round=round_.position, extra={"field": _LOCKED_FIELD.get(name, name)})
    if "closes_at" in changed and round_.closes_at <= now:
        raise Conflict(N_("Vòng {round} đã đóng: không thể đổi thời gian đóng nữa."), round=round_.position, extra={"field": "closes_at"})
    if "closes_at" in changed and clean_round.closes_at <= now:
        raise Invalid(N_("Vòng {round} đang mở: thời gian đóng mới phải sau thời điểm hiện tại."), field="closes_at", round=round_.position)
