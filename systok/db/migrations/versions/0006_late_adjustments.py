"""Late events: how far each week is absorbed, and the adjustments later runs pay.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 15:34:51.874278
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accrual_adjustments",
        sa.Column("paying_run_id", sa.BigInteger(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("delta_units", sa.BigInteger(), nullable=False),
        sa.Column("points_after", sa.String(length=80), nullable=False),
        sa.Column("units_after", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paying_run_id"],
            ["accrual_runs.id"],
            name=op.f("fk_accrual_adjustments_paying_run_id_accrual_runs"),
        ),
        sa.PrimaryKeyConstraint(
            "paying_run_id", "week", "member_id", name=op.f("pk_accrual_adjustments")
        ),
    )
    with op.batch_alter_table("accrual_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("absorbed_to_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accrual_runs", schema=None) as batch_op:
        batch_op.drop_column("absorbed_to_us")

    op.drop_table("accrual_adjustments")
