"""Payouts on Solana: wallet challenges and links, payout batches, items and attempts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wallet_challenges",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=44), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("issued_at_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=False),
        sa.Column("used_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_wallet_challenges_member_id_members")
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_wallet_challenges")),
    )
    op.create_table(
        "wallets",
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=44), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("linked_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_wallets_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["nonce"], ["wallet_challenges.nonce"], name=op.f("fk_wallets_nonce_wallet_challenges")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_wallets")),
        sa.UniqueConstraint("address", name="uq_wallets_address"),
    )
    op.create_table(
        "payout_batches",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("plan_key", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("mint", sa.String(length=44), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("amount_units", sa.BigInteger(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('run', 'withdrawal')", name=op.f("ck_payout_batches_purpose_known")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'confirmed', 'failed')",
            name=op.f("ck_payout_batches_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["accrual_runs.id"], name=op.f("fk_payout_batches_run_id_accrual_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_batches")),
        sa.UniqueConstraint("plan_key", name="uq_payout_batches_plan_key"),
    )
    op.create_index("ix_payout_batches_run", "payout_batches", ["run_id"], unique=False)
    op.create_index("ix_payout_batches_status", "payout_batches", ["status"], unique=False)
    op.create_table(
        "payout_items",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("address", sa.String(length=44), nullable=False),
        sa.Column("amount_units", sa.BigInteger(), nullable=False),
        sa.Column("create_account", sa.Boolean(), nullable=False),
        sa.Column("hold_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_units > 0", name=op.f("ck_payout_items_amount_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["payout_batches.id"],
            name=op.f("fk_payout_items_batch_id_payout_batches"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "member_id", name=op.f("pk_payout_items")),
        sa.UniqueConstraint("run_id", "member_id", name="uq_payout_items_run_member"),
    )
    op.create_index("ix_payout_items_member", "payout_items", ["member_id"], unique=False)
    op.create_table(
        "payout_attempts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("blockhash", sa.String(length=44), nullable=False),
        sa.Column("last_valid_block_height", sa.BigInteger(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'landed', 'failed', 'expired', 'refused')",
            name=op.f("ck_payout_attempts_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["payout_batches.id"],
            name=op.f("fk_payout_attempts_batch_id_payout_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_attempts")),
        sa.UniqueConstraint("signature", name="uq_payout_attempts_signature"),
    )
    op.create_index("ix_payout_attempts_batch", "payout_attempts", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_payout_attempts_batch", table_name="payout_attempts")
    op.drop_table("payout_attempts")
    op.drop_index("ix_payout_items_member", table_name="payout_items")
    op.drop_table("payout_items")
    op.drop_index("ix_payout_batches_status", table_name="payout_batches")
    op.drop_index("ix_payout_batches_run", table_name="payout_batches")
    op.drop_table("payout_batches")
    op.drop_table("wallets")
    op.drop_table("wallet_challenges")
