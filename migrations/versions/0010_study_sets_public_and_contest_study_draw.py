"""study sets: public link; contests say whether rounds draw from study sets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.add_column(sa.Column("study_public", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("study_slug", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_topic_study_slug"), ["study_slug"])
    # Contests made before this choice existed drew from published sets: they keep doing so.
    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("study_draw", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.alter_column("study_draw", server_default=sa.false())


def downgrade() -> None:
    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.drop_column("study_draw")
    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_topic_study_slug"), type_="unique")
        batch_op.drop_column("study_slug")
        batch_op.drop_column("study_public")
