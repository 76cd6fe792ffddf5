"""A member's transfer request in one statement: ``systok_member_transfer`` (ADR 0045).

Revision ID: 0028_member_transfer
Revises: 0025_notify
Create Date: 2026-12-02 11:10:00
"""

from alembic import op

from systok.ledger.sql import render

revision = "0028_member_transfer"
down_revision = "0025_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The checks of send_transfer and the posting function in one call (see the file).
        op.execute(render("member_transfer_v1.sql"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS systok_member_transfer(text, text, text, bytea, bigint, "
            "text[], text[], text[], bigint[], text, text, integer, boolean, text, text, "
            "integer)"
        )
