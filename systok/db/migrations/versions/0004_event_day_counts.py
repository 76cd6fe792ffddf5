"""Daily event counters per member, type and UTC day, backfilled from existing events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 15:12:28.032154
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_day_counts",
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_event_day_counts_count_not_negative")),
        sa.PrimaryKeyConstraint("member_id", "day", "event_type", name=op.f("pk_event_day_counts")),
    )
    with op.batch_alter_table("event_day_counts", schema=None) as batch_op:
        batch_op.create_index("ix_event_day_counts_day", ["day"], unique=False)

    # Count the events stored before this migration, by the same rules the ingest
    # service applies from now on.
    op.execute(
        "INSERT INTO event_day_counts (member_id, day, event_type, count) "
        "SELECT member_id, occurred_day, event_type, count(*) FROM events "
        "WHERE member_id IS NOT NULL AND retracted_at_us IS NULL "
        "AND (counterpart_member_id IS NULL OR counterpart_member_id <> member_id) "
        "GROUP BY member_id, occurred_day, event_type"
    )


def downgrade() -> None:
    with op.batch_alter_table("event_day_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_event_day_counts_day")

    op.drop_table("event_day_counts")
