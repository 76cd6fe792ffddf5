"""Stabilisation proposals: each rule that fired in a quarter, and the admin's decision
(ADR 0030). Unique by (quarter, rule): a rerun records nothing new.

Revision ID: 0021_stabilisation
Revises: 0020_initial_sale
Create Date: 2026-12-02 05:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_stabilisation"
down_revision = "0020_initial_sale"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stabilisation_proposals",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("quarter", sa.String(8), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("numerator", sa.String(80), nullable=False),
        sa.Column("denominator", sa.String(80), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("threshold", sa.String(40), nullable=False),
        sa.Column("step_bps", sa.Integer(), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("proposed_at_us", sa.BigInteger(), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at_us", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("amount_units", sa.BigInteger(), nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'rejected', 'executed')",
            name=op.f("ck_stabilisation_proposals_status_known"),
        ),
        sa.CheckConstraint(
            "(status = 'proposed') = (decided_at_us IS NULL)",
            name=op.f("ck_stabilisation_proposals_decided_when_not_proposed"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["quarter_runs.id"],
            name=op.f("fk_stabilisation_proposals_run_id_quarter_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stabilisation_proposals")),
        sa.UniqueConstraint("quarter", "rule", name="uq_stabilisation_proposals_rule"),
    )


def downgrade() -> None:
    op.drop_table("stabilisation_proposals")
