"""Contests and their rounds: create, edit, publish, close, always inside the actor's subtree.

The checks of the settings live in app.services.contests.checks and the generated rules ("Thể lệ") in
app.services.contests.rules. Once a round has opened, a setting that would make its attempts unequal
(what is asked, for how long, how often, how it counts) cannot change any more.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, delete, select

from app.errors import N_, Conflict, Invalid, NotFound
from app.models import Contest, Round, RoundQuestion, Unit
from app.models.contests import ContestStatus
from app.models.types import is_db_id, utcnow
from app.services.contests.checks import MAX_ROUNDS, MAX_RULES_TEXT, CleanRound, check_order, check_round, check_tie_break
from app.services.contests.rules import rules_summary
from app.services.contests.schemas import (
    ContestCreate,
    ContestPublic,
    ContestUpdate,
    DrawLine,
    PredictionIn,
    RoundIn,
    RoundPublic,
)
from app.services.kit import audit
from app.services.kit.text import clean, nfc
from app.services.org.access import Actor
from app.services.org.members import FieldError, raise_first

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
SLUG_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud and typed from a poster
SLUG_LENGTH = 7


ROUND_SETTINGS = (
    "title",
    "opens_at",
    "closes_at",
    "time_limit_s",
    "draw",
    "shuffle_questions",
    "shuffle_options",
    "attempts_allowed",
    "cooldown_s",
    "counted_attempt",
    "points_per_question",
    "results_visibility",
    "prediction_kind",
    "prediction_prompt",
    "prediction_lock_first",
)


def zone(contest: Contest) -> ZoneInfo:
    return ZoneInfo(contest.timezone or DEFAULT_TZ)


def json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _new_slug(session: Session) -> str:
    for _ in range(20):
        slug = "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))
        if session.exec(select(Contest.id).where(Contest.slug == slug)).first() is None:
            return slug
    raise Conflict()  # 31^7 slugs: twenty collisions in a row do not happen


def _check_contest_text(*, title: str | None, rules_text: str | None) -> tuple[str | None, str | None]:
    errors: list[FieldError] = []
    t = clean(title) if title is not None else None
    if t is not None and not t:
        errors.append(FieldError("title", N_("Thiếu tên cuộc thi."), {}))
    elif t is not None and len(t) > 300:
        errors.append(FieldError("title", N_("Tên cuộc thi dài quá 300 ký tự."), {}))
    # Markdown: keep the organiser's line breaks, normalise only the Unicode form.
    r = rules_text.strip() if rules_text is not None else None
    if r is not None:
        r = nfc(r)
        if len(r) > MAX_RULES_TEXT:
            errors.append(FieldError("rules_text", N_("Thể lệ dài quá {max} ký tự."), {"max": MAX_RULES_TEXT}))
    raise_first(errors)
    return t, r


def apply_round(round_: Round, clean_round: CleanRound) -> None:
    for name in ROUND_SETTINGS:
        setattr(round_, name, getattr(clean_round, name))


def set_questions(session: Session, round_: Round, question_ids: list[int]) -> None:
    assert round_.id is not None
    session.exec(delete(RoundQuestion).where(col(RoundQuestion.round_id) == round_.id))
    session.flush()
    session.add_all([RoundQuestion(round_id=round_.id, question_id=qid, position=i) for i, qid in enumerate(question_ids, start=1)])


# --- create --------------------------------------------------------------------------------------------
def create_contest(*, session: Session, actor: Actor, data: ContestCreate) -> Contest:
    from app.services.org.units import get_by_code

    actor.require_any()
    title, rules_text = _check_contest_text(title=data.title, rules_text=data.rules_text)
    if not clean(data.scope_unit_code):
        raise Invalid(N_("Thiếu đơn vị phạm vi của cuộc thi (scope_unit_code)."), field="scope_unit_code")
    try:
        unit = get_by_code(session=session, code=data.scope_unit_code)
    except NotFound as exc:
        raise Invalid(exc.message, field="scope_unit_code", **exc.params) from None
    actor.require(unit)
    tie_break = check_tie_break(data.tie_break)
    if not data.rounds:
        raise Invalid(N_("Cuộc thi cần ít nhất một vòng thi."), field="rounds")
    if len(data.rounds) > MAX_ROUNDS:
        raise Invalid(N_("Một cuộc thi có tối đa {max} vòng thi."), field="rounds", max=MAX_ROUNDS)
    tz = ZoneInfo(DEFAULT_TZ)
    rounds = [
        check_round(session=session, actor=actor, tz=tz, number=i + 1, prefix=f"rounds.{i}.", data=r, study_draw=data.study_draw)
        for i, r in enumerate(data.rounds)
    ]
    check_order([(r.opens_at, r.closes_at) for r in rounds])
    assert unit.id is not None
    contest = Contest(
        title=title or "",
        rules_text=rules_text or "",
        scope_unit_id=unit.id,
        tie_break=tie_break,
        timezone=DEFAULT_TZ,
        slug=_new_slug(session),
        created_by_id=actor.id,
        study_draw=data.study_draw,
    )
    session.add(contest)
    session.flush()
    assert contest.id is not None
    for position, clean_round in enumerate(rounds, start=1):
        round_ = Round(
            contest_id=contest.id,
            position=position,
            title=clean_round.title,
            opens_at=clean_round.opens_at,
            closes_at=clean_round.closes_at,
        )
        apply_round(round_, clean_round)
        session.add(round_)
        session.flush()
        set_questions(session, round_, clean_round.question_ids)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="contest.create",
        entity="contest",
        entity_id=contest.id,
        detail={"title": contest.title, "scope": unit.code, "rounds": len(rounds), "slug": contest.slug},
        ip=actor.ip,
        unit_id=contest.scope_unit_id,
    )
    session.flush()
    return contest


# --- read ----------------------------------------------------------------------------------------------
def get_contest(*, session: Session, actor: Actor, contest_id: int) -> Contest:
    """A contest in the actor's subtree; one outside it does not exist for them."""
    contest = session.get(Contest, contest_id) if is_db_id(contest_id) else None
    unit = session.get(Unit, contest.scope_unit_id) if contest else None
    if contest is None or unit is None or not actor.covers(unit):
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    return contest


