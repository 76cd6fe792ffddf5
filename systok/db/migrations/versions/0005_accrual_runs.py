"""The weekly run: runs with their stage checkpoint, collected counts, rewards.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 15:20:17.991211
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accrual_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("started_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("collected_at_us", sa.BigInteger(), nullable=True),
        sa.Column("emission_units", sa.BigInteger(), nullable=True),
        sa.Column("budget_units", sa.BigInteger(), nullable=True),
        sa.Column("rewards_units", sa.BigInteger(), nullable=True),
        sa.Column("prorata", sa.String(length=64), nullable=True),
        sa.Column("merkle_root", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accrual_runs")),
        sa.UniqueConstraint("week", "policy_version", name="uq_accrual_runs_week_policy"),
    )
    op.create_table(
        "accrual_counts",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["accrual_runs.id"], name=op.f("fk_accrual_counts_run_id_accrual_runs")
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "member_id", "day", "event_type", name=op.f("pk_accrual_counts")
        ),
    )
    op.create_table(
        "accrual_rewards",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("points", sa.String(length=80), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("paid_units", sa.BigInteger(), nullable=False),
        sa.Column("streak_weeks", sa.Integer(), nullable=True),
        sa.Column("rank_step", sa.Integer(), nullable=True),
        sa.Column("rank_level", sa.Integer(), nullable=True),
        sa.Column("breakdown", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["accrual_runs.id"], name=op.f("fk_accrual_rewards_run_id_accrual_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "member_id", name=op.f("pk_accrual_rewards")),
    )


def downgrade() -> None:
    op.drop_table("accrual_rewards")
    op.drop_table("accrual_counts")
    op.drop_table("accrual_runs")
