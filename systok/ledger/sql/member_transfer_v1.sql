-- systok_member_transfer, version 1 (migration 0028_member_transfer, ADR 0045).
--
-- A member's transfer request (POST /tokenomics/transfer) in one statement: the checks
-- of ADR 0042, then systok_post_transaction, then nothing. Called in autocommit, so the
-- statement is the transaction and the fee account's row lock (every transfer credits
-- that one row) is held for the posting and the commit only, across no client turn.
--
-- It decides only the common cases, and writes only when it posts:
--
-- * 'posted' / 'replayed': what the posting function answered (a used key skips the
--   checks, as in send_transfer: a retry answers the original transfer).
-- * anything else writes nothing and hands the request to the Python path
--   (systok.economy.transfers.send_transfer in a unit of work), which raises the
--   refusal with its documented order and message, so both backends and both paths
--   answer alike: 'refused' (a check fails), 'fee_step' (the quarter's fee override is
--   not the step the client priced the fee with; the found step is returned so the
--   client prices the next request right), 'notify' (the recipient has a channel: the
--   message is rendered in Python); the posting function's refusals and conflict are
--   raised with SQLSTATE {{HAND_OVER_SQLSTATE}}, which rolls the statement back.
--
-- The content digest and the fee are the client's (systok.core), as for every posting.
CREATE OR REPLACE FUNCTION systok_member_transfer(
    p_key text, p_code text, p_reference text, p_digest bytea, p_created_at_us bigint,
    p_types text[], p_owners text[], p_assets text[], p_amounts bigint[],
    p_sender text, p_recipient text, p_day integer, p_paid_only boolean,
    p_quarter text, p_override_kind text, p_fee_step integer,
    OUT outcome text, OUT transaction_id bigint, OUT chain_seq bigint, OUT fee_step integer
)
 RETURNS record
 LANGUAGE plpgsql
 SET enable_hashjoin TO 'off'
 SET enable_mergejoin TO 'off'
AS $fn$
DECLARE
    v_answer record;
BEGIN
    SELECT o.step_bps INTO fee_step
    FROM stabilisation_overrides o
    WHERE o.quarter = p_quarter AND o.kind = p_override_kind;
    IF fee_step IS DISTINCT FROM p_fee_step THEN
        outcome := 'fee_step';
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM transactions t WHERE t.idempotency_key = p_key) THEN
        IF NOT EXISTS (SELECT 1 FROM members m WHERE m.id = p_sender)
           OR EXISTS (SELECT 1 FROM member_freezes f WHERE f.member_id = p_sender)
           OR NOT EXISTS (SELECT 1 FROM members m WHERE m.id = p_recipient)
           OR EXISTS (SELECT 1 FROM member_freezes f WHERE f.member_id = p_recipient)
           OR (p_paid_only AND NOT EXISTS (
                   SELECT 1 FROM member_memberships s
                   WHERE s.member_id = p_recipient AND s.starts_day <= p_day
                     AND (s.ends_day IS NULL OR s.ends_day > p_day))) THEN
            outcome := 'refused';
            RETURN;
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM notify_profiles n
               WHERE n.member_id = p_recipient
                 AND (coalesce(n.email, '') <> '' OR coalesce(n.telegram_chat_id, '') <> ''))
    THEN
        outcome := 'notify';
        RETURN;
    END IF;
    SELECT * INTO v_answer
    FROM systok_post_transaction(p_key, p_code, p_reference, p_digest, p_created_at_us,
                                 p_types, p_owners, p_assets, p_amounts);
    IF v_answer.outcome NOT IN ({{OUTCOME_POSTED}}, {{OUTCOME_REPLAYED}}) THEN
        -- Raised, not returned: the posting function may have opened an account before
        -- refusing, and in autocommit only an error takes that back.
        RAISE EXCEPTION 'systok_member_transfer: %', v_answer.outcome
              USING ERRCODE = {{HAND_OVER_SQLSTATE}};
    END IF;
    outcome := v_answer.outcome;
    transaction_id := v_answer.transaction_id;
    chain_seq := v_answer.chain_seq;
END
$fn$;
