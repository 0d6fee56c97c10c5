"""Reminders to who has not taken part: members allow notifications on their phones (Web Push), organisers of a
unit send a reminder to the members of its subtree without a finished attempt, and every send is recorded
(who, to how many, delivered, failed, removed). Queueing is one query and one row; the posting to the push
services runs in a background thread, so a reminder to ten thousand phones does not hold the request."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from py_vapid import Vapid01
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.config import Settings
from app.db import make_engine, session_scope
from app.errors import N_, Invalid, NotFound
from app.models import Contest, Member, PushSubscription, ReminderSend, Round, Unit
from app.models.contests import ContestStatus, RoundStatus
from app.models.types import is_db_id, utcnow
from app.services.kit import audit, push
from app.services.org.access import Actor
from app.services.results import participation, standings
from app.services.results.participation import Place

log = logging.getLogger(__name__)
MAX_ENDPOINT = 1000
NICE = 19  # the sending process yields the CPU to the workers answering members (weight 15 against 1024)
# push services speak HTTPS; a push service on this machine (tests, a local relay) may be plain HTTP
ENDPOINT_SCHEMES = ("https://", "http://127.0.0.1:", "http://localhost:")


@dataclass(frozen=True)
class Target:
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str


# --- a member's phones ---------------------------------------------------------------------------------------
def subscribe(*, session: Session, actor: Actor, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Keep this phone's subscription for the member (the same endpoint again replaces its keys and owner)."""
    endpoint, p256dh, auth = endpoint.strip(), p256dh.strip(), auth.strip()
    if not endpoint.startswith(ENDPOINT_SCHEMES) or len(endpoint) > MAX_ENDPOINT:
        raise Invalid(N_("Địa chỉ nhận thông báo không hợp lệ."), field="endpoint")
    if not p256dh or not auth or len(p256dh) > 200 or len(auth) > 100:
        raise Invalid(N_("Khoá nhận thông báo không hợp lệ."), field="keys")
    found = session.execute(select(PushSubscription).where(col(PushSubscription.endpoint) == endpoint)).scalar_one_or_none()
    if found is None:
        found = PushSubscription(member_id=actor.id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        try:
            with session.begin_nested():
                session.add(found)
                session.flush()
        except IntegrityError:  # the same phone subscribed twice at once: the other request kept it
            found = session.execute(select(PushSubscription).where(col(PushSubscription.endpoint) == endpoint)).scalar_one()
    found.member_id, found.p256dh, found.auth = actor.id, p256dh, auth
    session.add(found)
    return found


def unsubscribe(*, session: Session, actor: Actor, endpoint: str | None = None) -> int:
    """Turn reminders off: this phone's subscription, or all of the member's; returns how many were removed."""
    stmt = delete(PushSubscription).where(col(PushSubscription.member_id) == actor.id)
    if endpoint:
        stmt = stmt.where(col(PushSubscription.endpoint) == endpoint.strip())
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def subscribed(*, session: Session, actor: Actor) -> int:
    count = select(func.count()).select_from(PushSubscription).where(col(PushSubscription.member_id) == actor.id)
    return int(session.execute(count).scalar_one())


# --- an organiser's reminder ---------------------------------------------------------------------------------
def _targets(session: Session, place: Place) -> tuple[int, list[Target]]:
    """The subscriptions of the subtree's active members without a finished attempt (and how many members)."""
    round_id = place.info.round_id
    rows = session.execute(
        select(col(PushSubscription.id), col(PushSubscription.endpoint), col(PushSubscription.p256dh), col(PushSubscription.auth))
        .join(Member, col(Member.id) == col(PushSubscription.member_id))
        .join(Unit, col(Unit.id) == col(Member.unit_id))
        .where(
            col(Member.active).is_(True),
            col(Unit.path).startswith(place.unit_path, autoescape=True),
            ~participation.took_part(round_id),
        )
    ).all()
    members = session.execute(
        select(func.count(func.distinct(col(PushSubscription.member_id)))).where(col(PushSubscription.id).in_([r[0] for r in rows]))
    ).scalar_one()
    return int(members), [Target(*r) for r in rows]


def reachable(*, session: Session, place: Place) -> tuple[int, int]:
    """How many members a reminder would reach now, and on how many phones (shown before sending)."""
    members, targets = _targets(session, place)
    return members, len(targets)


def message(place: Place, base_url: str) -> dict[str, str]:
    """What the phone shows, and the page a tap opens (the round's rules and start)."""
    info = place.info
    closes = info.closes_at.astimezone(ZoneInfo(info.timezone)).strftime("%H:%M %d/%m")
    return {
        "title": f"Nhắc thi: {info.title}",
        "body": f"{info.contest_title}. Vòng thi đóng lúc {closes}; đồng chí chưa tham gia.",
        "url": f"{base_url.rstrip('/')}/rounds/{info.round_id}/enter",
    }


def queue(
    *, session: Session, actor: Actor, round_id: int, unit_code: str | None, base_url: str, kind: str = "manual"
) -> tuple[ReminderSend, list[Target], dict[str, str]]:
    """Record a reminder to the unit's subtree and return what to send (the caller commits, then sends)."""
    place = participation.reach(session=session, actor=actor, round_id=round_id, unit_code=unit_code)
    if place.info.status == RoundStatus.closed or place.info.closes_at <= utcnow():
        raise Invalid(N_("Vòng thi đã kết thúc: không còn gì để nhắc."), field="round")
    members, targets = _targets(session, place)
    send = ReminderSend(round_id=round_id, unit_id=place.unit_id, sent_by=actor.id, kind=kind, members=members, targets=len(targets))
    session.add(send)
    session.flush()
    return send, targets, message(place, base_url)


def deliver(*, engine: Engine, send_id: int, targets: list[Target], message: dict[str, str], key: Vapid01, contact: str) -> None:
    """Post the message to every target and record the outcome (subscriptions gone are deleted)."""
    delivered = failed = 0
    gone: list[int] = []
    pusher = push.Pusher(key, contact)
    try:
        for t in targets:
            outcome = pusher.send(endpoint=t.endpoint, p256dh=t.p256dh, auth=t.auth, message=message)
            if outcome.ok:
                delivered += 1
            else:
                failed += 1
                if outcome.gone:
                    gone.append(t.subscription_id)
    finally:
        pusher.close()
    with session_scope(engine) as session:
        if gone:
            session.execute(delete(PushSubscription).where(col(PushSubscription.id).in_(gone)))
        session.execute(
            update(ReminderSend)
            .where(col(ReminderSend.id) == send_id)
            .values(delivered=delivered, failed=failed, removed=len(gone), finished_at=utcnow())
        )


def in_own_process(settings: Settings, send_id: int, targets: list[Target], message: dict[str, str], contact: str) -> None:
    """Send from a child process at a lower CPU priority: encrypting and posting thousands of messages then
    takes neither the worker's interpreter lock nor CPU that answer saves need (docs/performance.md#reminders)."""
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_send_apart, args=(settings, send_id, targets, message, contact), name="hoithi-reminder", daemon=True)
    child.start()
    threading.Thread(target=child.join, daemon=True).start()  # reap it when it ends


