"""All tables, imported here so that SQLModel.metadata knows them (Alembic reads it)."""

from app.models.bank import Question, QuestionOption, Topic
from app.models.contests import Contest, Round, RoundQuestion
from app.models.essays import Essay, EssayCampaign, EssayGrade
from app.models.kit import AuditEntry, Upload
from app.models.live import LiveAnswer, LiveGame, LivePlayer, LiveQuestion
from app.models.org import LoginThrottle, Member, MemberChange, MemberRole, PushSubscription, Role, Unit
from app.models.quiz import Answer, Attempt, AttemptEvent, AttemptQuestion
from app.models.results import (
    AttemptFlag,
    Certificate,
    ContestStanding,
    Prize,
    ReminderSend,
    RoundTally,
    Standing,
    UnitStanding,
    UnitTally,
)

__all__ = [
    "Answer",
    "LiveAnswer",
    "LiveGame",
    "LivePlayer",
    "LiveQuestion",
    "Attempt",
    "AttemptEvent",
    "AttemptFlag",
    "Certificate",
    "Prize",
    "PushSubscription",
    "ReminderSend",
    "RoundTally",
    "UnitTally",
    "AttemptQuestion",
    "AuditEntry",
    "Contest",
    "Essay",
    "EssayCampaign",
    "EssayGrade",
    "LoginThrottle",
    "Member",
    "MemberChange",
    "MemberRole",
    "Question",
    "QuestionOption",
    "Role",
    "Round",
    "RoundQuestion",
    "Topic",
    "Unit",
    "Upload",
    "ContestStanding",
    "Standing",
    "UnitStanding",
]
