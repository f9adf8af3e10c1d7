-- The demand → authorization → delivery workflow (Art. 11-16, 18, 19).
-- Dates a person reads as deadlines (due_on, term_*) are China Standard
-- Time dates, 'YYYY-MM-DD'; instants are milliseconds since the epoch.

-- Demand lists (需求清单, Art. 12): gathered by the operator per period,
-- reviewed by the Governance Office within due_on.
CREATE TABLE demand_lists (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period          TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    created_by      BIGINT  REFERENCES accounts(id),
    created_at      BIGINT  NOT NULL,
    submitted_at    BIGINT ,
    due_on          TEXT
);

-- Demands (需求, Art. 11).
CREATE TABLE demands (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_org_id     BIGINT  NOT NULL REFERENCES organizations(id),
    filed_by        BIGINT  REFERENCES accounts(id),
    title           TEXT    NOT NULL,
    wanted          TEXT    NOT NULL DEFAULT '',
    modes           TEXT    NOT NULL,
    scenario        TEXT    NOT NULL,
    purpose         TEXT    NOT NULL,
    term_months     BIGINT  NOT NULL,
    consent         TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL,
    list_id         BIGINT  REFERENCES demand_lists(id),
    note            TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX demands_user ON demands(user_org_id);
CREATE INDEX demands_status ON demands(status);

-- Catalogue resources a demand asks for; fields '' means every field.
CREATE TABLE demand_items (
    demand_id       BIGINT  NOT NULL REFERENCES demands(id),
    resource_id     BIGINT  NOT NULL REFERENCES resources(id),
    fields          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (demand_id, resource_id)
);

-- The data subjects' consent as a file (Art. 13): sealed under the master
-- key, with the SM3 digest of what was uploaded.
CREATE TABLE consent_evidence (
    demand_id        BIGINT  PRIMARY KEY REFERENCES demands(id),
    file_name        TEXT    NOT NULL,
    byte_size        BIGINT  NOT NULL,
    digest           TEXT    NOT NULL,
    sealed           TEXT    NOT NULL,
    master_key_id    TEXT    NOT NULL,
    uploaded_by      BIGINT  REFERENCES accounts(id),
    uploaded_at      BIGINT  NOT NULL
);

-- Providers the operator named for data the catalogue does not have yet.
CREATE TABLE demand_providers (
    demand_id        BIGINT  NOT NULL REFERENCES demands(id),
    provider_org_id  BIGINT  NOT NULL REFERENCES organizations(id),
    PRIMARY KEY (demand_id, provider_org_id)
);

-- Authorizations from a provider to the operator (Art. 13); standing = 1
-- is the blanket authorization of a provider's open resources.
CREATE TABLE authorizations (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_org_id      BIGINT  NOT NULL REFERENCES organizations(id),
    operator_org_id      BIGINT  NOT NULL REFERENCES organizations(id),
    standing             BIGINT  NOT NULL DEFAULT 0,
    scenario             TEXT    NOT NULL,
    modes                TEXT    NOT NULL,
    deidentification     TEXT    NOT NULL,
    reidentification     BIGINT  NOT NULL DEFAULT 0,
    quota                TEXT    NOT NULL DEFAULT '',
    conditions           TEXT    NOT NULL DEFAULT '',
    term_from            TEXT    NOT NULL,
    term_until           TEXT,
    status               TEXT    NOT NULL,
    granted_by           BIGINT  REFERENCES accounts(id),
    created_at           BIGINT  NOT NULL,
    terminated_at        BIGINT ,
    termination_grounds  TEXT
);
CREATE INDEX authorizations_provider ON authorizations(provider_org_id);

CREATE TABLE authorization_resources (
    authorization_id BIGINT  NOT NULL REFERENCES authorizations(id),
    resource_id      BIGINT  NOT NULL REFERENCES resources(id),
    fields           TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (authorization_id, resource_id)
);

-- One provider's answer to one demand (授权确认, Art. 13).
CREATE TABLE assessments (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    demand_id        BIGINT  NOT NULL REFERENCES demands(id),
    provider_org_id  BIGINT  NOT NULL REFERENCES organizations(id),
    status           TEXT    NOT NULL,
    opened_at        BIGINT  NOT NULL,
    due_on           TEXT    NOT NULL,
    decided_at       BIGINT ,
    decided_by       BIGINT  REFERENCES accounts(id),
    grounds          TEXT    NOT NULL DEFAULT '',
    flagged          BIGINT  NOT NULL DEFAULT 0,
    authorization_id BIGINT  REFERENCES authorizations(id),
    UNIQUE (demand_id, provider_org_id)
);
CREATE INDEX assessments_provider ON assessments(provider_org_id, status);

-- The provider's duty to deliver (Art. 14), closed by a version.
CREATE TABLE delivery_tasks (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    authorization_id BIGINT  NOT NULL UNIQUE REFERENCES authorizations(id),
    provider_org_id  BIGINT  NOT NULL REFERENCES organizations(id),
    status           TEXT    NOT NULL,
    opened_at        BIGINT  NOT NULL,
    due_on           TEXT    NOT NULL,
    version_id       BIGINT  REFERENCES resource_versions(id),
    closed_at        BIGINT 
);
CREATE INDEX delivery_tasks_open ON delivery_tasks(status, provider_org_id);

-- Organisations' SM2 key pairs; the secret sealed under the master key.
CREATE TABLE signing_keys (
    org_id          BIGINT  PRIMARY KEY REFERENCES organizations(id),
    public_key      TEXT    NOT NULL,
    sealed_secret   TEXT    NOT NULL,
    master_key_id   TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL
);

-- Agreements (Art. 15, 18), their canonical text and its SM3 digest.
CREATE TABLE agreements (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             TEXT    NOT NULL,
    authorization_id BIGINT  NOT NULL REFERENCES authorizations(id),
    demand_id        BIGINT  REFERENCES demands(id),
    body             TEXT    NOT NULL,
    digest           TEXT    NOT NULL,
    term_from        TEXT    NOT NULL,
    term_until       TEXT,
    status           TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    signed_at        BIGINT ,
    terminated_at    BIGINT 
);
CREATE INDEX agreements_authorization ON agreements(authorization_id);

CREATE TABLE agreement_signatures (
    agreement_id    BIGINT  NOT NULL REFERENCES agreements(id),
    party           TEXT    NOT NULL,
    org_id          BIGINT  NOT NULL REFERENCES organizations(id),
    public_key      TEXT,
    signature       TEXT,
    signed_by       BIGINT  REFERENCES accounts(id),
    signed_at       BIGINT ,
    PRIMARY KEY (agreement_id, party)
);

-- Disputes between a provider and the operator (Art. 19).
CREATE TABLE disputes (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    authorization_id BIGINT  NOT NULL REFERENCES authorizations(id),
    raised_by_org    BIGINT  NOT NULL REFERENCES organizations(id),
    subject          TEXT    NOT NULL,
    statement        TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    expert_opinion   TEXT    NOT NULL DEFAULT '',
    resolution       TEXT    NOT NULL DEFAULT '',
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);

-- The in-app inbox: addressed to an organisation, read per account.
CREATE TABLE notifications (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          BIGINT  NOT NULL REFERENCES organizations(id),
    kind            TEXT    NOT NULL,
    subject_type    TEXT    NOT NULL,
    subject_id      BIGINT  NOT NULL,
    message         TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX notifications_org ON notifications(org_id, id);

CREATE TABLE notification_reads (
    notification_id BIGINT  NOT NULL REFERENCES notifications(id),
    account_id      BIGINT  NOT NULL REFERENCES accounts(id),
    read_at         BIGINT  NOT NULL,
    PRIMARY KEY (notification_id, account_id)
);

-- Outbound webhooks to organisations' office systems: every notice is
-- queued for each of the organisation's hooks in the transaction that
-- creates it, then posted, signed with HMAC-SM3, until it is accepted.
CREATE TABLE webhooks (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id           BIGINT  NOT NULL REFERENCES organizations(id),
    url              TEXT    NOT NULL,
    sealed_secret    TEXT    NOT NULL,
    master_key_id    TEXT    NOT NULL,
    created_by       BIGINT  REFERENCES accounts(id),
    created_at       BIGINT  NOT NULL,
    disabled         BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE webhook_deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       BIGINT  NOT NULL REFERENCES webhooks(id),
    notification_id  BIGINT  NOT NULL REFERENCES notifications(id),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    delivered_at     BIGINT ,
    last_status      TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(delivered_at, next_attempt_at);
