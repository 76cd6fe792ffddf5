-- systok_post_transaction, version 2 (migration 0010_member_sums; 0010's downgrade
-- goes back to post_transaction_v1.sql). What changed from version 1:
--
-- * Balances are updated with one UPDATE for all the accounts instead of one per account.
-- * The planner may not hash or merge-join: every statement here touches a handful to a
--   few thousand accounts by their natural key or id, index lookups. With a big accounts
--   table (and stale statistics right after a week opened 100 000 member accounts) the
--   planner chose to hash the whole table for each call: 180 ms a call where the index
--   takes 10 ms.
--
-- One round trip per transaction on PostgreSQL: claim the idempotency key, lock the
-- accounts in id order, check, write postings and balances, extend the hash chain.
-- The content digest is computed by the client (systok.core.ledger), so the hashed
-- bytes are the same on every backend; only sha256(prev || seq || time || digest) is here.
--
-- A template: the double-brace placeholders are filled with Python's constants by
-- systok.ledger.sql.render. Below the signature the header is laid out as
-- pg_get_functiondef prints it (compared in tests/db/test_posting_function.py).
CREATE OR REPLACE FUNCTION systok_post_transaction(
    p_key text, p_code text, p_reference text, p_digest bytea, p_created_at_us bigint,
    p_types text[], p_owners text[], p_assets text[], p_amounts bigint[],
    OUT transaction_id bigint, OUT chain_seq bigint, OUT outcome text,
    OUT refused_index integer, OUT refused_available bigint
)
 RETURNS record
 LANGUAGE plpgsql
 SET enable_hashjoin TO 'off'
 SET enable_mergejoin TO 'off'
AS $fn$
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
                outcome := CASE WHEN v_stored_digest = p_digest THEN {{OUTCOME_REPLAYED}}
                                ELSE {{OUTCOME_CONFLICT}} END;
                RETURN;
            END IF;
            -- A debit from an account never opened has nothing to spend.
            SELECT u.ord INTO refused_index
            FROM unnest(p_types, p_amounts) WITH ORDINALITY AS u(t, amount, ord)
            WHERE u.amount < 0 AND u.t <> {{WORLD}}
              AND u.ord <> ALL (coalesce(v_ordinals, '{}'::integer[]))
            ORDER BY u.ord LIMIT 1;
            IF FOUND THEN
                outcome := {{OUTCOME_INSUFFICIENT}};
                refused_available := 0;
                RETURN;
            END IF;
        END IF;

        FOR i IN 1..coalesce(cardinality(v_ids), 0) LOOP
            IF NOT v_negative[i] AND v_available[i]::numeric + v_amounts[i] < 0 THEN
                outcome := {{OUTCOME_INSUFFICIENT}};
                refused_index := v_ordinals[i];
                refused_available := v_available[i];
                RETURN;
            END IF;
            IF v_posted[i]::numeric + v_amounts[i] NOT BETWEEN {{BALANCE_UNITS_MIN}}
                                                         AND {{BALANCE_UNITS_MAX}} THEN
                outcome := {{OUTCOME_OVERFLOW}};
                refused_index := v_ordinals[i];
                RETURN;
            END IF;
        END LOOP;

        EXIT WHEN coalesce(cardinality(v_ids), 0) = v_count;
        -- Open the accounts never seen before (only credits and world are left here).
        INSERT INTO accounts (type, owner, asset, allow_negative, posted_units, held_units,
                              created_at_us)
        SELECT u.t, u.o, u.s, u.t = {{WORLD}}, 0, 0, p_created_at_us
        FROM unnest(p_types, p_owners, p_assets) AS u(t, o, s)
        ORDER BY u.t, u.o, u.s
        ON CONFLICT ON CONSTRAINT uq_accounts_natural_key DO NOTHING;
    END LOOP;

    INSERT INTO transactions (idempotency_key, kind, code, reference, digest, created_at_us)
    VALUES (p_key, {{KIND_TRANSACTION}}, p_code, p_reference, p_digest, p_created_at_us)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO transaction_id;
    IF transaction_id IS NULL THEN
        -- The same key committed meanwhile by a writer on other accounts.
        SELECT t.id, t.digest, c.seq INTO transaction_id, v_stored_digest, chain_seq
        FROM transactions t LEFT JOIN journal_chain c ON c.transaction_id = t.id
        WHERE t.idempotency_key = p_key;
        outcome := CASE WHEN v_stored_digest = p_digest THEN {{OUTCOME_REPLAYED}} ELSE {{OUTCOME_CONFLICT}} END;
        RETURN;
    END IF;

    INSERT INTO postings (transaction_id, account_id, amount_units)
    SELECT transaction_id, u.id, u.amount FROM unnest(v_ids, v_amounts) AS u(id, amount);
    -- One UPDATE for all the accounts (summed per account): a weekly payout
    -- credits 100 000 members in 50 calls; a statement per account was most of it.
    UPDATE accounts a SET posted_units = a.posted_units + d.amount
    FROM (SELECT u.id, sum(u.amount)::bigint AS amount
          FROM unnest(v_ids, v_amounts) AS u(id, amount) GROUP BY u.id) d
    WHERE a.id = d.id;

    -- Link into lane id % {{CHAIN_LANES}} (systok.core.ledger.CHAIN_LANES) under the lane head's lock.
    v_lane := transaction_id % {{CHAIN_LANES}};
    UPDATE chain_head h
       SET seq = h.seq + 1,
           hash = sha256(h.hash || int8send(h.seq + 1) || int8send(p_created_at_us) || p_digest)
     WHERE h.id = v_lane
    RETURNING h.seq, h.hash INTO chain_seq, v_hash;
    INSERT INTO journal_chain (lane, seq, transaction_id, hash)
    VALUES (v_lane, chain_seq, transaction_id, v_hash);
    outcome := {{OUTCOME_POSTED}};
END
$fn$;
