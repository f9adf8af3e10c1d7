-- Uses (calls and downloads) a day by each user organisation under each
-- authorization, counted when they are recorded, for the authorization's
-- daily use limit. Counted by the authorization a use was admitted under,
-- not by the one its product is under now: a product moved onto a renewed
-- authorization leaves the day's uses with the one they were made under.
CREATE TABLE authorization_usage (
    authorization_id  INTEGER NOT NULL REFERENCES authorizations(id),
    org_id            INTEGER NOT NULL REFERENCES organizations(id),
    day               TEXT    NOT NULL,
    uses              INTEGER NOT NULL,
    PRIMARY KEY (authorization_id, org_id, day)
);
-- Uses recorded before, by the authorization their product is under.
INSERT INTO authorization_usage (authorization_id, org_id, day, uses)
SELECT p.authorization_id, u.org_id, u.day, SUM(u.calls + u.downloads)
FROM product_usage u JOIN products p ON p.id = u.product_id
GROUP BY p.authorization_id, u.org_id, u.day;
