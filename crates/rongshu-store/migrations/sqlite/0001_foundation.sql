-- Parties, accounts, sessions, API keys and the append-only ledger.
-- Times are milliseconds since the Unix epoch; flags are 0/1 integers.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    party_type  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER NOT NULL REFERENCES organizations(id),
    username       TEXT    NOT NULL UNIQUE,
    display_name   TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER,
    created_at     INTEGER NOT NULL
);
CREATE INDEX accounts_org ON accounts(org_id);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL UNIQUE,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    kind        TEXT    NOT NULL,
    csrf_token  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE api_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    name            TEXT    NOT NULL,
    display_prefix  TEXT    NOT NULL,
    key_hash        TEXT    NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER
);
CREATE INDEX api_keys_account ON api_keys(account_id);

-- The chain head: the last sequence number and hash. Every write
-- transaction locks this row first, which serialises appends.
CREATE TABLE ledger_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT    NOT NULL
);
INSERT INTO ledger_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Where verification starts once old entries have been archived: the
-- sequence number and hash of the last archived entry (0 and zeros: none).
CREATE TABLE ledger_anchor (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT    NOT NULL
);
INSERT INTO ledger_anchor (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE ledger_entries (
    seq               INTEGER PRIMARY KEY,
    at_ms             INTEGER NOT NULL,
    actor_account_id  INTEGER,
    actor_username    TEXT,
    org_id            INTEGER,
    party_type        TEXT,
    action            TEXT    NOT NULL,
    object_type       TEXT    NOT NULL,
    object_id         TEXT,
    segment           TEXT,
    outcome           TEXT    NOT NULL,
    reason            TEXT,
    request_id        TEXT,
    client_addr       TEXT,
    prev_hash         TEXT    NOT NULL,
    hash              TEXT    NOT NULL
);
CREATE INDEX ledger_entries_actor  ON ledger_entries(actor_account_id, seq);
CREATE INDEX ledger_entries_org    ON ledger_entries(org_id, seq);
CREATE INDEX ledger_entries_action ON ledger_entries(action, seq);
CREATE INDEX ledger_entries_object ON ledger_entries(object_type, object_id, seq);
CREATE INDEX ledger_entries_at     ON ledger_entries(at_ms);

-- Entries are never updated, and deleted only once archived: at or below
-- the anchor, which only an archive recorded in the chain may move
-- (MLPS: protect audit records).
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
WHEN OLD.seq > (SELECT seq FROM ledger_anchor WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
