-- Consulting work orders (咨询服务, Art. 5) and users' feedback on what
-- they made with the data (Art. 15).

CREATE TABLE consulting_orders (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id      INTEGER NOT NULL REFERENCES products(id),
    user_org_id     INTEGER NOT NULL REFERENCES organizations(id),
    opened_by       INTEGER REFERENCES accounts(id),
    subject         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    agreement_id    INTEGER NOT NULL REFERENCES agreements(id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX consulting_orders_user ON consulting_orders(user_org_id);

-- Messages, and deliverable files sealed under the master key with the
-- SM3 digest of what was uploaded.
CREATE TABLE consulting_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        INTEGER NOT NULL REFERENCES consulting_orders(id),
    author_id       INTEGER REFERENCES accounts(id),
    author_org_id   INTEGER NOT NULL REFERENCES organizations(id),
    body            TEXT    NOT NULL,
    file_name       TEXT,
    byte_size       INTEGER,
    digest          TEXT,
    sealed          TEXT,
    master_key_id   TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX consulting_messages_order ON consulting_messages(order_id);

CREATE TABLE usage_feedback (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id      INTEGER NOT NULL REFERENCES products(id),
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    kind            TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    link            TEXT    NOT NULL,
    filed_by        INTEGER REFERENCES accounts(id),
    filed_at        INTEGER NOT NULL
);
CREATE INDEX usage_feedback_org ON usage_feedback(org_id, product_id);
