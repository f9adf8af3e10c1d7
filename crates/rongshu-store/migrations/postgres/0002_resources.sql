-- Data resources, their registration record, fields, ingests and the
-- immutable versions each delivery makes (issue 3).

-- Credentials belong to one listener: 'api' (the public side) or 'front'
-- (the front system on the government network, Art. 8).
ALTER TABLE api_keys ADD COLUMN surface TEXT NOT NULL DEFAULT 'api';

CREATE TABLE resources (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id          BIGINT  NOT NULL REFERENCES organizations(id),
    code                 TEXT    NOT NULL UNIQUE,
    title                TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    theme                TEXT    NOT NULL,
    update_frequency     TEXT    NOT NULL,
    open_data            BIGINT  NOT NULL DEFAULT 0,
    service_modes        TEXT    NOT NULL,
    suggested_grade      TEXT,
    grade                TEXT,
    grade_confirmed_by   BIGINT  REFERENCES accounts(id),
    grade_confirmed_at   BIGINT,
    registration_status  TEXT,
    registration_code    TEXT,
    data_type            TEXT    NOT NULL DEFAULT '',
    data_format          TEXT    NOT NULL DEFAULT '',
    storage              TEXT    NOT NULL DEFAULT '',
    documentation        TEXT    NOT NULL DEFAULT '',
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    last_delivered_at    BIGINT
);
CREATE INDEX resources_provider ON resources(provider_id);

-- The resource's current fields, as the provider confirmed them.
CREATE TABLE resource_fields (
    resource_id     BIGINT  NOT NULL REFERENCES resources(id),
    position        BIGINT  NOT NULL,
    name            TEXT    NOT NULL,
    field_type      TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    detected_kind   TEXT,
    share           DOUBLE PRECISION    NOT NULL DEFAULT 0,
    confidence      DOUBLE PRECISION    NOT NULL DEFAULT 0,
    suggested_level TEXT    NOT NULL,
    sensitivity     TEXT    NOT NULL,
    personal_kind   TEXT,
    PRIMARY KEY (resource_id, name)
);

CREATE TABLE ingests (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id   BIGINT  NOT NULL REFERENCES resources(id),
    state         TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    format        TEXT    NOT NULL,
    file_name     TEXT    NOT NULL,
    object_name   TEXT    NOT NULL,
    started_by    BIGINT  REFERENCES accounts(id),
    started_at    BIGINT  NOT NULL,
    heartbeat_at  BIGINT  NOT NULL,
    finished_at   BIGINT,
    bytes_total   BIGINT,
    bytes_read    BIGINT  NOT NULL DEFAULT 0,
    rows_read     BIGINT  NOT NULL DEFAULT 0,
    bad_rows      BIGINT  NOT NULL DEFAULT 0,
    error         TEXT,
    version_id    BIGINT
);
CREATE INDEX ingests_resource ON ingests(resource_id);
CREATE INDEX ingests_state ON ingests(state);

CREATE TABLE ingest_bad_rows (
    ingest_id   BIGINT  NOT NULL REFERENCES ingests(id),
    position    BIGINT  NOT NULL,
    row_number  BIGINT  NOT NULL,
    field       TEXT,
    message     TEXT    NOT NULL,
    PRIMARY KEY (ingest_id, position)
);

-- One per delivery, never updated but for re-wrapping its key.
CREATE TABLE resource_versions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id     BIGINT  NOT NULL REFERENCES resources(id),
    number          BIGINT  NOT NULL,
    ingest_id       BIGINT  NOT NULL REFERENCES ingests(id),
    row_count       BIGINT  NOT NULL,
    byte_size       BIGINT  NOT NULL,
    sealed_size     BIGINT  NOT NULL,
    digest          TEXT    NOT NULL,
    object_name     TEXT    NOT NULL UNIQUE,
    suite           TEXT    NOT NULL,
    wrapped_key     TEXT    NOT NULL,
    master_key_id   TEXT    NOT NULL,
    source_format   TEXT    NOT NULL,
    source_encoding TEXT,
    source_bytes    BIGINT  NOT NULL,
    delivered_by    BIGINT  REFERENCES accounts(id),
    channel         TEXT    NOT NULL,
    suggested_grade TEXT    NOT NULL,
    delivered_at    BIGINT  NOT NULL,
    UNIQUE (resource_id, number)
);

CREATE TABLE version_fields (
    version_id     BIGINT  NOT NULL REFERENCES resource_versions(id),
    position       BIGINT  NOT NULL,
    name           TEXT    NOT NULL,
    field_type     TEXT    NOT NULL,
    detected_kind  TEXT,
    share          DOUBLE PRECISION    NOT NULL,
    confidence     DOUBLE PRECISION    NOT NULL,
    scanned        BIGINT  NOT NULL,
    suggested_level TEXT   NOT NULL,
    PRIMARY KEY (version_id, position)
);
