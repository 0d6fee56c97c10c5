"""judging: flags, prizes, seal by, prize tiers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 19:54:53.303746
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prize",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("collective", sa.Boolean(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("tier_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmed_by"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "member_id", name="uq_prize_member"),
    )
    with op.batch_alter_table("prize", schema=None) as batch_op:
        batch_op.create_index("ix_prize_round_tier", ["round_id", "collective", "tier"], unique=False)
        batch_op.create_index(
            "uq_prize_unit",
            ["round_id", "unit_id"],
            unique=True,
            sqlite_where=sa.text("collective"),
            postgresql_where=sa.text("collective"),
        )

    op.create_table(
        "attempt_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("computed_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("attempt_id", "kind", name="uq_attempt_flag_kind"),
    )
    with op.batch_alter_table("attempt_flag", schema=None) as batch_op:
        batch_op.create_index("ix_attempt_flag_round_kind", ["round_id", "kind"], unique=False)

    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_audit_entry_unit_at", ["unit_id", "at"], unique=False)
        batch_op.create_foreign_key("fk_audit_entry_unit", "unit", ["unit_id"], ["id"])
    op.execute("UPDATE audit_entry SET unit_id = (SELECT member.unit_id FROM member WHERE member.id = audit_entry.actor_id)")

    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prize_tiers", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("prize_cap_share", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("unit_prize_tiers", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("prizes_confirmed_at", app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("min_seconds_per_question", sa.Integer(), nullable=False, server_default="2"))
        batch_op.create_foreign_key("fk_round_sealed_by_member", "member", ["sealed_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint("fk_audit_entry_unit", type_="foreignkey")
        batch_op.drop_index("ix_audit_entry_unit_at")
        batch_op.drop_column("unit_id")

    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_constraint("fk_round_sealed_by_member", type_="foreignkey")
        batch_op.drop_column("min_seconds_per_question")
        batch_op.drop_column("prizes_confirmed_at")
        batch_op.drop_column("unit_prize_tiers")
        batch_op.drop_column("prize_cap_share")
        batch_op.drop_column("prize_tiers")
        batch_op.drop_column("sealed_by")

    with op.batch_alter_table("attempt_flag", schema=None) as batch_op:
        batch_op.drop_index("ix_attempt_flag_round_kind")

    op.drop_table("attempt_flag")
    with op.batch_alter_table("prize", schema=None) as batch_op:
        batch_op.drop_index("uq_prize_unit")
        batch_op.drop_index("ix_prize_round_tier")

    op.drop_table("prize")
