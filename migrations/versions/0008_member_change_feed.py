"""member_change: the feed of login-snapshot changes every worker reads

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:40:00
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("member_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_change_changed_at"), ["changed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("member_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_change_changed_at"))
    op.drop_table("member_change")
