"""The initial sale to members: ``sales`` (at most one open, by a unique ``open_slot``)
and ``sale_purchases`` (unique by the payment's reference, insert only). ADR 0029.

Revision ID: 0020_initial_sale
Revises: 0018_quarter_runs
Create Date: 2026-12-02 05:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_initial_sale"

down_revision = "0019_health"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sales",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("share_bps", sa.Integer(), nullable=False),
        sa.Column("quote_asset", sa.String(16), nullable=False),
        sa.Column("price_units", sa.BigInteger(), nullable=False),
        sa.Column("issued_units", sa.BigInteger(), nullable=False),
        sa.Column("cap_units", sa.BigInteger(), nullable=False),
        sa.Column("vesting_days", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("opened_at_us", sa.BigInteger(), nullable=False),
        sa.Column("closed_at_us", sa.BigInteger(), nullable=True),
        sa.Column("open_slot", sa.Integer(), nullable=True),
        sa.CheckConstraint("price_units > 0", name=op.f("ck_sales_price_positive")),
        sa.CheckConstraint("cap_units >= 0", name=op.f("ck_sales_cap_not_negative")),
        sa.CheckConstraint(
            "open_slot IS NULL OR open_slot = 1", name=op.f("ck_sales_open_slot_one")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales")),
        sa.UniqueConstraint("reference", name="uq_sales_reference"),
        sa.UniqueConstraint("open_slot", name="uq_sales_open_slot"),
    )
    op.create_table(
        "sale_purchases",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("sale_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(128), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("paid_units", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("purchased_at_us", sa.BigInteger(), nullable=False),
        sa.Column("unlock_at_us", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("units > 0", name=op.f("ck_sale_purchases_units_positive")),
        sa.CheckConstraint("paid_units > 0", name=op.f("ck_sale_purchases_paid_positive")),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sales.id"], name=op.f("fk_sale_purchases_sale_id_sales")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_sale_purchases_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_purchases")),
        sa.UniqueConstraint("reference", name="uq_sale_purchases_reference"),
    )
    op.create_index("ix_sale_purchases_sale", "sale_purchases", ["sale_id"])


def downgrade() -> None:
    op.drop_index("ix_sale_purchases_sale", table_name="sale_purchases")
    op.drop_table("sale_purchases")
    op.drop_table("sales")
