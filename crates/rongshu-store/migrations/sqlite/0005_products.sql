-- Data products and services (Art. 5, 15, 17): products built by the
-- operator on authorized resources, supply suspensions by the Big Data
-- Center, and metered use.

-- A product serves one resource by one or more modes. Lists are stored one
-- item per line; the pipeline is the document as the operator wrote it.
CREATE TABLE products (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    code              TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    resource_id       INTEGER NOT NULL REFERENCES resources(id),
    authorization_id  INTEGER NOT NULL REFERENCES authorizations(id),
    modes             TEXT    NOT NULL,
    fields            TEXT    NOT NULL,
    pipeline          TEXT    NOT NULL,
    query_parameters  TEXT    NOT NULL DEFAULT '',
    max_rows          INTEGER NOT NULL,
    verify_key_field  TEXT,
    verify_fields     TEXT    NOT NULL DEFAULT '',
    daily_call_quota  INTEGER,
    rate_per_minute   INTEGER,
    billing_unit      TEXT    NOT NULL,
    price_fen         INTEGER NOT NULL DEFAULT 0,
    price_cap_fen     INTEGER,
    -- 64 bytes of pseudonym and token keys, wrapped by the master key.
    wrapped_key       TEXT    NOT NULL,
    master_key_id     TEXT    NOT NULL,
    revision          INTEGER NOT NULL,
    created_by        INTEGER REFERENCES accounts(id),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX products_resource ON products(resource_id);

-- A suspension of supply (Art. 17): per resource, provider organisation,
-- user organisation or the whole platform. Open while resumed_at is NULL.
CREATE TABLE suspensions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    scope             TEXT    NOT NULL,
    target_id         INTEGER,
    findings          TEXT    NOT NULL,
    suspended_by      INTEGER REFERENCES accounts(id),
    suspended_at      INTEGER NOT NULL,
    rectification     TEXT,
    rectified_by      INTEGER REFERENCES accounts(id),
    rectified_at      INTEGER,
    resumed_by        INTEGER REFERENCES accounts(id),
    resumed_at        INTEGER
);
CREATE INDEX suspensions_open ON suspensions(resumed_at, scope, target_id);

-- Metered use per product, user organisation and China Standard Time day.
CREATE TABLE product_usage (
    product_id        INTEGER NOT NULL REFERENCES products(id),
    org_id            INTEGER NOT NULL REFERENCES organizations(id),
    day               TEXT    NOT NULL,
    calls             INTEGER NOT NULL DEFAULT 0,
    records           INTEGER NOT NULL DEFAULT 0,
    downloads         INTEGER NOT NULL DEFAULT 0,
    amount_fen        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, org_id, day)
);
CREATE INDEX product_usage_org ON product_usage(org_id, day);
