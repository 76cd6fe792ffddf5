"""Ledger: assets, accounts, transactions, postings, holds, hash chain; PostgreSQL posting function.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from systok.ledger.sql import render

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.CheckConstraint("scale >= 0 AND scale <= 18", name=op.f("ck_assets_scale_range")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_assets")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("posted_units", sa.BigInteger(), nullable=False),
        sa.Column("held_units", sa.BigInteger(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("held_units >= 0", name=op.f("ck_accounts_held_not_negative")),
        sa.CheckConstraint(
            "allow_negative OR posted_units - held_units >= 0",
            name=op.f("ck_accounts_available_not_negative"),
        ),
        sa.ForeignKeyConstraint(["asset"], ["assets.code"], name=op.f("fk_accounts_asset_assets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("type", "owner", "asset", name="uq_accounts_natural_key"),
    )
    op.create_table(
        "transactions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_transactions_idempotency_key")),
    )
    op.create_table(
        "journal_chain",
        sa.Column("lane", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_journal_chain_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("lane", "seq", name=op.f("pk_journal_chain")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_journal_chain_transaction_id")),
    )
    op.create_table(
        "postings",
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_units", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_units <> 0", name=op.f("ck_postings_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_postings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_postings_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("transaction_id", "account_id", name=op.f("pk_postings")),
    )
    op.create_index("ix_postings_account", "postings", ["account_id", "transaction_id"])
    op.create_table(
        "holds",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("debit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_units", sa.BigInteger(), nullable=False),
        sa.Column("posted_units", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=True),
        sa.Column("created_transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("resolved_transaction_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount_units > 0", name=op.f("ck_holds_amount_positive")),
        sa.CheckConstraint(
            "posted_units >= 0 AND posted_units <= amount_units",
            name=op.f("ck_holds_posted_within_amount"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'posted', 'voided', 'expired')",
            name=op.f("ck_holds_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id"],
            ["accounts.id"],
            name=op.f("fk_holds_credit_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id"],
            ["accounts.id"],
            name=op.f("fk_holds_debit_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["created_transaction_id"],
            ["transactions.id"],
            name=op.f("fk_holds_created_transaction_id_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_transaction_id"],
            ["transactions.id"],
            name=op.f("fk_holds_resolved_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    op.create_index("ix_holds_status_expires", "holds", ["status", "expires_at_us"])
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.CheckConstraint("id >= 0 AND id < 16", name=op.f("ck_chain_head_lane_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_head")),
    )
    op.bulk_insert(
        sa.table(
            "chain_head",
            sa.column("id", sa.Integer()),
            sa.column("seq", sa.BigInteger()),
            sa.column("hash", sa.LargeBinary()),
        ),
        [{"id": lane, "seq": 0, "hash": bytes(32)} for lane in range(16)],
    )
    if op.get_bind().dialect.name == "postgresql":
        # The posting function and the append-only triggers: whole files, see
        # systok/ledger/sql (0010 replaces the function by its version 2).
        op.execute(render("post_transaction_v1.sql"))
        op.execute(render("append_only.sql"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS postings_append_only ON postings")
        op.execute("DROP TRIGGER IF EXISTS transactions_append_only ON transactions")
        op.execute("DROP TRIGGER IF EXISTS journal_chain_append_only ON journal_chain")
        op.execute("DROP FUNCTION IF EXISTS systok_refuse_change()")
        op.execute(
            "DROP FUNCTION IF EXISTS systok_post_transaction(text, text, text, bytea, "
            "bigint, text[], text[], text[], bigint[])"
        )
    for table in (
        "chain_head",
        "holds",
        "postings",
        "journal_chain",
        "transactions",
        "accounts",
        "assets",
    ):
        op.drop_table(table)
