"""Vesting: the frozen parts of weekly rewards, held in the ledger until validated.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 15:39:44.675577
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vesting_grants",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("earned_at_us", sa.BigInteger(), nullable=False),
        sa.Column("unlock_at_us", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("flagged_reason", sa.String(length=64), nullable=True),
        sa.Column("resolved_at_us", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('held', 'released', 'cancelled')",
            name=op.f("ck_vesting_grants_status_known"),
        ),
        sa.CheckConstraint("units > 0", name=op.f("ck_vesting_grants_units_positive")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["accrual_runs.id"], name=op.f("fk_vesting_grants_run_id_accrual_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vesting_grants")),
        sa.UniqueConstraint("run_id", "member_id", "event_type", name="uq_vesting_grants_reward"),
    )
    with op.batch_alter_table("vesting_grants", schema=None) as batch_op:
        batch_op.create_index("ix_vesting_grants_due", ["status", "unlock_at_us"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vesting_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_vesting_grants_due")

    op.drop_table("vesting_grants")
