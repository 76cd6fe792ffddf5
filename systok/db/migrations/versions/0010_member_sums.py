"""The weekly run's fast path: per-member sums collected, breakdowns rendered on demand.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 17:00:00
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


ROW_BY_ROW_UPDATE = """    FOR i IN 1..v_count LOOP
        UPDATE accounts SET posted_units = posted_units + v_amounts[i] WHERE id = v_ids[i];
    END LOOP;
"""

SET_BASED_UPDATE = """    -- One UPDATE for all the accounts (summed per account): a weekly payout
    -- credits 100 000 members in 50 calls; a statement per account was most of it.
    UPDATE accounts a SET posted_units = a.posted_units + d.amount
    FROM (SELECT u.id, sum(u.amount)::bigint AS amount
          FROM unnest(v_ids, v_amounts) AS u(id, amount) GROUP BY u.id) d
    WHERE a.id = d.id;
"""


PLAIN_HEADER = "LANGUAGE plpgsql AS $fn$"

INDEX_ONLY_HEADER = """LANGUAGE plpgsql
-- Every statement here touches a handful to a few thousand accounts by their natural
-- key or id: index lookups. With a big accounts table (and stale statistics right after
-- a week opened 100 000 member accounts) the planner chose to hash the whole table for
-- each call — 180 ms a call where the index takes 10 ms.
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $fn$"""


def _post_function_of_0001() -> str:
    """The function as 0001 created it (the migration files are not a package)."""
    path = Path(__file__).with_name("0001_ledger.py")
    spec = importlib.util.spec_from_file_location("systok_migration_0001", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sql: str = module.POST_TRANSACTION_SQL
    assert ROW_BY_ROW_UPDATE in sql, "0001's function changed: update this migration"
    return sql


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        sql = _post_function_of_0001()
        assert PLAIN_HEADER in sql, "0001's function changed: update this migration"
        op.execute(
            sql.replace(ROW_BY_ROW_UPDATE, SET_BASED_UPDATE).replace(
                PLAIN_HEADER, INDEX_ONLY_HEADER
            )
        )
    op.create_table(
        "accrual_member_sums",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("base_points", sa.BigInteger(), nullable=False),
        sa.Column("counted_events", sa.BigInteger(), nullable=False),
        sa.Column("vested_events", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "member_id", name=op.f("pk_accrual_member_sums")),
    )
    with op.batch_alter_table("accrual_rewards") as batch:
        batch.drop_column("breakdown")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_post_function_of_0001())
    with op.batch_alter_table("accrual_rewards") as batch:
        batch.add_column(sa.Column("breakdown", sa.Text(), nullable=False, server_default="{}"))
    op.drop_table("accrual_member_sums")