def _send_apart(settings: Settings, send_id: int, targets: list[Target], message: dict[str, str], contact: str) -> None:
    os.nice(NICE)
    engine = make_engine(settings)
    try:
        deliver(
            engine=engine, send_id=send_id, targets=targets, message=message, key=push.vapid(settings.resolved_data_dir()), contact=contact
        )
    except Exception:
        log.exception("sending a reminder failed")
    finally:
        engine.dispose()


def history(*, session: Session, actor: Actor, round_id: int, unit_code: str | None) -> list[ReminderSend]:
    place = participation.reach(session=session, actor=actor, round_id=round_id, unit_code=unit_code)
    return list(
        session.execute(
            select(ReminderSend)
            .join(Unit, col(Unit.id) == col(ReminderSend.unit_id))
            .where(col(ReminderSend.round_id) == round_id, col(Unit.path).startswith(place.unit_path, autoescape=True))
            .order_by(col(ReminderSend.created_at).desc())
            .limit(20)
        ).scalars()
    )


def get(*, session: Session, actor: Actor, send_id: int) -> ReminderSend:
    send = session.get(ReminderSend, send_id) if is_db_id(send_id) else None
    if send is None:
        raise NotFound(N_("Không tìm thấy lần gửi nhắc nhở."))
    unit = session.get(Unit, send.unit_id)
    assert unit is not None
    participation.reach(session=session, actor=actor, round_id=send.round_id, unit_code=unit.code)
    return send


