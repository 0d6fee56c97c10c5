"""All tables, imported here so that SQLModel.metadata knows them (Alembic reads it)."""
from app.models.audit import AuditEntry
from app.models.auth import LoginThrottle
from app.models.org import Member, MemberRole, Role, Unit
from app.models.upload import Upload

__all__ = ["AuditEntry", "LoginThrottle", "Member", "MemberRole", "Role", "Unit", "Upload"]
