"""Request and response shapes of the results domain (API and pages alike)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Totals(BaseModel):
    participants: int
    attempts: int
    perfect_scorers: int


class RoundClosed(BaseModel):
    id: int
    status: str
    closed_at: datetime | None
    prediction_truth: int | None
    totals: Totals


class MemberRef(BaseModel):
    id: int
    full_name: str


class UnitRef(BaseModel):
    code: str
    name: str


class StandingRow(BaseModel):
    rank: int
    member: MemberRef
    unit: UnitRef
    score: int
    correct_count: int
    prediction: int | None
    prediction_error: int | None
    duration_ms: int
    submitted_at: datetime


class StandingsPage(BaseModel):
    total: int
    rows: list[StandingRow]


class UnitStandingRow(BaseModel):
    rank: int
    unit: UnitRef
    participants: int
    attempts: int
    headcount: int
    participation_rate: float | None
    average_score: float | None
    perfect_count: int | None


class UnitStandings(BaseModel):
    rows: list[UnitStandingRow]


class ReasonIn(BaseModel):
    reason: str = ""


class JudgedAttempt(BaseModel):
    id: int
    round_id: int
    member_id: int
    number: int
    status: str
    score: int | None
    correct_count: int | None
    duration_ms: int | None
    submitted_at: datetime | None
    disqualified_at: datetime | None
    disqualify_reason: str


class MemberDecision(BaseModel):
    changed: int


class FlagOut(BaseModel):
    attempt_id: int
    member_id: int
    kind: str
    explanation: str
    detail: dict


class AwardOut(BaseModel):
    tier: int
    tier_name: str
    rank: int
    member_id: int | None
    full_name: str
    member_code: str
    unit_code: str
    unit_name: str
    score: int | None


class AllocationOut(BaseModel):
    confirmed_at: datetime | None
    participants: int
    cap: int | None
    awards: list[AwardOut]
    unit_awards: list[AwardOut]
    notes: list[str]


class Sealed(BaseModel):
    sealed_at: datetime
    digest: str


class RoundRef(BaseModel):
    id: int
    title: str


class TurnoutUnit(BaseModel):
    unit: UnitRef
    headcount: int  # declared headcount of the subtree
    members: int  # active member accounts in the subtree
    participants: int
    missing_count: int
    participation_rate: float | None


class MissingRow(BaseModel):
    id: int
    full_name: str
    phone: str
    unit: UnitRef


class Participation(BaseModel):
    round: RoundRef
    unit: UnitRef
    headcount: int
    members: int
    participants: int
    missing_count: int
    participation_rate: float | None
    missing: list[MissingRow]
    limit: int
    offset: int
    units: list[TurnoutUnit]


class ContestRef(BaseModel):
    id: int
    title: str


class WinnerRow(BaseModel):
    rank: int
    full_name: str
    unit: UnitRef
    prize: str


class UnitWinnerRow(BaseModel):
    rank: int
    unit: UnitRef
    prize: str


class PublicWinners(BaseModel):
    round: RoundRef
    contest: ContestRef
    sealed_at: datetime
    digest: str
    rows: list[WinnerRow]
    units: list[UnitWinnerRow]


class CertificateOut(BaseModel):
    code: str
    kind: str  # "participation" | "prize"
    full_name: str
    unit: UnitRef
    contest: ContestRef
    round: RoundRef | None
    prize: str | None
    issued_at: datetime


class PushKeys(BaseModel):
    p256dh: str
    auth: str


class PushSubscriptionIn(BaseModel):
    """What a browser's PushSubscription.toJSON() gives."""

    endpoint: str
    keys: PushKeys


class PushKeyOut(BaseModel):
    public_key: str  # applicationServerKey, base64url


class ReminderIn(BaseModel):
    unit_code: str | None = None


class ReminderOut(BaseModel):
    id: int
    round_id: int
    unit: UnitRef
    kind: str
    members: int
    targets: int
    delivered: int
    failed: int
    removed: int
    created_at: datetime
    finished_at: datetime | None
