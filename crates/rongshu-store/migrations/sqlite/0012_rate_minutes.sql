-- Calls per product and organisation in each minute, counted when the
-- calls are recorded, so a product's rate limit holds across every server
-- process sharing the database (each process also keeps a quick count of
-- its own). Minutes before the last are removed as calls are recorded.
CREATE TABLE product_minutes (
    product_id      INTEGER NOT NULL REFERENCES products(id),
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    minute          INTEGER NOT NULL,
    calls           INTEGER NOT NULL,
    PRIMARY KEY (product_id, org_id, minute)
);
