"""All tables, imported here so that SQLModel.metadata knows them (Alembic reads it)."""

from app.models.attempt import Answer, Attempt, AttemptEvent, AttemptQuestion
from app.models.audit import AuditEntry
from app.models.auth import LoginThrottle, MemberChange
from app.models.bank import Question, QuestionOption, Topic
from app.models.contest import Contest, Round, RoundQuestion
from app.models.essay import Essay, EssayCampaign, EssayGrade
from app.models.judging import AttemptFlag, Prize
from app.models.org import Member, MemberRole, Role, Unit
from app.models.standing import ContestStanding, Standing, UnitStanding
from app.models.upload import Upload

__all__ = [
    "Answer",
    "Attempt",
    "AttemptEvent",
    "AttemptFlag",
    "Prize",
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
