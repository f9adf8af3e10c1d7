-- Data products and services (Art. 5, 15, 17): products built by the
-- operator on authorized resources, supply suspensions by the Big Data
-- Center, and metered use.

-- A product serves one resource by one or more modes. Lists are stored one
-- item per line; the pipeline is the document as the operator wrote it.
CREATE TABLE products (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code              TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    resource_id       BIGINT  NOT NULL REFERENCES resources(id),
    authorization_id  BIGINT  NOT NULL REFERENCES authorizations(id),
    modes             TEXT    NOT NULL,
    fields            TEXT    NOT NULL,
    pipeline          TEXT    NOT NULL,
    query_parameters  TEXT    NOT NULL DEFAULT '',
    max_rows          BIGINT  NOT NULL,
    verify_key_field  TEXT,
    verify_fields     TEXT    NOT NULL DEFAULT '',
    daily_call_quota  BIGINT ,
    rate_per_minute   BIGINT ,
    billing_unit      TEXT    NOT NULL,
    price_fen         BIGINT  NOT NULL DEFAULT 0,
    price_cap_fen     BIGINT ,
    -- 64 bytes of pseudonym and token keys, wrapped by the master key.
    wrapped_key       TEXT    NOT NULL,
    master_key_id     TEXT    NOT NULL,
    revision          BIGINT  NOT NULL,
    created_by        BIGINT  REFERENCES accounts(id),
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX products_resource ON products(resource_id);

-- A suspension of supply (Art. 17): per resource, provider organisation,
-- user organisation or the whole platform. Open while resumed_at is NULL.
CREATE TABLE suspensions (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope             TEXT    NOT NULL,
    target_id         BIGINT ,
    findings          TEXT    NOT NULL,
    suspended_by      BIGINT  REFERENCES accounts(id),
    suspended_at      BIGINT  NOT NULL,
    rectification     TEXT,
    rectified_by      BIGINT  REFERENCES accounts(id),
    rectified_at      BIGINT ,
    resumed_by        BIGINT  REFERENCES accounts(id),
    resumed_at        BIGINT 
);
CREATE INDEX suspensions_open ON suspensions(resumed_at, scope, target_id);

-- Metered use per product, user organisation and China Standard Time day.
CREATE TABLE product_usage (
    product_id        BIGINT  NOT NULL REFERENCES products(id),
    org_id            BIGINT  NOT NULL REFERENCES organizations(id),
    day               TEXT    NOT NULL,
    calls             BIGINT  NOT NULL DEFAULT 0,
    records           BIGINT  NOT NULL DEFAULT 0,
    downloads         BIGINT  NOT NULL DEFAULT 0,
    amount_fen        BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, org_id, day)
);
CREATE INDEX product_usage_org ON product_usage(org_id, day);
