-- The access epoch: every write transaction but the data calls' own
-- batches moves it on. Server processes cache what a data call rests on
-- (API key, agreement, authorization, suspensions, product, version) under
-- the epoch they read, and a call's ledger entry commits only if the epoch
-- is still the one its answer was made under: any change anywhere, in any
-- process, reaches every cache before the next answer goes out.
ALTER TABLE ledger_head ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
