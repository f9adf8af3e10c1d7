-- The front system's scheduled pulls (Art. 8): a source it fetches a
-- resource's data from on a schedule, an HTTP(S) URL or a PostgreSQL table.
CREATE TABLE pull_sources (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id     BIGINT  NOT NULL REFERENCES resources(id),
    kind            TEXT    NOT NULL,
    location        TEXT    NOT NULL,
    table_name      TEXT    NOT NULL DEFAULT '',
    format          TEXT    NOT NULL DEFAULT '',
    interval_secs   BIGINT  NOT NULL,
    next_run_at     BIGINT  NOT NULL,
    last_run_at     BIGINT,
    last_status     TEXT,
    last_ingest_id  BIGINT,
    created_by      BIGINT  REFERENCES accounts(id),
    created_at      BIGINT  NOT NULL,
    disabled        BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX pull_sources_due ON pull_sources(next_run_at);
