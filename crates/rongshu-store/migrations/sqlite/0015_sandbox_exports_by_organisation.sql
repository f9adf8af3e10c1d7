-- A release is compared with every export of its organisation's
-- workspaces (differencing across agreements), read by organisation.
CREATE INDEX sandbox_exports_organisation ON sandbox_exports(org_id, id);
