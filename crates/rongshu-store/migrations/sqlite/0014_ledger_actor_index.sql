-- Searches of the ledger by actor name the account's username (the
-- supervisor's "who did this" audit); the index 0001 made was on the
-- account id, which no search uses, so those searches read the whole chain.
DROP INDEX ledger_entries_actor;
CREATE INDEX ledger_entries_actor ON ledger_entries(actor_username, seq);
