"""standings without foreign keys: the member and contest standings are derived rows, rebuilt whole

Every column that referred to another table is a copy of the counted attempt's own (round, member, unit,
the attempt itself), whose foreign keys already hold, or of the round's contest; attempts are never
deleted. Checked row by row, the seven keys were most of the time of closing a big round on PostgreSQL
(docs/performance.md#closing-and-ranking).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 14:00:00.000000
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# table -> (column, referred table, ON DELETE)
KEYS = {
    "standing": (
        ("round_id", "round", "CASCADE"),
        ("member_id", "member", None),
        ("attempt_id", "attempt", None),
        ("unit_id", "unit", None),
    ),
    "contest_standing": (("contest_id", "contest", "CASCADE"), ("member_id", "member", None), ("unit_id", "unit", None)),
}
# SQLite's keys were created unnamed: batch mode names them by this convention to drop them
CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _name(table: str, column: str, referred: str) -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"fk_{table}_{column}_{referred}"
    return f"{table}_{column}_fkey"  # PostgreSQL's own name for an unnamed key


def upgrade() -> None:
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, schema=None, naming_convention=CONVENTION) as batch_op:
            for column, referred, _ondelete in keys:
                batch_op.drop_constraint(_name(table, column, referred), type_="foreignkey")


def downgrade() -> None:
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, schema=None, naming_convention=CONVENTION) as batch_op:
            for column, referred, ondelete in keys:
                batch_op.create_foreign_key(_name(table, column, referred), referred, [column], ["id"], ondelete=ondelete)
