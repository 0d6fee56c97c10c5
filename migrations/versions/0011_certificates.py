"""certificates: participation and prize certificates with their verification codes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 08:13:34.432587
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("unit_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("prize", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("issued_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contest.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("member_id", "round_id", "kind", name="uq_certificate_member_round_kind"),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_member_id"))

    op.drop_table("certificate")
