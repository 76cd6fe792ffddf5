"""Stabilisation decisions that execute (ADR 0034): the approved emission and fee
overrides of a quarter, the approved buybacks with their budget, the backing fund's
outflows (the RUB a buyback paid), and the emission factor each weekly run applied.

Revision ID: 0023_stabilisation_execution
Revises: 0021_stabilisation
Create Date: 2026-12-02 07:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_stabilisation_execution"
down_revision = "0022_quarter_vesting"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stabilisation_overrides",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("quarter", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("step_bps", sa.Integer(), nullable=False),
        sa.Column("recorded_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('emission', 'transfer_fee')",
            name=op.f("ck_stabilisation_overrides_kind_known"),
        ),
        sa.CheckConstraint(
            "step_bps > 0 AND step_bps <= 10000",
            name=op.f("ck_stabilisation_overrides_step_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["stabilisation_proposals.id"],
            name=op.f("fk_stabilisation_overrides_proposal_id_stabilisation_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stabilisation_overrides")),
        sa.UniqueConstraint("proposal_id", name="uq_stabilisation_overrides_proposal"),
        sa.UniqueConstraint("quarter", "kind", name="uq_stabilisation_overrides_kind"),
    )
    op.create_table(
        "stabilisation_buybacks",
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("quarter", sa.String(8), nullable=False),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("price_units", sa.BigInteger(), nullable=False),
        sa.Column("budget_units", sa.BigInteger(), nullable=False),
        sa.Column("spent_units", sa.BigInteger(), nullable=False),
        sa.Column("opened_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "budget_units > 0", name=op.f("ck_stabilisation_buybacks_budget_positive")
        ),
        sa.CheckConstraint(
            "price_units > 0", name=op.f("ck_stabilisation_buybacks_price_positive")
        ),
        sa.CheckConstraint(
            "spent_units >= 0 AND spent_units <= budget_units",
            name=op.f("ck_stabilisation_buybacks_spent_within_budget"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["stabilisation_proposals.id"],
            name=op.f("fk_stabilisation_buybacks_proposal_id_stabilisation_proposals"),
        ),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_stabilisation_buybacks")),
    )
    op.create_table(
        "backing_outflows",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("amount_units", sa.BigInteger(), nullable=False),
        sa.Column("quarter", sa.String(8), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("member_id", sa.String(128), nullable=False),
        sa.Column("stk_units", sa.BigInteger(), nullable=False),
        sa.Column("price_units", sa.BigInteger(), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('buyback')", name=op.f("ck_backing_outflows_kind_known")),
        sa.CheckConstraint("amount_units > 0", name=op.f("ck_backing_outflows_amount_positive")),
        sa.CheckConstraint("stk_units > 0", name=op.f("ck_backing_outflows_stk_positive")),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["stabilisation_buybacks.proposal_id"],
            name=op.f("fk_backing_outflows_proposal_id_stabilisation_buybacks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backing_outflows")),
        sa.UniqueConstraint("reference", name="uq_backing_outflows_reference"),
    )
    op.create_index("ix_backing_outflows_quarter", "backing_outflows", ["quarter"])
    with op.batch_alter_table("accrual_runs") as batch:
        batch.add_column(sa.Column("emission_factor_bps", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accrual_runs") as batch:
        batch.drop_column("emission_factor_bps")
    op.drop_index("ix_backing_outflows_quarter", table_name="backing_outflows")
    op.drop_table("backing_outflows")
    op.drop_table("stabilisation_buybacks")
    op.drop_table("stabilisation_overrides")
