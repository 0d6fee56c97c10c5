"""live games: games, their questions, players and answers

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 10:10:53.029032
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_game",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("pin", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("seconds_per_question", sa.Integer(), nullable=False),
        sa.Column("streak_bonus", sa.Boolean(), nullable=False),
        sa.Column("survivors", sa.Integer(), nullable=False),
        sa.Column("scope_unit_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("question_index", sa.Integer(), nullable=False),
        sa.Column("opened_at", app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_left_ms", sa.Integer(), nullable=True),
        sa.Column("rescue", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["scope_unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("live_game", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_game_scope_unit_id"), ["scope_unit_id"], unique=False)
        batch_op.create_index(
            "uq_live_game_pin_running",
            ["pin"],
            unique=True,
            sqlite_where=sa.text("status != 'finished'"),
            postgresql_where=sa.text("status != 'finished'"),
        )

    op.create_table(
        "live_player",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("guest_key", sa.String(length=64), nullable=True),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("alive", sa.Boolean(), nullable=False),
        sa.Column("out_at", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("correct_count", sa.Integer(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("correct_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["live_game.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("game_id", "member_id", name="uq_live_player_member"),
    )
    with op.batch_alter_table("live_player", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_player_game_id"), ["game_id"], unique=False)

    op.create_table(
        "live_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("question_index", sa.Integer(), nullable=False),
        sa.Column("option_ids", sa.JSON(), nullable=False),
        sa.Column("accepted_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["live_game.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["player_id"], ["live_player.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("player_id", "question_index", name="uq_live_answer_once"),
    )
    with op.batch_alter_table("live_answer", schema=None) as batch_op:
        batch_op.create_index("ix_live_answer_game_question", ["game_id", "question_index"], unique=False)

    op.create_table(
        "live_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("correct_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["live_game.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("game_id", "position", name="uq_live_question_position"),
    )


def downgrade() -> None:
    op.drop_table("live_question")
    with op.batch_alter_table("live_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_live_answer_game_question")

    op.drop_table("live_answer")
    with op.batch_alter_table("live_player", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_player_game_id"))

    op.drop_table("live_player")
    with op.batch_alter_table("live_game", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_live_game_pin_running", sqlite_where=sa.text("status != 'finished'"), postgresql_where=sa.text("status != 'finished'")
        )
        batch_op.drop_index(batch_op.f("ix_live_game_scope_unit_id"))

    op.drop_table("live_game")
