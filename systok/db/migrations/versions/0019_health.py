"""Health readings: each metric of each closed quarter or ISO week, exact (ADR 0028).

Revision ID: 0019_health
Revises: 0018_quarter_runs
Create Date: 2026-12-02 05:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_health"
down_revision = "0018_quarter_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_readings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("numerator", sa.String(length=80), nullable=True),
        sa.Column("denominator", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("computed_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "period_kind IN ('quarter', 'week')", name=op.f("ck_health_readings_period_kind_known")
        ),
        sa.CheckConstraint(
            "(numerator IS NULL) = (denominator IS NULL)",
            name=op.f("ck_health_readings_value_whole_or_absent"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_readings")),
        sa.UniqueConstraint("period_kind", "period", "metric", name="uq_health_readings_metric"),
    )


def downgrade() -> None:
    op.drop_table("health_readings")