def list_contests(*, session: Session, actor: Actor) -> list[Contest]:
    return list(
        session.exec(
            select(Contest)
            .join(Unit, col(Unit.id) == Contest.scope_unit_id)
            .where(actor.unit_filter())
            .order_by(col(Contest.created_at).desc(), col(Contest.id).desc())
        ).all()
    )


def rounds_of(*, session: Session, contest: Contest) -> list[Round]:
    return list(session.exec(select(Round).where(Round.contest_id == contest.id).order_by(col(Round.position))).all())


def question_ids_of(*, session: Session, round_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {i: [] for i in round_ids}
    if round_ids:
        for rq in session.exec(
            select(RoundQuestion)
            .where(col(RoundQuestion.round_id).in_(round_ids))
            .order_by(col(RoundQuestion.round_id), col(RoundQuestion.position))
        ).all():
            out[rq.round_id].append(rq.question_id)
    return out


def get_round(*, session: Session, actor: Actor, round_id: int) -> tuple[Round, Contest]:
    round_ = session.get(Round, round_id) if is_db_id(round_id) else None
    if round_ is None:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    try:
        contest = get_contest(session=session, actor=actor, contest_id=round_.contest_id)
    except NotFound:
        raise NotFound(N_("Không tìm thấy vòng thi.")) from None
    return round_, contest


def round_public(round_: Round, contest: Contest, question_ids: list[int]) -> RoundPublic:
    assert round_.id is not None
    tz = zone(contest)
    prediction = (
        PredictionIn(kind=round_.prediction_kind, prompt=round_.prediction_prompt, lock_first=round_.prediction_lock_first)
        if round_.prediction_kind
        else None
    )
    return RoundPublic(
        id=round_.id,
        position=round_.position,
        title=round_.title,
        opens_at=round_.opens_at.astimezone(tz),
        closes_at=round_.closes_at.astimezone(tz),
        time_limit_s=round_.time_limit_s,
        question_ids=question_ids,
        draw=[DrawLine(**line) for line in round_.draw],
        question_count=len(question_ids) or sum(line["count"] for line in round_.draw),
        shuffle_questions=round_.shuffle_questions,
        shuffle_options=round_.shuffle_options,
        attempts_allowed=round_.attempts_allowed,
        cooldown_s=round_.cooldown_s,
        counted_attempt=round_.counted_attempt,
        points_per_question=round_.points_per_question,
        results_visibility=round_.results_visibility,
        prediction=prediction,
        status=round_.status,
        prediction_truth=round_.prediction_truth,
    )


def contest_public(*, session: Session, contest: Contest, locale: str = "vi") -> ContestPublic:
    assert contest.id is not None
    unit = session.get(Unit, contest.scope_unit_id)
    assert unit is not None
    rounds = rounds_of(session=session, contest=contest)
    ids = question_ids_of(session=session, round_ids=[r.id for r in rounds if r.id is not None])
    tz = zone(contest)
    return ContestPublic(
        id=contest.id,
        status=contest.status,
        title=contest.title,
        slug=contest.slug,
        rules_text=contest.rules_text,
        scope_unit_code=unit.code,
        tie_break=list(contest.tie_break),
        timezone=contest.timezone,
        study_draw=contest.study_draw,
        published_at=contest.published_at.astimezone(tz) if contest.published_at else None,
        rounds=[round_public(r, contest, ids[r.id]) for r in rounds if r.id is not None],
        rules_summary=rules_summary(contest, rounds, {k: len(v) for k, v in ids.items()}, locale=locale),
    )


# --- lifecycle -----------------------------------------------------------------------------------------
def as_round_in(round_: Round, question_ids: list[int]) -> RoundIn:
    prediction = (
        PredictionIn(kind=round_.prediction_kind, prompt=round_.prediction_prompt, lock_first=round_.prediction_lock_first)
        if round_.prediction_kind
        else None
    )
    return RoundIn(
        title=round_.title,
        opens_at=round_.opens_at,
        closes_at=round_.closes_at,
        time_limit_s=round_.time_limit_s,
        question_ids=question_ids or None,
        draw=[DrawLine(**line) for line in round_.draw] or None,
        shuffle_questions=round_.shuffle_questions,
        shuffle_options=round_.shuffle_options,
        attempts_allowed=round_.attempts_allowed,
        cooldown_s=round_.cooldown_s,
        counted_attempt=round_.counted_attempt,
        points_per_question=round_.points_per_question,
        results_visibility=round_.results_visibility,
        prediction=prediction,
    )


def publish_contest(*, session: Session, actor: Actor, contest_id: int) -> Contest:
    """Draft → published, after checking again that the bank can serve every round (questions may have
    been deactivated since the contest was written)."""
    contest = get_contest(session=session, actor=actor, contest_id=contest_id)
    if contest.status != ContestStatus.draft:
        raise Conflict(N_("Cuộc thi đã được công bố hoặc đã kết thúc."))
    rounds = rounds_of(session=session, contest=contest)
    if not rounds:
        raise Invalid(N_("Cuộc thi cần ít nhất một vòng thi."), field="rounds")
    ids = question_ids_of(session=session, round_ids=[r.id for r in rounds if r.id is not None])
    for i, round_ in enumerate(rounds):
        assert round_.id is not None
        check_round(
            session=session,
            actor=None,
            tz=zone(contest),
            number=round_.position,
            prefix=f"rounds.{i}.",
            data=as_round_in(round_, ids[round_.id]),
            study_draw=contest.study_draw,
        )
    contest.status = ContestStatus.published
    contest.published_at = utcnow()
    session.add(contest)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="contest.publish",
        entity="contest",
        entity_id=contest.id,
        detail={"slug": contest.slug},
        ip=actor.ip,
        unit_id=contest.scope_unit_id,
    )
    session.flush()
    return contest


