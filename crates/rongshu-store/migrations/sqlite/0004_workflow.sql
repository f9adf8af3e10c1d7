-- The demand → authorization → delivery workflow (Art. 11-16, 18, 19).
-- Dates a person reads as deadlines (due_on, term_*) are China Standard
-- Time dates, 'YYYY-MM-DD'; instants are milliseconds since the epoch.

-- Demand lists (需求清单, Art. 12): gathered by the operator per period,
-- reviewed by the Governance Office within due_on.
CREATE TABLE demand_lists (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    period          TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    created_by      INTEGER REFERENCES accounts(id),
    created_at      INTEGER NOT NULL,
    submitted_at    INTEGER,
    due_on          TEXT
);

-- Demands (需求, Art. 11).
CREATE TABLE demands (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_org_id     INTEGER NOT NULL REFERENCES organizations(id),
    filed_by        INTEGER REFERENCES accounts(id),
    title           TEXT    NOT NULL,
    wanted          TEXT    NOT NULL DEFAULT '',
    modes           TEXT    NOT NULL,
    scenario        TEXT    NOT NULL,
    purpose         TEXT    NOT NULL,
    term_months     INTEGER NOT NULL,
    consent         TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL,
    list_id         INTEGER REFERENCES demand_lists(id),
    note            TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX demands_user ON demands(user_org_id);
CREATE INDEX demands_status ON demands(status);

-- Catalogue resources a demand asks for; fields '' means every field.
CREATE TABLE demand_items (
    demand_id       INTEGER NOT NULL REFERENCES demands(id),
    resource_id     INTEGER NOT NULL REFERENCES resources(id),
    fields          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (demand_id, resource_id)
);

-- The data subjects' consent as a file (Art. 13): sealed under the master
-- key, with the SM3 digest of what was uploaded.
CREATE TABLE consent_evidence (
    demand_id        INTEGER PRIMARY KEY REFERENCES demands(id),
    file_name        TEXT    NOT NULL,
    byte_size        INTEGER NOT NULL,
    digest           TEXT    NOT NULL,
    sealed           TEXT    NOT NULL,
    master_key_id    TEXT    NOT NULL,
    uploaded_by      INTEGER REFERENCES accounts(id),
    uploaded_at      INTEGER NOT NULL
);

-- Providers the operator named for data the catalogue does not have yet.
CREATE TABLE demand_providers (
    demand_id        INTEGER NOT NULL REFERENCES demands(id),
    provider_org_id  INTEGER NOT NULL REFERENCES organizations(id),
    PRIMARY KEY (demand_id, provider_org_id)
);

-- Authorizations from a provider to the operator (Art. 13); standing = 1
-- is the blanket authorization of a provider's open resources.
CREATE TABLE authorizations (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_org_id      INTEGER NOT NULL REFERENCES organizations(id),
    operator_org_id      INTEGER NOT NULL REFERENCES organizations(id),
    standing             INTEGER NOT NULL DEFAULT 0,
    scenario             TEXT    NOT NULL,
    modes                TEXT    NOT NULL,
    deidentification     TEXT    NOT NULL,
    reidentification     INTEGER NOT NULL DEFAULT 0,
    quota                TEXT    NOT NULL DEFAULT '',
    conditions           TEXT    NOT NULL DEFAULT '',
    term_from            TEXT    NOT NULL,
    term_until           TEXT,
    status               TEXT    NOT NULL,
    granted_by           INTEGER REFERENCES accounts(id),
    created_at           INTEGER NOT NULL,
    terminated_at        INTEGER,
    termination_grounds  TEXT
);
CREATE INDEX authorizations_provider ON authorizations(provider_org_id);

CREATE TABLE authorization_resources (
    authorization_id INTEGER NOT NULL REFERENCES authorizations(id),
    resource_id      INTEGER NOT NULL REFERENCES resources(id),
    fields           TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (authorization_id, resource_id)
);

-- One provider's answer to one demand (授权确认, Art. 13).
CREATE TABLE assessments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    demand_id        INTEGER NOT NULL REFERENCES demands(id),
    provider_org_id  INTEGER NOT NULL REFERENCES organizations(id),
    status           TEXT    NOT NULL,
    opened_at        INTEGER NOT NULL,
    due_on           TEXT    NOT NULL,
    decided_at       INTEGER,
    decided_by       INTEGER REFERENCES accounts(id),
    grounds          TEXT    NOT NULL DEFAULT '',
    flagged          INTEGER NOT NULL DEFAULT 0,
    authorization_id INTEGER REFERENCES authorizations(id),
    UNIQUE (demand_id, provider_org_id)
);
CREATE INDEX assessments_provider ON assessments(provider_org_id, status);

