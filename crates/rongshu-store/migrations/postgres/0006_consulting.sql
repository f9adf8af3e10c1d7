-- Consulting work orders (咨询服务, Art. 5) and users' feedback on what
-- they made with the data (Art. 15).

CREATE TABLE consulting_orders (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id      BIGINT  NOT NULL REFERENCES products(id),
    user_org_id     BIGINT  NOT NULL REFERENCES organizations(id),
    opened_by       BIGINT  REFERENCES accounts(id),
    subject         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    agreement_id    BIGINT  NOT NULL REFERENCES agreements(id),
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX consulting_orders_user ON consulting_orders(user_org_id);

-- Messages, and deliverable files sealed under the master key with the
-- SM3 digest of what was uploaded.
CREATE TABLE consulting_messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        BIGINT  NOT NULL REFERENCES consulting_orders(id),
    author_id       BIGINT  REFERENCES accounts(id),
    author_org_id   BIGINT  NOT NULL REFERENCES organizations(id),
    body            TEXT    NOT NULL,
    file_name       TEXT,
    byte_size       BIGINT ,
    digest          TEXT,
    sealed          TEXT,
    master_key_id   TEXT,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX consulting_messages_order ON consulting_messages(order_id);

CREATE TABLE usage_feedback (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id      BIGINT  NOT NULL REFERENCES products(id),
    org_id          BIGINT  NOT NULL REFERENCES organizations(id),
    kind            TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    link            TEXT    NOT NULL,
    filed_by        BIGINT  REFERENCES accounts(id),
    filed_at        BIGINT  NOT NULL
);
CREATE INDEX usage_feedback_org ON usage_feedback(org_id, product_id);
