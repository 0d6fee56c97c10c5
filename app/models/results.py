"""Standings: stored, not recomputed per request. Rebuilt when a round closes, on re-score and on
disqualification, and (provisionally) every few seconds while a round with immediate results is open.

What judges decide about a round: flags to review, prizes allocated (the seal is on the round)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field

from app.models.base import TableModel
from app.models.types import UTCDateTime, utcnow


class Standing(TableModel, table=True):
    """One member's place in a round: their counted attempt, ranked by the contest's tie-break chain.

    Derived rows, rebuilt whole from the attempts: the ids are copies of the counted attempt's own, whose
    foreign keys hold them, so none is declared here (checked per row they were most of the time of a big
    close on PostgreSQL: docs/performance.md#closing-and-ranking). The same goes for ContestStanding."""

    __table_args__ = (
        UniqueConstraint("round_id", "member_id", name="uq_standing_member"),
        Index("ix_standing_round_rank", "round_id", "rank"),
        # a unit subtree's board is one prefix match on the path, already in rank order
        Index("ix_standing_round_path_rank", "round_id", "unit_path", "rank"),
        # a member's rank card: how many of their own unit rank ahead of them
        Index("ix_standing_round_unit_rank", "round_id", "unit_id", "rank"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int
    member_id: int
    attempt_id: int
    unit_id: int  # the member's unit when the counted attempt started
    unit_path: str = Field(max_length=255)
    rank: int
    score: int
    correct_count: int
    question_count: int
    prediction: int | None = None
    prediction_error: int | None = None
    duration_ms: int
    submitted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int  # the member's valid attempts in the round


class UnitStanding(TableModel, table=True):
    """A unit's figures in a round, over its whole subtree; `rank` is among the units of the same parent."""

    __tablename__ = "unit_standing"
    __table_args__ = (
        UniqueConstraint("round_id", "unit_id", name="uq_unit_standing_unit"),
        Index("ix_unit_standing_parent_rank", "round_id", "parent_id", "rank"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id")
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    rank: int
    participants: int
    attempts: int
    headcount: int
    participation_rate: float | None = None  # participants / declared headcount; None without a headcount
    average_score: float | None = None
    perfect_count: int


class ContestStanding(TableModel, table=True):
    """A member's place over the contest's closed rounds: counted scores summed, the same chain on totals."""

    __tablename__ = "contest_standing"
    __table_args__ = (
        UniqueConstraint("contest_id", "member_id", name="uq_contest_standing_member"),
        Index("ix_contest_standing_rank", "contest_id", "rank"),
        Index("ix_contest_standing_path_rank", "contest_id", "unit_path", "rank"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int  # no foreign keys: derived rows, as Standing's
    member_id: int
    unit_id: int
    unit_path: str = Field(max_length=255)
    rank: int
    rounds: int
    score: int
    correct_count: int
    prediction: int | None = None  # the sum over rounds with a prediction question
    prediction_error: int | None = None
    duration_ms: int
    submitted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))  # the last round's


class FlagKind:
    too_fast = "too_fast"  # duration under the plausible minimum (default 2 s per question)
    shared_ip = "shared_ip"  # many accounts from one IP in the round
    duplicate_identity = "duplicate_identity"  # same normalised name and birth date as another member
    identical_answers = "identical_answers"  # many attempts with the very same answer set


class AttemptFlag(TableModel, table=True):
    """A reason for a judge to look at an attempt; never a decision by itself. Rebuilt per round on close and on
    demand; `detail` holds what the explanation needs (the figures, the other attempts' ids)."""

    __tablename__ = "attempt_flag"
    __table_args__ = (
        UniqueConstraint("attempt_id", "kind", name="uq_attempt_flag_kind"),
        Index("ix_attempt_flag_round_kind", "round_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE")
    attempt_id: int = Field(foreign_key="attempt.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id")
    kind: str = Field(max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    computed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Prize(TableModel, table=True):
    """A confirmed prize of a round: to a member (their standing) or to a unit (collective prize)."""

    __table_args__ = (
        # at most one prize per person (and per unit) per round
        UniqueConstraint("round_id", "member_id", name="uq_prize_member"),
        Index("uq_prize_unit", "round_id", "unit_id", unique=True, sqlite_where=text("collective"), postgresql_where=text("collective")),
        Index("ix_prize_round_tier", "round_id", "collective", "tier"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE")
    collective: bool = False  # True: a unit's prize; member_id is then null
    tier: int  # 1 = the first tier as declared
    tier_name: str = Field(max_length=100)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    unit_id: int = Field(foreign_key="unit.id")  # the member's unit, or the prized unit
    rank: int  # the rank the prize was given at
    confirmed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    confirmed_by: int | None = Field(default=None, foreign_key="member.id")


class Certificate(TableModel, table=True):
    """A certificate (giấy chứng nhận) issued to a member: for taking part in a closed round, or for a prize once
    the round is sealed; or, without a round, for taking part in a contest once all its rounds are closed. The
    code printed on it (and in its QR code) is how anyone checks it; it cannot be guessed. What it certifies is
    kept as issued, so a later rename does not change a paper already printed."""

    __table_args__ = (
        UniqueConstraint("member_id", "round_id", "kind", name="uq_certificate_member_round_kind"),
        # the constraint above lets NULL rounds repeat: a contest's certificate is unique by itself
        Index(
            "uq_certificate_member_contest_kind",
            "member_id",
            "contest_id",
            "kind",
            unique=True,
            sqlite_where=text("round_id IS NULL"),
            postgresql_where=text("round_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    kind: str = Field(max_length=16)  # "participation" | "prize"
    member_id: int = Field(foreign_key="member.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="round.id", ondelete="CASCADE")  # None: the whole contest
    contest_id: int = Field(foreign_key="contest.id")
    full_name: str = Field(max_length=120)
    unit_code: str = Field(max_length=32)
    unit_name: str = Field(max_length=200)
    prize: str | None = Field(default=None, max_length=100)
    number: int  # the certificate's number among the contest's ("Số: 12/GCN-BTC")
    issued_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ReminderSend(TableModel, table=True):
    """A reminder to the members of a unit's subtree who have not taken part in a round: who sent it, to how
    many phones, and how it went (filled in as the background sending goes)."""

    __tablename__ = "reminder_send"
    # an automatic reminder ("opened", "closing") is sent once per round, whatever the number of workers
    __table_args__ = (
        Index(
            "uq_reminder_send_auto",
            "round_id",
            "kind",
            unique=True,
            sqlite_where=text("kind != 'manual'"),
            postgresql_where=text("kind != 'manual'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id")
    sent_by: int | None = Field(default=None, foreign_key="member.id")
    kind: str = Field(default="manual", max_length=16)  # "manual" | "opened" | "closing"
    members: int = 0  # members without a finished attempt who allowed notifications
    targets: int = 0  # their subscriptions (a member may have several phones)
    delivered: int = 0
    failed: int = 0
    removed: int = 0  # subscriptions the push service said were gone
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class UnitTally(TableModel, table=True):
    """How many active members a unit has (its own, not its subtree's), kept in step with every member change
    (app.services.results.tally), so turnout pages read a union as its units, not its members."""

    __tablename__ = "unit_tally"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True, ondelete="CASCADE")
    members: int = 0


class RoundTally(TableModel, table=True):
    """How many of a unit's own active members have taken part in a round (app.services.results.tally)."""

    __tablename__ = "round_tally"

    round_id: int = Field(foreign_key="round.id", primary_key=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, ondelete="CASCADE")
    participants: int = 0
