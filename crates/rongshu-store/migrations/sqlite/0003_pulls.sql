-- The front system's scheduled pulls (Art. 8): a source it fetches a
-- resource's data from on a schedule, an HTTP(S) URL or a PostgreSQL table.
CREATE TABLE pull_sources (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id     INTEGER NOT NULL REFERENCES resources(id),
    kind            TEXT    NOT NULL,
    location        TEXT    NOT NULL,
    table_name      TEXT    NOT NULL DEFAULT '',
    format          TEXT    NOT NULL DEFAULT '',
    interval_secs   INTEGER NOT NULL,
    next_run_at     INTEGER NOT NULL,
    last_run_at     INTEGER,
    last_status     TEXT,
    last_ingest_id  INTEGER,
    created_by      INTEGER REFERENCES accounts(id),
    created_at      INTEGER NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pull_sources_due ON pull_sources(next_run_at);
