"""live guests: a game may let people without an account join

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 12:48:11.860553
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("live_game", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allow_guests", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("live_game", schema=None) as batch_op:
        batch_op.drop_column("allow_guests")
