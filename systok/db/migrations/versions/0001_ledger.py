"""Ledger: assets, accounts, transactions, postings, holds, hash chain; PostgreSQL posting function.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# One round trip per transaction on PostgreSQL: claim the idempotency key, lock the
# accounts in id order, check, write postings and balances, extend the hash chain.
# The content digest is computed by the client (systok.core.ledger), so the hashed
# bytes are the same on every backend; only sha256(prev ‖ seq ‖ time ‖ digest) is here.
POST_TRANSACTION_SQL = r"""
CREATE OR REPLACE FUNCTION systok_post_transaction(
    p_key text, p_code text, p_reference text, p_digest bytea, p_created_at_us bigint,
    p_types text[], p_owners text[], p_assets text[], p_amounts bigint[],
    OUT transaction_id bigint, OUT chain_seq bigint, OUT outcome text,
    OUT refused_index integer, OUT refused_available bigint
)
LANGUAGE plpgsql AS $fn$
-- Refusals (insufficient funds, overflow) are returned, never raised, and leave nothing
-- written: raising would abort the caller's whole transaction, not just this call.
DECLARE
    v_stored_digest bytea;
    v_hash bytea;
    v_lane integer;
    v_count integer := cardinality(p_types);
    v_ids bigint[];
    v_amounts bigint[];
    v_posted bigint[];
    v_available bigint[];
    v_negative boolean[];
    v_ordinals integer[];
    i integer;
BEGIN
    FOR attempt IN 1..2 LOOP
        -- Lock the accounts in id order (the one lock order of the ledger) and read
        -- their balances as locked: under READ COMMITTED a row lock returns the
        -- newest committed version of the row.
        SELECT array_agg(x.id ORDER BY x.id), array_agg(x.amount ORDER BY x.id),
               array_agg(x.posted_units ORDER BY x.id),
               array_agg(x.available ORDER BY x.id), array_agg(x.allow_negative ORDER BY x.id),
               array_agg(x.ord ORDER BY x.id)
          INTO v_ids, v_amounts, v_posted, v_available, v_negative, v_ordinals
        FROM (
            SELECT a.id, u.amount, a.posted_units, a.posted_units - a.held_units AS available,
                   a.allow_negative, u.ord
            FROM unnest(p_types, p_owners, p_assets, p_amounts) WITH ORDINALITY
                 AS u(t, o, s, amount, ord)
            JOIN accounts a ON a.type = u.t AND a.owner = u.o AND a.asset = u.s
            ORDER BY a.id
            FOR UPDATE OF a
        ) x;

        IF attempt = 1 THEN
            -- A key already used: the same content is a replay, other content a
            -- conflict (the caller compares the stored entry to name the difference).
            SELECT t.id, t.digest, c.seq INTO transaction_id, v_stored_digest, chain_seq
            FROM transactions t LEFT JOIN journal_chain c ON c.transaction_id = t.id
            WHERE t.idempotency_key = p_key;
            IF FOUND THEN
                outcome := CASE WHEN v_stored_digest = p_digest THEN 'replayed'
                                ELSE 'conflict' END;
                RETURN;
            END IF;
            -- A debit from an account never opened has nothing to spend.
            SELECT u.ord INTO refused_index
            FROM unnest(p_types, p_amounts) WITH ORDINALITY AS u(t, amount, ord)
            WHERE u.amount < 0 AND u.t <> 'world'
              AND u.ord <> ALL (coalesce(v_ordinals, '{}'::integer[]))
            ORDER BY u.ord LIMIT 1;
            IF FOUND THEN
                outcome := 'insufficient';
                refused_available := 0;
                RETURN;
            END IF;
        END IF;

        FOR i IN 1..coalesce(cardinality(v_ids), 0) LOOP
            IF NOT v_negative[i] AND v_available[i]::numeric + v_amounts[i] < 0 THEN
                outcome := 'insufficient';
                refused_index := v_ordinals[i];
                refused_available := v_available[i];
                RETURN;
            END IF;
            IF v_posted[i]::numeric + v_amounts[i] NOT BETWEEN -9223372036854775808
                                                         AND 9223372036854775807 THEN
                outcome := 'overflow';
                refused_index := v_ordinals[i];
                RETURN;
            END IF;
        END LOOP;

        EXIT WHEN coalesce(cardinality(v_ids), 0) = v_count;
        -- Open the accounts never seen before (only credits and world are left here).
        INSERT INTO accounts (type, owner, asset, allow_negative, posted_units, held_units,
                              created_at_us)
        SELECT u.t, u.o, u.s, u.t = 'world', 0, 0, p_created_at_us
        FROM unnest(p_types, p_owners, p_assets) AS u(t, o, s)
        ORDER BY u.t, u.o, u.s
        ON CONFLICT ON CONSTRAINT uq_accounts_natural_key DO NOTHING;
    END LOOP;

    INSERT INTO transactions (idempotency_key, kind, code, reference, digest, created_at_us)
    VALUES (p_key, 'transaction', p_code, p_reference, p_digest, p_created_at_us)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO transaction_id;
    IF transaction_id IS NULL THEN
        -- The same key committed meanwhile by a writer on other accounts.
        SELECT t.id, t.digest, c.seq INTO transaction_id, v_stored_digest, chain_seq
        FROM transactions t LEFT JOIN journal_chain c ON c.transaction_id = t.id
        WHERE t.idempotency_key = p_key;
        outcome := CASE WHEN v_stored_digest = p_digest THEN 'replayed' ELSE 'conflict' END;
        RETURN;
    END IF;

    INSERT INTO postings (transaction_id, account_id, amount_units)
    SELECT transaction_id, u.id, u.amount FROM unnest(v_ids, v_amounts) AS u(id, amount);
    FOR i IN 1..v_count LOOP
        UPDATE accounts SET posted_units = posted_units + v_amounts[i] WHERE id = v_ids[i];
    END LOOP;

    -- Link into lane id % 16 (systok.core.ledger.CHAIN_LANES) under the lane head's lock.
    v_lane := transaction_id % 16;
    UPDATE chain_head h
       SET seq = h.seq + 1,
           hash = sha256(h.hash || int8send(h.seq + 1) || int8send(p_created_at_us) || p_digest)
     WHERE h.id = v_lane
    RETURNING h.seq, h.hash INTO chain_seq, v_hash;
    INSERT INTO journal_chain (lane, seq, transaction_id, hash)
    VALUES (v_lane, chain_seq, transaction_id, v_hash);
    outcome := 'posted';
END
$fn$;
"""

APPEND_ONLY_SQL = r"""
CREATE OR REPLACE FUNCTION systok_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'SY403';
END
$fn$;
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION systok_refuse_change();
CREATE TRIGGER transactions_append_only BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION systok_refuse_change();
CREATE TRIGGER journal_chain_append_only BEFORE UPDATE OR DELETE ON journal_chain
    FOR EACH ROW EXECUTE FUNCTION systok_refuse_change();
"""


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
        op.execute(POST_TRANSACTION_SQL)
        op.execute(APPEND_ONLY_SQL)


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