def close_contest(*, session: Session, actor: Actor, contest_id: int) -> Contest:
    contest = get_contest(session=session, actor=actor, contest_id=contest_id)
    if contest.status != ContestStatus.published:
        raise Conflict(N_("Chỉ kết thúc được cuộc thi đang công bố."))
    contest.status = ContestStatus.closed
    session.add(contest)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="contest.close",
        entity="contest",
        entity_id=contest.id,
        ip=actor.ip,
        unit_id=contest.scope_unit_id,
    )
    session.flush()
    return contest


def update_contest(*, session: Session, actor: Actor, contest_id: int, data: ContestUpdate) -> Contest:
    contest = get_contest(session=session, actor=actor, contest_id=contest_id)
    title, rules_text = _check_contest_text(title=data.title, rules_text=data.rules_text)
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = title
    if rules_text is not None:
        changes["rules_text"] = rules_text
    if data.tie_break is not None:
        tie_break = check_tie_break(data.tie_break)
        if tie_break != list(contest.tie_break):
            if contest.status != ContestStatus.draft:
                raise Conflict(N_("Chỉ đổi được thứ tự xếp hạng khi cuộc thi còn là bản nháp."), extra={"field": "tie_break"})
            changes["tie_break"] = tie_break
    if data.study_draw is not None and data.study_draw != contest.study_draw:
        if contest.status != ContestStatus.draft and not data.study_draw:
            raise Conflict(N_("Cuộc thi đã công bố: không chuyển sang «không ra đề từ bộ ôn tập» được nữa."), extra={"field": "study_draw"})
        changes["study_draw"] = data.study_draw
    changes = {k: v for k, v in changes.items() if getattr(contest, k) != v}
    if changes:
        before = {k: getattr(contest, k) for k in changes}
        for key, value in changes.items():
            setattr(contest, key, value)
        session.add(contest)
        audit.record(
            session=session,
            actor_id=actor.id,
            action="contest.update",
            entity="contest",
            entity_id=contest.id,
            detail={"before": before, "after": changes},
            ip=actor.ip,
            unit_id=contest.scope_unit_id,
        )
        session.flush()
    return contest


def get_public(*, session: Session, slug: str) -> tuple[Contest, Unit]:
    """A published (or finished) contest by its short link; drafts are nobody's business yet."""
    contest = session.exec(select(Contest).where(Contest.slug == clean(slug))).first()
    unit = session.get(Unit, contest.scope_unit_id) if contest else None
    if contest is None or unit is None or contest.status == ContestStatus.draft:
        raise NotFound(N_("Không tìm thấy cuộc thi."))
    return contest, unit
