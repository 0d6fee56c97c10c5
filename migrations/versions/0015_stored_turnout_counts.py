"""stored turnout counts: each unit's active members and, per round, how many of them took part

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_tally",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("unit_id"),
    )
    op.create_table(
        "round_tally",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("round_id", "unit_id"),
    )
    # the counts of what is already there (the rule: app/services/results/tally.py)
    op.execute("INSERT INTO unit_tally (unit_id, members) SELECT unit_id, count(*) FROM member WHERE active GROUP BY unit_id")
    op.execute(
        "INSERT INTO round_tally (round_id, unit_id, participants) "
        "SELECT took.round_id, member.unit_id, count(*) "
        "FROM (SELECT DISTINCT round_id, member_id FROM attempt WHERE status != 'in_progress') AS took "
        "JOIN member ON member.id = took.member_id WHERE member.active GROUP BY took.round_id, member.unit_id"
    )


def downgrade() -> None:
    op.drop_table("round_tally")
    op.drop_table("unit_tally")