-- The provider's duty to deliver (Art. 14), closed by a version.
CREATE TABLE delivery_tasks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    authorization_id INTEGER NOT NULL UNIQUE REFERENCES authorizations(id),
    provider_org_id  INTEGER NOT NULL REFERENCES organizations(id),
    status           TEXT    NOT NULL,
    opened_at        INTEGER NOT NULL,
    due_on           TEXT    NOT NULL,
    version_id       INTEGER REFERENCES resource_versions(id),
    closed_at        INTEGER
);
CREATE INDEX delivery_tasks_open ON delivery_tasks(status, provider_org_id);

-- Organisations' SM2 key pairs; the secret sealed under the master key.
CREATE TABLE signing_keys (
    org_id          INTEGER PRIMARY KEY REFERENCES organizations(id),
    public_key      TEXT    NOT NULL,
    sealed_secret   TEXT    NOT NULL,
    master_key_id   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);

-- Agreements (Art. 15, 18), their canonical text and its SM3 digest.
CREATE TABLE agreements (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    authorization_id INTEGER NOT NULL REFERENCES authorizations(id),
    demand_id        INTEGER REFERENCES demands(id),
    body             TEXT    NOT NULL,
    digest           TEXT    NOT NULL,
    term_from        TEXT    NOT NULL,
    term_until       TEXT,
    status           TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    signed_at        INTEGER,
    terminated_at    INTEGER
);
CREATE INDEX agreements_authorization ON agreements(authorization_id);

CREATE TABLE agreement_signatures (
    agreement_id    INTEGER NOT NULL REFERENCES agreements(id),
    party           TEXT    NOT NULL,
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    public_key      TEXT,
    signature       TEXT,
    signed_by       INTEGER REFERENCES accounts(id),
    signed_at       INTEGER,
    PRIMARY KEY (agreement_id, party)
);

-- Disputes between a provider and the operator (Art. 19).
CREATE TABLE disputes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    authorization_id INTEGER NOT NULL REFERENCES authorizations(id),
    raised_by_org    INTEGER NOT NULL REFERENCES organizations(id),
    subject          TEXT    NOT NULL,
    statement        TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    expert_opinion   TEXT    NOT NULL DEFAULT '',
    resolution       TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- The in-app inbox: addressed to an organisation, read per account.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    kind            TEXT    NOT NULL,
    subject_type    TEXT    NOT NULL,
    subject_id      INTEGER NOT NULL,
    message         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX notifications_org ON notifications(org_id, id);

CREATE TABLE notification_reads (
    notification_id INTEGER NOT NULL REFERENCES notifications(id),
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    read_at         INTEGER NOT NULL,
    PRIMARY KEY (notification_id, account_id)
);

-- Outbound webhooks to organisations' office systems: every notice is
-- queued for each of the organisation's hooks in the transaction that
-- creates it, then posted, signed with HMAC-SM3, until it is accepted.
CREATE TABLE webhooks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           INTEGER NOT NULL REFERENCES organizations(id),
    url              TEXT    NOT NULL,
    sealed_secret    TEXT    NOT NULL,
    master_key_id    TEXT    NOT NULL,
    created_by       INTEGER REFERENCES accounts(id),
    created_at       INTEGER NOT NULL,
    disabled         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks(id),
    notification_id  INTEGER NOT NULL REFERENCES notifications(id),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    delivered_at     INTEGER,
    last_status      TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(delivered_at, next_attempt_at);
