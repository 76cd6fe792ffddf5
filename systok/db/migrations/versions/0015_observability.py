"""Observability: each weekly-run stage's duration, reconciliations' summaries, and an
index on ``ingest_batches.started_at_us`` (the scrape reads recent batches by it).

``/metrics`` reads them at scrape time (ADR 0015).

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accrual_run_stages",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("finished_at_us", sa.BigInteger(), nullable=False),
        sa.Column("duration_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "duration_us >= 0", name=op.f("ck_accrual_run_stages_duration_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["accrual_runs.id"],
            name=op.f("fk_accrual_run_stages_run_id_accrual_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "stage", name=op.f("pk_accrual_run_stages")),
    )
    op.create_table(
        "reconciliations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("finished_at_us", sa.BigInteger(), nullable=False),
        sa.Column("accounts_checked", sa.Integer(), nullable=False),
        sa.Column("transactions_checked", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("extra", sa.Integer(), nullable=False),
        sa.Column("wrong_amount", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliations")),
    )

    op.create_index("ix_ingest_batches_started", "ingest_batches", ["started_at_us"])


def downgrade() -> None:
    op.drop_index("ix_ingest_batches_started", table_name="ingest_batches")
    op.drop_table("reconciliations")
    op.drop_table("accrual_run_stages")
