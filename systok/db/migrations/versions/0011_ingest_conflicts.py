"""Ingestion conflicts: a (source, id) repeated with other content is counted and kept.

``ingest_batches.conflicts`` joins the accounting (received = accepted + duplicates +
conflicts + quarantined); the quarantine keeps each conflicting record with status
``conflict`` (ADR 0011).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_batches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("conflicts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.drop_constraint(op.f("ck_ingest_batches_nothing_lost"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_ingest_batches_nothing_lost"),
            "received = accepted + duplicates + conflicts + quarantined",
        )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_quarantine_status_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_quarantine_status_known"),
            "status IN ('open', 'accepted', 'duplicate', 'conflict')",
        )


def downgrade() -> None:
    op.execute("UPDATE quarantine SET status = 'duplicate' WHERE status = 'conflict'")
    op.execute("UPDATE ingest_batches SET quarantined = quarantined + conflicts")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_quarantine_status_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_quarantine_status_known"), "status IN ('open', 'accepted', 'duplicate')"
        )
    with op.batch_alter_table("ingest_batches", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ingest_batches_nothing_lost"), type_="check")
        batch_op.drop_column("conflicts")
        batch_op.create_check_constraint(
            op.f("ck_ingest_batches_nothing_lost"),
            "received = accepted + duplicates + quarantined",
        )
