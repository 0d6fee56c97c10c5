"""Flags for judges to review, per round (docs/rules-as-built.md, judging): a reason to look at an attempt, never a decision.

Flags are computed over the round's finished attempts (submitted or expired), disqualified ones included, so that a
judge still sees why an attempt was set aside; an attempt in progress is never flagged. Each kind takes one or two
set-based statements (GROUP BY, window functions); Python only shapes the `detail` of the rows it inserts, and the
two simple kinds are inserted by INSERT … SELECT without leaving the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Integer,
    String,
    and_,
    any_,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.errors import N_, NotFound
from app.i18n import translate
from app.models import Answer, Attempt, AttemptFlag, AttemptQuestion, Contest, Member, Round, Unit
from app.models.results import FlagKind
from app.models.types import UTCDateTime, utcnow
from app.services.results.ranking import FINISHED

KINDS = (FlagKind.too_fast, FlagKind.shared_ip, FlagKind.duplicate_identity, FlagKind.identical_answers)
MAX_OTHER_MEMBERS = 5
MAX_OTHER_ATTEMPTS = 10
_CHUNK = 2000


@dataclass(frozen=True)
class FlagSettings:
    shared_ip_min_accounts: int = 5  # an IP used by at least this many distinct members in the round
    identical_min_attempts: int = 3  # at least this many attempts with the very same answer set
    identical_min_answered: int = 5  # fewer answered questions than this: too common to mean anything


def _finished(round_id: int) -> Any:
    a = Attempt.__table__.c
    return and_(a.round_id == round_id, a.status.in_(FINISHED))


def _json_object(dialect: str, *pairs: tuple[str, Any]) -> Any:
    # The keys are this module's own constants, never input: safe as SQL literals, and no parameter to type for
    # json_build_object, whose arguments are "any".
    args: list[Any] = []
    for key, value in pairs:
        args += (literal_column(f"'{key}'"), value)
    return func.json_build_object(*args) if dialect == "postgresql" else func.json_object(*args)


def _flag_select(round_id: int, kind: str, detail: Any, now: datetime) -> Any:
    a = Attempt.__table__.c
    return select(literal(round_id), a.id, a.member_id, literal(kind), detail, literal(now, UTCDateTime()))


_FLAG_COLUMNS = ["round_id", "attempt_id", "member_id", "kind", "detail", "computed_at"]


def _too_fast(session: Session, round_: Round, dialect: str, now: datetime) -> None:
    per = int(round_.min_seconds_per_question or 0)
    if per <= 0:
        return
    a = Attempt.__table__.c
    detail = _json_object(
        dialect, ("duration_ms", a.duration_ms), ("question_count", a.question_count), ("min_s_per_question", literal_column(str(per)))
    )
    assert round_.id is not None
    stmt = _flag_select(round_.id, FlagKind.too_fast, detail, now).where(
        _finished(round_.id), a.duration_ms.is_not(None), a.question_count > 0, a.duration_ms < a.question_count * (per * 1000)
    )
    session.execute(insert(AttemptFlag).from_select(_FLAG_COLUMNS, stmt))


def _shared_ip(session: Session, round_id: int, dialect: str, now: datetime, min_accounts: int) -> None:
    a = Attempt.__table__.c
    accounts = func.count(func.distinct(a.member_id))
    ips = (
        select(a.ip, accounts.label("accounts"))
        .where(_finished(round_id), a.ip.is_not(None), a.ip != "")
        .group_by(a.ip)
        .having(accounts >= min_accounts)
        .subquery("ips")
    )
    detail = _json_object(dialect, ("ip", a.ip), ("accounts", ips.c.accounts))
    stmt = (
        _flag_select(round_id, FlagKind.shared_ip, detail, now)
        .join_from(Attempt.__table__, ips, ips.c.ip == a.ip)
        .where(_finished(round_id))
    )
    session.execute(insert(AttemptFlag).from_select(_FLAG_COLUMNS, stmt))


def _duplicate_identity(session: Session, round_: Round, now: datetime) -> list[dict[str, Any]]:
    """Other members with the same folded name and birth date: the active members of the contest's scope subtree,
    whether or not they took this round (a second account that has not played yet is still the same person).
    Deactivated members are left out: deactivating the spare account is how an organiser settles a duplicate.
    The CCCD hash cannot repeat (it is unique in the database), so name + birth date is the only signal left."""
    a = Attempt.__table__.c
    assert round_.id is not None
    me, other, unit = aliased(Member), aliased(Member), aliased(Unit)
    scope_path = session.execute(
        select(col(Unit.path)).join(Contest, col(Contest.scope_unit_id) == Unit.id).where(col(Contest.id) == round_.contest_id)
    ).scalar_one()
    pairs = (
        select(
            a.id.label("attempt_id"),
            a.member_id,
            col(other.id).label("other_id"),
            col(other.full_name),
            col(other.member_code),
            col(unit.name).label("unit_name"),
            func.count().over(partition_by=a.id).label("n"),
            func.row_number().over(partition_by=a.id, order_by=col(other.id)).label("rn"),
        )
        .join_from(Attempt.__table__, me, col(me.id) == a.member_id)
        .join(other, and_(col(other.name_folded) == me.name_folded, col(other.birth_date) == me.birth_date, col(other.id) != me.id))
        .join(unit, col(unit.id) == other.unit_id)
        .where(
            _finished(round_.id),
            col(me.birth_date).is_not(None),
            col(me.name_folded) != "",
            col(other.active).is_(True),
            col(unit.path).startswith(scope_path, autoescape=True),
        )
    ).subquery("pairs")
    p = pairs.c
    found = session.execute(
        select(p.attempt_id, p.member_id, p.n, p.other_id, p.full_name, p.member_code, p.unit_name)
        .where(p.rn <= MAX_OTHER_MEMBERS)
        .order_by(p.attempt_id, p.rn)
    ).all()
    rows = []
    for (attempt_id, member_id, n), group in groupby(found, key=lambda r: (r[0], r[1], r[2])):
        others = [
            {"member_id": r.other_id, "full_name": r.full_name, "member_code": r.member_code, "unit_name": r.unit_name} for r in group
        ]
        rows.append(
            {
                "round_id": round_.id,
                "attempt_id": attempt_id,
                "member_id": member_id,
                "kind": FlagKind.duplicate_identity,
                "detail": {"others": others, "count": int(n)},
                "computed_at": now,
            }
        )
    return rows


def _maybe_alike(round_id: int, settings: FlagSettings) -> Any:
    """The attempts that could share their answer set with enough others, judged without opening any option list:
    the same answered questions (compared through a few sums, so a collision only lets an attempt through to the
    exact comparison). In a drawn round this leaves hardly any attempt."""
    a, aq, ans = Attempt.__table__.c, AttemptQuestion.__table__, Answer.__table__
    qid, answered = cast(aq.c.question_id, BigInteger), func.count()
    per = (
        select(a.id, answered.label("answered"), func.sum(qid).label("s1"), func.sum(qid * (qid % 1000003)).label("s2"))
        .select_from(
            Attempt.__table__.join(ans, ans.c.attempt_id == a.id).join(
                aq, and_(aq.c.attempt_id == ans.c.attempt_id, aq.c.position == ans.c.position)
            )
        )
        # A cleared answer is stored as the JSON text "[]": compared as text, no JSON is parsed here.
        .where(_finished(round_id), cast(ans.c.option_ids, String) != "[]")
        # In the order of the (round, member, number) index, so that SQLite groups without sorting.
        .group_by(a.member_id, a.number, a.id)
        .having(answered >= settings.identical_min_answered)
        .subquery("per")
    )
    p = per.c
    sized = select(p.id, func.count().over(partition_by=[p.answered, p.s1, p.s2]).label("size")).subquery("sized")
    return select(sized.c.id).where(sized.c.size >= settings.identical_min_attempts)


def _identical_answers(session: Session, round_id: int, dialect: str, now: datetime, settings: FlagSettings) -> list[dict[str, Any]]:
    """Option ids are random per snapshot, so two attempts never share them: an answer set is compared as the set
    of (question id, the chosen option's position in the bank question, "qp"), whatever the display order. Snapshots
    made before "qp" was recorded fall back on the option's text, as re-scoring does."""
    # The few attempts left are named to the exact comparison by value: PostgreSQL then plans for their true number
    # (index look-ups) instead of reading every snapshot of the round.
    alike = session.execute(_maybe_alike(round_id, settings)).scalars().all()
    if not alike:
        return []
    a, aq, ans = Attempt.__table__.c, AttemptQuestion.__table__, Answer.__table__
    if dialect == "postgresql":  # one parse of each option list into typed columns
        chosen = func.json_array_elements_text(ans.c.option_ids).table_valued(column("value", String)).alias("chosen")
        option = (
            func.json_to_recordset(aq.c.options)
            .table_valued(column("id", String), column("qp", Integer), column("text", String))
            .render_derived(name="opt", with_types=True)
        )
        option_id, key = option.c.id, func.coalesce(cast(option.c.qp, String), option.c.text)
        among = a.id == any_(literal(list(alike), ARRAY(Integer)))
    else:
        chosen = func.json_each(ans.c.option_ids).table_valued(column("value", String)).alias("chosen")
        option = func.json_each(aq.c.options).table_valued(column("value", JSON)).alias("opt")
        option_id = option.c.value["id"].as_string()
        key = func.coalesce(option.c.value["qp"].as_string(), option.c.value["text"].as_string())
        among = a.id.in_(select(func.json_each(json.dumps(list(alike))).table_valued("value").c.value))
    items = (
        select(a.id.label("attempt_id"), a.member_id, aq.c.question_id, (cast(aq.c.question_id, String) + literal(".") + key).label("item"))
        .select_from(
            Attempt.__table__.join(ans, ans.c.attempt_id == a.id)
            .join(aq, and_(aq.c.attempt_id == ans.c.attempt_id, aq.c.position == ans.c.position))
            .join(chosen, true())
            .join(option, option_id == chosen.c.value)
        )
        .where(_finished(round_id), among)
    ).subquery("items")
    i = items.c
    # A window over the whole partition keeps the concatenation in order on SQLite too (its GROUP_CONCAT takes no
    # ORDER BY before 3.44); both windows sort alike, so the rows are sorted once.
    order = [i.question_id, i.item]
    per_attempt = select(
        i.attempt_id,
        i.member_id,
        func.aggregate_strings(i.item, ";").over(partition_by=i.attempt_id, order_by=order, rows=(None, None)).label("signature"),
        func.row_number().over(partition_by=i.attempt_id, order_by=order).label("rn"),
    ).subquery("per_attempt")
    s = per_attempt.c
    grouped = (
        select(s.attempt_id, s.member_id, s.signature, func.count().over(partition_by=s.signature).label("size"))
        .where(s.rn == 1)
        .subquery("grouped")
    )
    g = grouped.c
    found = session.execute(
        select(g.attempt_id, g.member_id, g.signature, g.size)
        .where(g.size >= settings.identical_min_attempts)
        .order_by(g.signature, g.attempt_id)
    ).all()
    rows = []
    for _signature, group in groupby(found, key=lambda r: r.signature):
        members = [(r.attempt_id, r.member_id, int(r.size)) for r in group]
        first_ids = [attempt_id for attempt_id, _m, _n in members[: MAX_OTHER_ATTEMPTS + 1]]
        for attempt_id, member_id, size in members:
            others = [x for x in first_ids if x != attempt_id][:MAX_OTHER_ATTEMPTS]
            rows.append(
                {
                    "round_id": round_id,
                    "attempt_id": attempt_id,
                    "member_id": member_id,
                    "kind": FlagKind.identical_answers,
                    "detail": {"group_size": size, "others": others},
                    "computed_at": now,
                }
            )
    return rows


def compute_round_flags(
    *, session: Session, round_id: int, settings: FlagSettings = FlagSettings(), now: datetime | None = None
) -> dict[str, int]:
    """Replace the round's flags with fresh ones (delete, then insert, in the caller's transaction: the caller
    commits) and return how many attempts each kind flags."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound(N_("Không tìm thấy vòng thi."))
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # PostgreSQL takes every JSON function call for 100 rows, so on a big round it expects billions and spends
        # seconds JIT-compiling statements that run in less: off while the flags are computed, then as it was.
        jit = session.execute(select(func.current_setting("jit"))).scalar_one()
        session.execute(select(func.set_config("jit", "off", True)))
    session.execute(delete(AttemptFlag).where(col(AttemptFlag.round_id) == round_id))
    _too_fast(session, round_, dialect, now)
    _shared_ip(session, round_id, dialect, now, settings.shared_ip_min_accounts)
    rows = _duplicate_identity(session, round_, now) + _identical_answers(session, round_id, dialect, now, settings)
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(AttemptFlag), rows[start : start + _CHUNK])
    if dialect == "postgresql":
        session.execute(select(func.set_config("jit", jit, True)))
    session.flush()
    counts = dict.fromkeys(KINDS, 0)
    counts.update(
        (kind, n)
        for kind, n in session.execute(
            select(col(AttemptFlag.kind), func.count()).where(col(AttemptFlag.round_id) == round_id).group_by(AttemptFlag.kind)
        )
    )
    return counts


def round_flags(*, session: Session, round_id: int, kind: str | None = None, attempt_ids: Sequence[int] | None = None) -> list[AttemptFlag]:
    """The round's flags, by attempt then kind; only one kind, or only some attempts (a page of the list)."""
    stmt = select(AttemptFlag).where(col(AttemptFlag.round_id) == round_id)
    if kind is not None:
        stmt = stmt.where(col(AttemptFlag.kind) == kind)
    if attempt_ids is not None:
        if not attempt_ids:
            return []
        stmt = stmt.where(col(AttemptFlag.attempt_id).in_(list(attempt_ids)))
    return list(session.execute(stmt.order_by(col(AttemptFlag.attempt_id), col(AttemptFlag.kind))).scalars().all())


def _more(shown: int, total: int, sep: str = ", ") -> str:
    return f"{sep}…" if total > shown else ""


def explain(flag: AttemptFlag, *, locale: str = "vi") -> str:
    """One sentence a judge can act on, from the figures the flag recorded."""
    d = flag.detail or {}

    def t(msgid: str, **params: object) -> str:
        return translate(msgid, locale, **params)

    if flag.kind == FlagKind.too_fast:
        per, n = int(d["min_s_per_question"]), int(d["question_count"])
        # Tenths rounded down: 39.99 s must not read as the 40 s minimum it falls short of.
        seconds = format_decimal((int(d["duration_ms"]) // 100) / 10, format="#,##0.#", locale=locale)
        return t(
            N_("Làm {n} câu trong {seconds} giây (dưới mức tối thiểu {minimum} giây, {per} giây mỗi câu)."),
            n=n,
            seconds=seconds,
            minimum=n * per,
            per=per,
        )
    if flag.kind == FlagKind.shared_ip:
        return t(N_("{n} tài khoản cùng làm bài từ địa chỉ IP {ip} trong vòng thi này."), n=d["accounts"], ip=d["ip"])
    if flag.kind == FlagKind.duplicate_identity:
        others = d.get("others", [])
        people = "; ".join(
            t(N_("{name} (mã {code}, {unit})"), name=o["full_name"], code=o["member_code"], unit=o["unit_name"]) for o in others
        )
        count = int(d.get("count", len(others)))
        return t(N_("Trùng họ tên và ngày sinh với {n} hội viên khác: {people}."), n=count, people=people + _more(len(others), count, "; "))
    if flag.kind == FlagKind.identical_answers:
        others, count = d.get("others", []), int(d["group_size"]) - 1
        ids = ", ".join(f"#{x}" for x in others) + _more(len(others), count)
        return t(N_("Bộ đáp án giống hệt {n} lượt thi khác (lượt {ids})."), n=count, ids=ids)
    return flag.kind
