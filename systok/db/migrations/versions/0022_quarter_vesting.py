"""The vest stage's tranches: what each quarter released to each fund and sale buyer
(ADR 0033). One row per (run, kind, grantee); only positive tranches.

Revision ID: 0022_quarter_vesting
Revises: 0021_stabilisation
Create Date: 2026-12-02 07:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_quarter_vesting"
down_revision = "0021_stabilisation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarter_vesting_releases",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("grantee", sa.String(length=128), nullable=False),
        sa.Column("grants", sa.Integer(), nullable=False),
        sa.Column("granted_units", sa.BigInteger(), nullable=False),
        sa.Column("released_units", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('fund', 'sale')", name=op.f("ck_quarter_vesting_releases_kind_known")
        ),
        sa.CheckConstraint(
            "released_units > 0 AND released_units <= granted_units",
            name=op.f("ck_quarter_vesting_releases_released_within_granted"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["quarter_runs.id"],
            name=op.f("fk_quarter_vesting_releases_run_id_quarter_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_quarter_vesting_releases_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "kind", "grantee", name=op.f("pk_quarter_vesting_releases")
        ),
    )


def downgrade() -> None:
    op.drop_table("quarter_vesting_releases")
