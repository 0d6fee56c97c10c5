"""essays (bài thu hoạch): campaigns, essays with their working and submitted copies, judges' grades

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 22:20:15.895745
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "essay_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("scope_unit_id", sa.Integer(), nullable=False),
        sa.Column("opens_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("min_words", sa.Integer(), nullable=False),
        sa.Column("max_words", sa.Integer(), nullable=False),
        sa.Column("allow_edit_after_submit", sa.Boolean(), nullable=False),
        sa.Column("rubric", sa.JSON(), nullable=False),
        sa.Column("graders_per_essay", sa.Integer(), nullable=False),
        sa.Column("disagreement_share", sa.Float(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=True),
        sa.Column("contest_weight", sa.Float(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("closes_at > opens_at", name="ck_essay_campaign_window"),
        sa.CheckConstraint("min_words >= 0 AND max_words >= min_words", name="ck_essay_campaign_words"),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contest.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["scope_unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("essay_campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_essay_campaign_scope_unit_id"), ["scope_unit_id"], unique=False)

    op.create_table(
        "essay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("draft_topic", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("draft_text", sa.Text(), nullable=False),
        sa.Column("draft_words", sa.Integer(), nullable=False),
        sa.Column("saved_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("text_folded", sa.Text(), nullable=False),
        sa.Column("submitted_at", app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submit_count", sa.Integer(), nullable=False),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("grade_count", sa.Integer(), nullable=False),
        sa.Column("disagreement", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'reviewed', 'returned')", name="ck_essay_status"),
        sa.ForeignKeyConstraint(["campaign_id"], ["essay_campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "member_id", name="uq_essay_member"),
    )
    with op.batch_alter_table("essay", schema=None) as batch_op:
        batch_op.create_index("ix_essay_campaign_unit", ["campaign_id", "unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_essay_member_id"), ["member_id"], unique=False)

    op.create_table(
        "essay_grade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("essay_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("graded_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["essay_id"], ["essay.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["judge_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("essay_id", "judge_id", name="uq_essay_grade_judge"),
    )
    with op.batch_alter_table("essay_grade", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_essay_grade_judge_id"), ["judge_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("essay_grade", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_essay_grade_judge_id"))

    op.drop_table("essay_grade")
    with op.batch_alter_table("essay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_essay_member_id"))
        batch_op.drop_index("ix_essay_campaign_unit")

    op.drop_table("essay")
    with op.batch_alter_table("essay_campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_essay_campaign_scope_unit_id"))

    op.drop_table("essay_campaign")
