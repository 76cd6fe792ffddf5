"""The member API: frozen members and marketplace entitlements.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 10:00:00.000000

Follows 0008 (payouts); written alongside it on another branch and re-chained
onto it (``down_revision = "0008"``). It touches no table 0008 creates.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The member API reads a member's pending vesting holds and weekly rewards by member.
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_holds_credit_status", ["credit_account_id", "status"], unique=False
        )
    with op.batch_alter_table("accrual_rewards", schema=None) as batch_op:
        batch_op.create_index("ix_accrual_rewards_member", ["member_id", "run_id"], unique=False)
    op.create_table(
        "member_freezes",
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("frozen_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_freezes_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_freezes")),
    )
    op.create_table(
        "entitlements",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("request_key", sa.String(length=128), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("price_units", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("starts_at_us", sa.BigInteger(), nullable=False),
        sa.Column("ends_at_us", sa.BigInteger(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "ends_at_us > starts_at_us", name=op.f("ck_entitlements_period_not_empty")
        ),
        sa.CheckConstraint("price_units >= 0", name=op.f("ck_entitlements_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_entitlements_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_entitlements_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlements")),
        sa.UniqueConstraint("member_id", "request_key", name="uq_entitlements_request"),
    )
    with op.batch_alter_table("entitlements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_entitlements_member_service",
            ["member_id", "service_id", "ends_at_us"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("entitlements", schema=None) as batch_op:
        batch_op.drop_index("ix_entitlements_member_service")
    op.drop_table("entitlements")
    op.drop_table("member_freezes")
    with op.batch_alter_table("accrual_rewards", schema=None) as batch_op:
        batch_op.drop_index("ix_accrual_rewards_member")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index("ix_holds_credit_status")
