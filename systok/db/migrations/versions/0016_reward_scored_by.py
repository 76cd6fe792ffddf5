"""Which path scored each reward: the uniform fast path or the day-by-day reference.

``accrual_rewards.scored_by`` is ``uniform`` or ``reference``; rows of runs settled
before this revision have none (ADR 0020).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 04:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accrual_rewards") as batch:
        batch.add_column(sa.Column("scored_by", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accrual_rewards") as batch:
        batch.drop_column("scored_by")
