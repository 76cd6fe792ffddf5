"""The quarterly run: runs with their stage checkpoint, stage timings, the snapshot at
the quarter's close and the redistribution from inactive wallets (ADR 0027).

Revision ID: 0018_quarter_runs
Revises: 0017_backing_book
Create Date: 2026-12-02 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_quarter_runs"
down_revision = "0017_backing_book"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarter_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarter_runs")),
        sa.UniqueConstraint("quarter", name="uq_quarter_runs_quarter"),
    )
    op.create_table(
        "quarter_run_stages",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("finished_at_us", sa.BigInteger(), nullable=False),
        sa.Column("duration_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "duration_us >= 0", name=op.f("ck_quarter_run_stages_duration_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["quarter_runs.id"], name=op.f("fk_quarter_run_stages_run_id_quarter_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "stage", name=op.f("pk_quarter_run_stages")),
    )
    op.create_table(
        "quarter_snapshots",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("posted_units", sa.BigInteger(), nullable=False),
        sa.Column("held_units", sa.BigInteger(), nullable=False),
        sa.Column("available_units", sa.BigInteger(), nullable=False),
        sa.Column("wallet_units", sa.BigInteger(), nullable=False),
        sa.Column("last_activity_day", sa.Integer(), nullable=False),
        sa.Column("days_inactive", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "available_units = posted_units - held_units",
            name=op.f("ck_quarter_snapshots_available_is_net"),
        ),
        sa.CheckConstraint(
            "days_inactive >= 0", name=op.f("ck_quarter_snapshots_days_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["quarter_runs.id"], name=op.f("fk_quarter_snapshots_run_id_quarter_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "member_id", name=op.f("pk_quarter_snapshots")),
    )
    op.create_table(
        "quarter_redistributions",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("from_days", sa.Integer(), nullable=False),
        sa.Column("to_days", sa.Integer(), nullable=True),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("warn", sa.Boolean(), nullable=False),
        sa.Column("due_units", sa.BigInteger(), nullable=False),
        sa.Column("moved_units", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "moved_units >= 0 AND moved_units <= due_units",
            name=op.f("ck_quarter_redistributions_moved_within_due"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["quarter_runs.id"],
            name=op.f("fk_quarter_redistributions_run_id_quarter_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_quarter_redistributions_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("run_id", "member_id", name=op.f("pk_quarter_redistributions")),
    )


def downgrade() -> None:
    op.drop_table("quarter_redistributions")
    op.drop_table("quarter_snapshots")
    op.drop_table("quarter_run_stages")
    op.drop_table("quarter_runs")
