"""The backing book: inflows to the RUB backing fund, and each quarter's directive price.

``backing_inflows`` (unique by reference, amounts in kopecks, insert only) and
``quarter_prices`` (one row per priced quarter, price in kopecks per whole STK, floored,
with the policy and inputs it came from). ADR 0026.

Revision ID: 0017_backing_book
Revises: 0016
Create Date: 2026-12-02 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_backing_book"
down_revision = "0016"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "backing_inflows",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("amount_units", sa.BigInteger(), nullable=False),
        sa.Column("quarter", sa.String(8), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_units > 0", name=op.f("ck_backing_inflows_amount_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backing_inflows")),
        sa.UniqueConstraint("reference", name="uq_backing_inflows_reference"),
    )
    op.create_index("ix_backing_inflows_quarter", "backing_inflows", ["quarter"])
    op.create_table(
        "quarter_prices",
        sa.Column("quarter", sa.String(8), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("policy_hash", sa.String(64), nullable=False),
        sa.Column("quote_asset", sa.String(16), nullable=False),
        sa.Column("price_units", sa.BigInteger(), nullable=False),
        sa.Column("backing_units", sa.BigInteger(), nullable=False),
        sa.Column("issued_units", sa.BigInteger(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("set_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("price_units >= 0", name=op.f("ck_quarter_prices_price_not_negative")),
        sa.PrimaryKeyConstraint("quarter", name=op.f("pk_quarter_prices")),
    )


def downgrade() -> None:
    op.drop_table("quarter_prices")
    op.drop_index("ix_backing_inflows_quarter", table_name="backing_inflows")
    op.drop_table("backing_inflows")
