-- systok_refuse_change and the triggers that make the journal append-only (migration
-- 0001_ledger). A refused change raises SQLSTATE SY403 and aborts the statement.
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
