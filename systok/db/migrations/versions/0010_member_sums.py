"""The weekly run's fast path: per-member sums collected, breakdowns rendered on demand.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 17:00:00
"""

import sqlalchemy as sa
from alembic import op

from systok.ledger.sql import render

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Balances updated in one statement; index lookups only (see the file's header).
        op.execute(render("post_transaction_v2.sql"))
    op.create_table(
        "accrual_member_sums",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("base_points", sa.BigInteger(), nullable=False),
        sa.Column("counted_events", sa.BigInteger(), nullable=False),
        sa.Column("vested_events", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "member_id", name=op.f("pk_accrual_member_sums")),
    )
    with op.batch_alter_table("accrual_rewards") as batch:
        batch.drop_column("breakdown")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(render("post_transaction_v1.sql"))
    with op.batch_alter_table("accrual_rewards") as batch:
        batch.add_column(sa.Column("breakdown", sa.Text(), nullable=False, server_default="{}"))
    op.drop_table("accrual_member_sums")
