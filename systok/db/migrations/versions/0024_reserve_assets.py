"""The reserve asset an inflow to the backing fund is held in (ADR 0036).

``backing_inflows.held_as``: the asset of the policy's ``backing.reserve_assets`` the
inflow's money is held in, or the quote asset while it is not converted. Rows recorded
before this revision were counted in the quote asset and never converted, so they take
their own ``asset`` (the quote asset, RUB).

Revision ID: 0024_reserve_assets
Revises: 0021_stabilisation
Create Date: 2026-12-02 07:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_reserve_assets"
down_revision = "0023_stabilisation_execution"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("backing_inflows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_as", sa.String(16), nullable=True))
    op.execute("UPDATE backing_inflows SET held_as = asset")
    with op.batch_alter_table("backing_inflows", schema=None) as batch_op:
        batch_op.alter_column("held_as", existing_type=sa.String(16), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("backing_inflows", schema=None) as batch_op:
        batch_op.drop_column("held_as")
