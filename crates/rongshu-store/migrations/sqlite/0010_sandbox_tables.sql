-- Tables a workspace's users keep: files they upload (external data, Art. 5)
-- and tables they make from query results. Each is a Parquet object sealed
-- under its own data key, wrapped by the master key like a version's.
-- `derived_from` names the products a made table was computed from, one
-- code per line: while any of them is refused to the workspace, so is the
-- table.

CREATE TABLE sandbox_tables (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    agreement_id    INTEGER NOT NULL REFERENCES agreements(id),
    name            TEXT    NOT NULL,
    -- upload or query.
    origin          TEXT    NOT NULL,
    made_by         INTEGER NOT NULL REFERENCES accounts(id),
    query_id        INTEGER REFERENCES sandbox_queries(id),
    file_name       TEXT    NOT NULL,
    derived_from    TEXT    NOT NULL,
    -- Identifier kinds found in uploaded fields, one `field=kind` per line.
    identifiers     TEXT    NOT NULL,
    row_count       INTEGER NOT NULL,
    object_name     TEXT    NOT NULL UNIQUE,
    byte_size       INTEGER NOT NULL,
    digest          TEXT    NOT NULL,
    wrapped_key     TEXT    NOT NULL,
    master_key_id   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (agreement_id, name)
);