# --- automatic reminders ---------------------------------------------------------------------------------------
CLOSING_AHEAD = timedelta(days=1)


def set_auto(*, session: Session, actor: Actor, round_id: int, on: bool) -> Contest:
    """Turn the contest's automatic reminders on or off (organisers of the contest's scope)."""
    place = participation.reach(session=session, actor=actor, round_id=round_id, unit_code=None)
    contest = session.get(Contest, place.info.contest_id)
    scope = session.get(Unit, place.info.scope_id)
    assert contest is not None and scope is not None
    actor.require(scope)  # the scope's organisers decide for the whole contest
    contest.auto_reminders = on
    session.add(contest)
    audit.record(
        session=session,
        actor_id=actor.id,
        action="contest.auto_reminders",
        entity="contest",
        entity_id=contest.id,
        detail={"on": on},
        ip=actor.ip,
        unit_id=scope.id,
    )
    return contest


def _due(session: Session, now: datetime) -> list[tuple[Round, Contest, str]]:
    """Rounds of contests with automatic reminders that are due one: just opened, or closing within a day."""
    rows = session.execute(
        select(Round, Contest)
        .join(Contest, col(Contest.id) == col(Round.contest_id))
        .where(
            col(Contest.auto_reminders).is_(True),
            col(Contest.status) == ContestStatus.published,
            col(Round.status) != RoundStatus.closed,
            col(Round.opens_at) <= now,
            col(Round.closes_at) > now,
        )
    ).all()
    sent = {
        (r, k)
        for r, k in session.execute(
            select(col(ReminderSend.round_id), col(ReminderSend.kind)).where(col(ReminderSend.round_id).in_([r.id for r, _c in rows]))
        )
    }
    due = []
    for round_, contest in rows:
        kind = "closing" if round_.closes_at - now <= CLOSING_AHEAD else "opened"
        if (round_.id, kind) not in sent:
            due.append((round_, contest, kind))
    return due


Sender = Callable[[int, list[Target], dict[str, str]], None]  # (send id, targets, message): posts them


def auto_once(*, engine: Engine, send: Sender, base_url: str, now: datetime | None = None) -> int:
    """Send the automatic reminders that are due (each once per round and kind, whatever the number of workers:
    the first to record it sends it, through `send`); returns how many were sent."""
    now = now or utcnow()
    with session_scope(engine, write=False) as session:
        due = _due(session, now)
    count = 0
    for round_, contest, kind in due:
        with session_scope(engine) as session:
            scope = session.get(Unit, contest.scope_unit_id)
            assert scope is not None and round_.id is not None and scope.id is not None
            info = standings.any_round_info(session=session, round_id=round_.id)
            place = Place(info, scope.id, scope.code, scope.name, scope.path)
            members, targets = _targets(session, place)
            record = ReminderSend(round_id=round_.id, unit_id=scope.id, kind=kind, members=members, targets=len(targets))
            try:
                with session.begin_nested():
                    session.add(record)
                    session.flush()
            except IntegrityError:  # another worker recorded it first: it sends it
                continue
            send_id = record.id or 0
            text = message(place, base_url)
        send(send_id, targets, text)
        count += 1
    return count
