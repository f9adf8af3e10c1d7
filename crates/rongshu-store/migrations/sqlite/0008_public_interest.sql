-- A demand's claim that its use serves the public interest (public
-- governance, public welfare, academic research without commercial use):
-- reviewed with the demand by the operator and the Governance Office, and,
-- once passed, free of charge under the 2025 pricing notice.
ALTER TABLE demands ADD COLUMN public_interest INTEGER NOT NULL DEFAULT 0;
