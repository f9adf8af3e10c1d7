-- The data sandbox (数据沙箱, Art. 5): a workspace per data use agreement
-- that grants sandbox mode. Every statement run in it is kept with what it
-- read; results leave only as exports that passed the automatic disclosure
-- checks and the operator's output checkers.

CREATE TABLE sandbox_queries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id    BIGINT  NOT NULL REFERENCES agreements(id),
    org_id          BIGINT  NOT NULL REFERENCES organizations(id),
    account_id      BIGINT  REFERENCES accounts(id),
    statement       TEXT    NOT NULL,
    -- done, failed, refused, cancelled, time-limit or memory-limit.
    outcome         TEXT    NOT NULL,
    problem         TEXT,
    -- Workspace tables read, one name per line.
    tables_read     TEXT    NOT NULL,
    row_count       BIGINT  NOT NULL,
    truncated       BIGINT  NOT NULL,
    elapsed_ms      BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX sandbox_queries_workspace ON sandbox_queries(agreement_id, id);

-- A result asked for release. The result itself (CSV) is sealed under the
-- master key; `checks` holds the automatic checks' failures, one per line
-- (code, column, rows); `lineage` the products, resources and versions read.
CREATE TABLE sandbox_exports (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id    BIGINT  NOT NULL REFERENCES agreements(id),
    org_id          BIGINT  NOT NULL REFERENCES organizations(id),
    author_id       BIGINT  NOT NULL REFERENCES accounts(id),
    query_id        BIGINT  NOT NULL REFERENCES sandbox_queries(id),
    purpose         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    checks          TEXT    NOT NULL,
    lineage         TEXT    NOT NULL,
    row_count       BIGINT  NOT NULL,
    digest          TEXT    NOT NULL,
    sealed          TEXT    NOT NULL,
    master_key_id   TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX sandbox_exports_status ON sandbox_exports(status, id);
CREATE INDEX sandbox_exports_workspace ON sandbox_exports(agreement_id, id);

CREATE TABLE sandbox_reviews (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    export_id       BIGINT  NOT NULL REFERENCES sandbox_exports(id),
    checker_id      BIGINT  NOT NULL REFERENCES accounts(id),
    decision        TEXT    NOT NULL,
    comment         TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX sandbox_reviews_export ON sandbox_reviews(export_id);
