"""contest certificates: a certificate without a round is for the whole contest, one per member and kind

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 09:12:41.203518
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CONTEST_WIDE = sa.text("round_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.alter_column("round_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            "uq_certificate_member_contest_kind",
            ["member_id", "contest_id", "kind"],
            unique=True,
            sqlite_where=CONTEST_WIDE,
            postgresql_where=CONTEST_WIDE,
        )


def downgrade() -> None:
    # a round is required again: the contests' certificates go (their codes then no longer verify)
    op.execute(sa.text("DELETE FROM certificate WHERE round_id IS NULL"))
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("uq_certificate_member_contest_kind", sqlite_where=CONTEST_WIDE, postgresql_where=CONTEST_WIDE)
        batch_op.alter_column("round_id", existing_type=sa.Integer(), nullable=False)
