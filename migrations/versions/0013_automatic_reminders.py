"""automatic reminders: a contest's switch, and one automatic send per round and kind

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 08:57:14.958764
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_reminders", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("reminder_send", schema=None) as batch_op:
        batch_op.create_index(
            "uq_reminder_send_auto",
            ["round_id", "kind"],
            unique=True,
            sqlite_where=sa.text("kind != 'manual'"),
            postgresql_where=sa.text("kind != 'manual'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder_send", schema=None) as batch_op:
        batch_op.drop_index("uq_reminder_send_auto", sqlite_where=sa.text("kind != 'manual'"), postgresql_where=sa.text("kind != 'manual'"))

    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.drop_column("auto_reminders")
